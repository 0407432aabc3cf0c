import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import {
  expectToolOk,
  pidsWithCmdline,
  processAlive,
  removeCgroup,
  removeIfCreated,
  runTool,
  unmountUnder,
  waitFor,
  type ToolRun,
} from './runtime-host';

/** How long one ctr command may take; containerd's own start-up is bounded separately. */
export const CTR_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

/**
 * The host paths `ctr run --cni` (containerd 1.6) uses, fixed in its code: go-cni's defaults
 * (`gocni.New(gocni.WithDefaultConf)`: configs from /etc/cni/net.d, plugins from /opt/cni/bin)
 * and libcni's result cache under /var/lib/cni. ctr has no flag for any of them.
 */
export const CTR_CNI_PATHS = { confDir: '/etc/cni/net.d', binDir: '/opt/cni/bin', cacheDir: '/var/lib/cni' } as const;

export interface CniDirs {
  readonly confDir: string;
  readonly binDir: string;
  readonly cacheDir: string;
}

/**
 * A containerd 1.6 daemon of the test's own: root, state, sockets, the `opt` plugin's dir and the
 * CRI plugin's CNI conf/bin dirs and runc root all in a temp dir, started with `--config` and
 * stopped (SIGTERM, then SIGKILL, bounded) at cleanup, after its tasks, shims, mounts and
 * cgroups. Every ctr call gets `--address` of this daemon and its own namespace.
 *
 * What it still writes outside: the runc shim's socket dir `/run/containerd/s` (fixed in 1.6),
 * removed at cleanup when this test created it, and the CRI plugin's libcni result cache in
 * /var/lib/cni/results (go-cni's default, no setting in 1.6; its DEL removes the entries).
 */
export class ContainerdEnv {
  readonly socket: string;
  readonly root: string;
  readonly state: string;
  readonly runcRoot: string;
  readonly fifoDir: string;
  readonly logFile: string;
  /** The cgroup every container of this daemon goes under (`--cgroup <parent>/<id>`; CRI's cgroup_parent). */
  readonly cgroupParent: string;
  /** CRI plugin's CNI dirs (its own config, not ctr's: see CTR_CNI_PATHS). */
  readonly cri: { readonly confDir: string; readonly binDir: string; readonly runcRoot: string };
  private pid: number | undefined;

