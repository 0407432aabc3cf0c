import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import { REFERENCE_PLUGINS } from './run-multus';
import { expectToolOk, removeCgroup, removeIfCreated, runTool, unmountUnder, type ToolRun } from './runtime-host';

/** How long one podman command may take (a `run` of a busybox container takes ≈ 1 s here). */
export const PODMAN_TIMEOUT_MS = 60_000;

/**
 * Debian's podman 4.3, rootful, with every path it would write kept in a temp dir:
 *
 * - containers.conf via CONTAINERS_CONF (the system's is not read): the CNI network backend,
 *   `network_config_dir` and `cni_plugin_dirs` in the temp dir (then /usr/lib/cni), and the
 *   settings this VM needs (DESIGN.md §4): cgroupfs, runc, file events, explicit ulimits; file
 *   locks in the temp dir instead of /dev/shm/libpod_lock;
 * - storage.conf via CONTAINERS_STORAGE_CONF, and `--root`/`--runroot`/`--tmpdir`: image and
 *   container storage (vfs: no overlay mounts) in the temp dir;
 * - `--cgroup-parent=/<prefix>` on `run`, so the cgroups podman makes (container, conmon) have a
 *   name of ours and are removed at cleanup in every hierarchy.
 *
 * What podman 4.3 still writes outside, without a setting: runc's state root `/run/runc` (the
 * `podman container cleanup` that conmon runs ignores `--runtime-flag`), the image
 * blob-info cache `/var/lib/containers/cache` (written by `podman import`) and libcni's result
 * cache `/var/lib/cni/results/<network>-<container>-eth0` (removed by podman's DEL). The first two
 * are removed at cleanup when this test created them; the test asserts the third is gone (the
 * `results` dir itself stays: libcni's standard cache dir, which containerd's CRI uses as well,
 * possibly at the same moment from the other runtime test file).
 */
export class PodmanEnv {
  readonly root: string;
  readonly netDir: string;
  readonly cgroupParent: string;
  private readonly env: Record<string, string>;
  private readonly globalArgs: string[];

  constructor(
    readonly dir: string,
    /** The plugin dir holding multus (mode 0755), searched before /usr/lib/cni. */
    readonly binDir: string,
    prefix: string,
    cleanup: Cleanup,
  ) {
    this.root = join(dir, 'storage');
    const runRoot = join(dir, 'run');
    const tmpDir = join(dir, 'tmp');
    this.netDir = join(dir, 'net.d');
    this.cgroupParent = `/${prefix}`;
    for (const d of [this.root, runRoot, tmpDir, this.netDir]) mkdirSync(d, { recursive: true });
    const containersConf = join(dir, 'containers.conf');
    const storageConf = join(dir, 'storage.conf');
    writeFileSync(
      containersConf,
      [
        '[containers]',
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'runtime = "runc"',
        'events_logger = "file"',
        `events_logfile_path = "${join(tmpDir, 'events.log')}"`,
        'lock_type = "file"',
        `tmp_dir = "${tmpDir}"`,
        `static_dir = "${join(this.root, 'libpod')}"`,
        `volume_path = "${join(this.root, 'volumes')}"`,
        '[network]',
        'network_backend = "cni"',
        `network_config_dir = "${this.netDir}"`,
        `cni_plugin_dirs = ["${binDir}", "${REFERENCE_PLUGINS}"]`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      storageConf,
      ['[storage]', 'driver = "vfs"', `runroot = "${runRoot}"`, `graphroot = "${this.root}"`, ''].join('\n'),
    );
    this.env = { CONTAINERS_CONF: containersConf, CONTAINERS_STORAGE_CONF: storageConf };
    this.globalArgs = ['--root', this.root, '--runroot', runRoot, '--tmpdir', tmpDir, '--storage-driver', 'vfs'];

    removeIfCreated(cleanup, [{ path: '/var/lib/containers', removeTree: true }, { path: '/run/runc' }]);
    // Registered after the dirs above, so it runs before them (cleanup runs newest first).
    cleanup.add(`podman storage in ${dir}`, () => {
      // Whatever a failed test left running or stored goes first (bounded), then its mounts.
      this.podmanSync(['rm', '--all', '--force', '--time', '0']);
      this.podmanSync(['rmi', '--all', '--force']);
      unmountUnder(dir);
      removeCgroup(this.cgroupParent);
    });
  }

  podman(args: readonly string[], timeoutMs = PODMAN_TIMEOUT_MS): Promise<ToolRun> {
    return runTool('podman', [...this.globalArgs, ...args], { timeoutMs, env: this.env });
  }

  private podmanSync(args: readonly string[]): void {
    // Synchronous and bounded: cleanup steps are synchronous (Cleanup.runAll).
    const r = spawnSync('podman', [...this.globalArgs, ...args], {
      env: { ...process.env, ...this.env },
      timeout: PODMAN_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: exit ${String(r.status)} ${r.stderr}`);
  }

  /** Writes `<netDir>/<name>.conflist` (podman reads only .conflist files from there). */
  writeNetwork(name: string, conflist: Readonly<Record<string, unknown>>): void {
    writeFileSync(join(this.netDir, `${name}.conflist`), JSON.stringify(conflist, undefined, 2));
  }

  /** `podman import` of a rootfs tar as `image` (default command /bin/sh). */
  async importImage(tar: string, image: string): Promise<void> {
    expectToolOk(await this.podman(['import', '--change', 'CMD ["/bin/sh"]', tar, image]), `podman import ${tar}`);
  }

  /** `podman run --rm` on `network`: the container's stdout etc.; cgroups under our parent. */
  run(name: string, network: string, image: string, command: readonly string[]): Promise<ToolRun> {
    return this.podman([
      'run',
      '--rm',
      '--name',
      name,
      '--cgroup-parent',
      this.cgroupParent,
      '--network',
      network,
      image,
      ...command,
    ]);
  }

  /** Container names in this storage (`podman ps -a`). */
  async containers(): Promise<string[]> {
    const ps = await this.podman(['ps', '--all', '--format', '{{.Names}}']);
    expectToolOk(ps, 'podman ps -a');
    return ps.stdout.split('\n').filter((l) => l !== '');
  }
}
