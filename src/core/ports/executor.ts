import type { CniCommand } from '../cni-env';

/** What a delegate is run with. The env is built by the orchestrator; the executor adds nothing but PATH. */
export interface ExecRequest {
  /** The plugin `type`; resolved to a binary in `binDirs` (searched in order). */
  readonly type: string;
  readonly command: CniCommand;
  readonly env: DelegateEnv;
  /** The delegate's network config, sent as JSON on stdin. */
  readonly stdin: Record<string, unknown>;
  /** Directories searched for the binary, first match wins (multus `binDir`, then CNI_PATH). */
  readonly binDirs: readonly string[];
  /** Aborts the call (the plugin's process group is killed). */
  readonly signal?: AbortSignal;
  /** Kills the plugin's process group after this long (ms). */
  readonly timeoutMs?: number;
  /** Told the plugin's pid (its process group) once it runs. */
  readonly onSpawn?: (pid: number) => void;
}

/** The CNI_* variables a delegate receives (CNI spec "Parameters"). */
export interface DelegateEnv {
  readonly CNI_CONTAINERID: string;
  readonly CNI_NETNS: string;
  readonly CNI_IFNAME: string;
  readonly CNI_ARGS: string;
  readonly CNI_PATH: string;
}

/** A network link of the host (the namespace multus runs in), as the kernel shows it. */
export interface HostLink {
  readonly name: string;
  readonly mtu: number;
}

/**
 * The one port through which every delegate plugin is run: find the binary, run it with env
 * and stdin, decode the result or the plugin's error JSON. Resolves with the parsed stdout
 * (undefined when the plugin printed nothing, as DEL and CHECK may); rejects with a CniError.
 * It is the adapters' whole view of the host: plugins, host tools, and the host's links.
 */
export interface Executor {
  run(request: ExecRequest): Promise<unknown>;
  /**
   * Runs a host tool (`nsenter`, `ip`) with arguments, no shell; resolves with its stdout,
   * rejects with a CniError (code 5) carrying its stderr when it fails.
   */
  runTool(file: string, args: readonly string[]): Promise<string>;
  /**
   * The host link called `name`, or undefined when there is none. Read from sysfs, not by
   * running `ip`: a check before each macvlan ADD and DEL must not cost a process.
   */
  hostLink(name: string): Promise<HostLink | undefined>;
}