  constructor(
    readonly dir: string,
    prefix: string,
    /** The image the CRI plugin runs as every pod's sandbox (imported into `k8s.io`; no pull). */
    sandboxImage: string,
    cleanup: Cleanup,
  ) {
    this.socket = join(dir, 'containerd.sock');
    this.root = join(dir, 'root');
    this.state = join(dir, 'state');
    this.runcRoot = join(dir, 'runc');
    this.fifoDir = join(dir, 'fifo');
    this.logFile = join(dir, 'containerd.log');
    this.cgroupParent = `/${prefix}`;
    this.cri = { confDir: join(dir, 'cri-net.d'), binDir: join(dir, 'cri-bin'), runcRoot: join(dir, 'cri-runc') };
    for (const d of [
      this.root,
      this.state,
      this.runcRoot,
      this.fifoDir,
      this.cri.confDir,
      this.cri.binDir,
      join(dir, 'opt'),
    ])
      mkdirSync(d, { recursive: true });
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${this.root}"`,
        `state = "${this.state}"`,
        '[grpc]',
        `  address = "${this.socket}"`,
        '[ttrpc]',
        `  address = "${this.socket}.ttrpc"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${join(dir, 'opt')}"`,
        '[plugins."io.containerd.grpc.v1.cri"]',
        `  sandbox_image = "${sandboxImage}"`,
        '  disable_apparmor = true',
        // CRI gives a sandbox oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE, which root
        // lacks on some VMs (this one): keep it at or above containerd's own.
        '  restrict_oom_score_adj = true',
        '  netns_mounts_under_state_dir = true',
        '  stream_server_address = "127.0.0.1"',
        '  stream_server_port = "0"',
        '  [plugins."io.containerd.grpc.v1.cri".cni]',
        `    bin_dir = "${this.cri.binDir}"`,
        `    conf_dir = "${this.cri.confDir}"`,
        '    max_conf_num = 1',
        '  [plugins."io.containerd.grpc.v1.cri".containerd]',
        '    snapshotter = "overlayfs"',
        '    default_runtime_name = "runc"',
        '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '      runtime_type = "io.containerd.runc.v2"',
        '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
        `        Root = "${this.cri.runcRoot}"`,
        '',
      ].join('\n'),
    );
    removeIfCreated(cleanup, [{ path: '/run/containerd' }, { path: '/run/containerd/s' }]);
    // Registered after the dirs above, so it runs before them (cleanup runs newest first).
    cleanup.add(`containerd in ${dir}`, () => this.stopSync());
  }

  /** Starts the daemon and waits (bounded) until ctr can talk to it. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn('containerd', ['--config', join(this.dir, 'config.toml')], {
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    child.unref();
    this.pid = child.pid;
    await waitFor(
      'containerd to answer on its socket',
      async () => {
        if (this.pid !== undefined && !processAlive(this.pid))
          throw new Error(`containerd exited at start-up:\n${this.log()}`);
        if (!existsSync(this.socket)) return undefined;
        const version = await this.ctr(['version'], 5_000);
        return version.code === 0 ? true : undefined;
      },
      START_TIMEOUT_MS,
      100,
    );
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** `ctr --address <ours> [-n namespace] ARGS`. */
  ctr(args: readonly string[], timeoutMs = CTR_TIMEOUT_MS, namespace?: string): Promise<ToolRun> {
    return runTool('ctr', this.ctrArgs(args, namespace), { timeoutMs });
  }

  private ctrArgs(args: readonly string[], namespace?: string): string[] {
    return ['--address', this.socket, ...(namespace === undefined ? [] : ['--namespace', namespace]), ...args];
  }

  /**
   * ctr with its fixed CNI paths (CTR_CNI_PATHS) served from `dirs`: it runs in a private mount
   * namespace of its own (`unshare --mount --propagation private`) where `dirs` are bind-mounted
   * over /etc/cni/net.d, /opt/cni/bin and /var/lib/cni. ctr and the CNI plugins it execs see the
   * test's conflist, multus and result cache; the host's dirs and every other process are
   * untouched. The mount targets must exist (scripts/runtime-setup.sh creates them empty).
   */
  ctrWithCni(args: readonly string[], namespace: string, dirs: CniDirs, timeoutMs = CTR_TIMEOUT_MS): Promise<ToolRun> {
    const script = [
      'set -e',
      `mount --bind "$1" ${CTR_CNI_PATHS.confDir}`,
      `mount --bind "$2" ${CTR_CNI_PATHS.binDir}`,
      `mount --bind "$3" ${CTR_CNI_PATHS.cacheDir}`,
      'shift 3',
      'exec "$@"',
    ].join('\n');
    return runTool(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        script,
        'sh',
        dirs.confDir,
        dirs.binDir,
        dirs.cacheDir,
        'ctr',
        ...this.ctrArgs(args, namespace),
      ],
      { timeoutMs },
    );
  }

  /** `ctr run --cni` flags that keep runc's state, the IO fifos and the cgroup ours. */
  runFlags(id: string): string[] {
    return [
      '--cni',
      '--runc-root',
      this.runcRoot,
      '--fifo-dir',
      this.fifoDir,
      '--cgroup',
      `${this.cgroupParent}/${id}`,
    ];
  }

  async importImage(archive: string, namespace: string): Promise<void> {
    expectToolOk(
      await this.ctr(['images', 'import', archive], CTR_TIMEOUT_MS, namespace),
      `ctr -n ${namespace} images import`,
    );
  }

  /** Task ids (`ctr tasks ls -q`) and container ids (`ctr containers ls -q`) in `namespace`. */
  async leftovers(namespace: string): Promise<{ tasks: string[]; containers: string[] }> {
    const lines = (r: ToolRun): string[] => r.stdout.split('\n').filter((l) => l !== '');
    const tasks = await this.ctr(['tasks', 'ls', '-q'], CTR_TIMEOUT_MS, namespace);
    expectToolOk(tasks, 'ctr tasks ls');
    const containers = await this.ctr(['containers', 'ls', '-q'], CTR_TIMEOUT_MS, namespace);
    expectToolOk(containers, 'ctr containers ls');
    return { tasks: lines(tasks), containers: lines(containers) };
  }

  /**
   * Cleanup (synchronous, every step bounded): kill and delete what is still running in any
   * namespace, stop the daemon, kill any shim of ours that outlived it, unmount what is left
   * under the temp dir and remove our cgroups.
   */
  private stopSync(): void {
    const problems: string[] = [];
    if (this.pid !== undefined && processAlive(this.pid)) {
      const ctr = (args: string[], namespace?: string): string => {
        const r = spawnSync('ctr', this.ctrArgs(args, namespace), {
          timeout: 20_000,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return r.status === 0 ? r.stdout : '';
      };
      for (const ns of ctr(['namespaces', 'ls', '-q'])
        .split('\n')
        .filter((l) => l !== '')) {
        for (const task of ctr(['tasks', 'ls', '-q'], ns)
          .split('\n')
          .filter((l) => l !== '')) {
          ctr(['tasks', 'kill', '--all', '--signal', 'SIGKILL', task], ns);
          ctr(['tasks', 'delete', '--force', task], ns);
        }
        for (const c of ctr(['containers', 'ls', '-q'], ns)
          .split('\n')
          .filter((l) => l !== ''))
          ctr(['containers', 'delete', c], ns);
      }
      if (!stopSync(this.pid, STOP_GRACE_MS)) problems.push(`containerd (pid ${this.pid}) did not stop`);
    }
    for (const shim of pidsWithCmdline(['containerd-shim', this.socket])) {
      if (!stopSync(shim, 2_000)) problems.push(`shim pid ${shim} did not stop`);
    }
    unmountUnder(this.dir);
    try {
      removeCgroup(this.cgroupParent);
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM, then SIGKILL after `graceMs`, polling synchronously (cleanup steps are synchronous). */
function stopSync(pid: number, graceMs: number): boolean {
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch {
      // gone
    }
  };
  const waitGone = (ms: number): boolean => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!processAlive(pid)) return true;
      sleepSync(50);
    }
    return !processAlive(pid);
  };
  if (!processAlive(pid)) return true;
  signal('SIGTERM');
  if (waitGone(graceMs)) return true;
  signal('SIGKILL');
  return waitGone(5_000);
}
