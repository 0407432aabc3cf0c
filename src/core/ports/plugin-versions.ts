/** Which plugin binary to ask, and how long its VERSION answer may take. */
export interface PluginVersionQuery {
  /** The plugin `type` (a file name in `binDirs`). */
  readonly type: string;
  readonly binDirs: readonly string[];
  /** The multus config's `cniDir`: a per-call process keeps the answers in a file there. */
  readonly cacheDir: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The CNI versions a delegate plugin speaks, from its own VERSION answer. Remembered per plugin
 * binary (its path, size, mtime and inode), so a pod pays no extra exec once a binary has been
 * asked, and a replaced binary is asked again.
 */
export interface PluginVersions {
  /**
   * The plugin's `supportedVersions`, or undefined when it gives no usable answer (a plugin
   * that predates VERSION, or prints something else): the caller then keeps the configured
   * version. A plugin that cannot be found or run safely rejects, as running it would.
   */
  supported(query: PluginVersionQuery): Promise<readonly string[] | undefined>;
}
