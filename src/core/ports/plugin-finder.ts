/** Finds a plugin binary as the executor would run it, for the dry run's report. */
export interface PluginFinder {
  /**
   * The file the executor would run for `type`, searching `binDirs` in order; missing is code
   * 101, a binary or directory others may write is code 107 (a CniError).
   */
  find(type: string, binDirs: readonly string[]): Promise<string>;
}
