/**
 * Real runtime 2: containerd 1.6 (Debian's), run by the test with its own root, state, sockets
 * and config (support/runtime-containerd.ts), and the compiled dist/multus as the only plugin
 * of a `.conflist`, with bridge (master, eth0), ptp (net0) and macvlan (net1) delegates.
 *
 * - `ctr run --rm --cni`: ctr itself is the CNI caller (go-cni, libcni). Its CNI paths are fixed
 *   (/etc/cni/net.d, /opt/cni/bin, /var/lib/cni; ctr 1.6 has no flag for them), so ctr runs in a
 *   private mount namespace where the test's temp dirs are bind-mounted over those three paths:
 *   ctr is unchanged and the host's dirs are untouched. ctr sets the network up with the task's
 *   `/proc/<pid>/ns/net` and tears it down after the task has exited, with an EMPTY CNI_NETNS
 *   (`network.Remove(ctx, id, "")`), and an empty CNI_ARGS (no pod identity). ctr 1.6 removes the network
 *   only for a foreground run (a detached task's network is never removed by ctr 1.6, whatever
 *   the plugin), so the tests run in the foreground.
 * - The CRI plugin (kubelet's path): RunPodSandbox / StopPodSandbox / RemovePodSandbox over the
 *   CRI gRPC socket (support/runtime-cri.ts; no crictl in Debian 12), the node's conflist being
 *   [multus, portmap]. CRI passes the pod's K8S_POD_NAMESPACE/NAME/INFRA_CONTAINER_ID/UID (in
 *   any order), its annotations in runtimeConfig and port mappings with Go field names
 *   (`HostPort`); it makes no VERSION probe; it calls DEL twice: at StopPodSandbox with the
 *   netns and prevResult, at RemovePodSandbox with CNI_NETNS="" and no prevResult.
 * - Thick mode on the CRI path: the conflist runs dist/multus-shim, and a `multus daemon` of the
 *   test serves the ADD and both DELs ("daemonFallback": "fail", so none runs in thin mode).
 * - The runtimes' quirks, each on its own with the compiled binary in a namespace made here:
 *   DEL twice (the second without prevResult), DEL with an empty CNI_NETNS after the netns is
 *   gone, PascalCase runtimeConfig keys reaching portmap (the DNAT rule appears, then goes).
 *
 * Images are built here from busybox-static as OCI archives and `ctr images import`ed: no
 * registry. scripts/runtime-setup.sh (beforeAll) installs containerd, runc, busybox-static and
 * iptables when missing, and creates the empty mount targets. This file owns 10.243.0.0/16, the
 * tag `rc`, host ports 8080 and 8081, and the CNI-HOSTPORT-* / CNI-DN-* nat chains it creates.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { Cleanup, expectClean } from './support/cleanup';
import { bridgePorts, createNetns, ip, ipv4Of, netnsExists, netnsLinkNames } from './support/net';
import { assertIntegrationPrerequisites, expectSuccess, REFERENCE_PLUGINS, runMultus } from './support/run-multus';
import { CTR_CNI_PATHS, ContainerdEnv, type CniDirs } from './support/runtime-containerd';
import { CriClient } from './support/runtime-cri';
import {
  expectToolOk,
  natChains,
  natRules,
  parseIpAddr,
  removeNatChains,
  runRuntimeSetup,
  SETUP_TIMEOUT_MS,
  waitFor,
  type ContainerLink,
} from './support/runtime-host';
import { buildBusyboxRootfs, buildOciArchive, tarRootfs } from './support/runtime-image';
import { ThickDaemon } from './support/thick';
import { multusBinDir, PORTMAP_PLUGIN, RecordingMultusDir, RuntimePod, runPortmap } from './support/runtime-pod';
import { withoutEmptyDns } from './support/seed-pod';
import { cacheFile, cacheFiles, createWorkspace, leaseFiles, type Workspace } from './support/workspace';

const NET = 243; // 10.243.0.0/16 belongs to this file
const IMAGE = 'localhost/multus-it-busybox:rc';
/** The CRI sandbox ("pause") image: the same busybox, whose command sleeps. */
const SANDBOX_IMAGE = 'localhost/multus-it-sandbox:rc';
const CRI_NAMESPACE = 'k8s.io';
const PORTMAP_CHAINS = /^CNI-(HOSTPORT-|DN-)/u;

describe('containerd 1.6 runs multus from a .conflist', () => {
  const perFile = new Cleanup();
  const cleanup = new Cleanup(); // per test
  let ws: Workspace;
  let containerd: ContainerdEnv;
  let namespace: string;

  beforeAll(async () => {
    runRuntimeSetup();
    assertIntegrationPrerequisites();
    for (const path of Object.values(CTR_CNI_PATHS)) {
      if (!existsSync(path))
        throw new Error(`${path} is missing (the mount target for ctr's CNI path): run scripts/runtime-setup.sh`);
    }
    ws = createWorkspace('rc', perFile);
    namespace = ws.prefix;
    const layer = tarRootfs(buildBusyboxRootfs(join(ws.dir, 'rootfs')), join(ws.dir, 'busybox-rootfs.tar'));
    const image = buildOciArchive(layer, IMAGE, ['/bin/sh'], join(ws.dir, 'oci-image'), join(ws.dir, 'image.oci.tar'));
    const sandbox = buildOciArchive(
      layer,
      SANDBOX_IMAGE,
      ['/bin/sleep', '3600'],
      join(ws.dir, 'oci-sandbox'),
      join(ws.dir, 'sandbox.oci.tar'),
    );
    containerd = new ContainerdEnv(join(ws.dir, 'containerd'), ws.prefix, SANDBOX_IMAGE, perFile);
    await containerd.start();
    await containerd.importImage(image, namespace);
    await containerd.importImage(sandbox, CRI_NAMESPACE);
  }, SETUP_TIMEOUT_MS + 60_000);

  afterEach(() => expectClean(cleanup.runAll()));
  afterAll(() => expectClean(perFile.runAll()));

  /** The three dirs ctr's fixed CNI paths are served from for one test: conflist, plugin dir, libcni cache. */
  function ctrCniDirs(suffix: string, binDir: string, network: string, conflist: Record<string, unknown>): CniDirs {
    const confDir = join(ws.dir, `net.d-${suffix}`);
    const cacheDir = join(ws.dir, `libcni-${suffix}`);
    mkdirSync(confDir, { recursive: true });
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(confDir, `10-${network}.conflist`), JSON.stringify(conflist, undefined, 2));
    return { confDir, binDir, cacheDir };
  }

  /**
   * libcni's result cache files under a cache dir (written at ADD, removed at DEL); CRI's is the host's /var/lib/cni.
   */
  function libcniResults(cacheDir: string): string[] {
    const dir = join(cacheDir, 'results');
    return existsSync(dir) ? readdirSync(dir) : [];
  }

  /** Portmap's nat chains and rules made during the test are removed at cleanup. */
  function cleanNatAfterTest(): void {
    const before = new Set(natChains());
    cleanup.add('portmap nat chains', () => removeNatChains(PORTMAP_CHAINS, before));
  }

  /** `ip -j addr` of a namespace given by path (the CRI netns is not in /run/netns): through nsenter. */
  function linksAt(netnsPath: string): ContainerLink[] {
    const text = execFileSync('nsenter', [`--net=${netnsPath}`, 'ip', '-j', 'addr'], { encoding: 'utf8' });
    const links = JSON.parse(text) as Array<{
      ifname: string;
      addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
    }>;
    return links.map((l) => ({
      ifname: l.ifname,
      inet: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    }));
  }

  /**
   * The node's network as the CRI plugin reads it, from containerd's config dirs: `binaries` (a
   * multus or a shim) with portmap and loopback (CRI adds lo) in its plugin dir, `conflist` in its
   * conf dir. Answers a client once the CRI plugin answers.
   */
  async function installCriNetwork(
    network: string,
    binaries: readonly string[],
    conflist: Record<string, unknown>,
  ): Promise<CriClient> {
    for (const entry of readdirSync(containerd.cri.binDir)) rmSync(join(containerd.cri.binDir, entry), { force: true });
    for (const from of [...binaries, ...['loopback', 'portmap'].map((p) => join(REFERENCE_PLUGINS, p))]) {
      const to = join(containerd.cri.binDir, basename(from));
      copyFileSync(from, to);
      chmodSync(to, 0o755);
    }
    chmodSync(containerd.cri.binDir, 0o755);
    const file = join(containerd.cri.confDir, `10-${network}.conflist`);
    writeFileSync(file, JSON.stringify(conflist));
    cleanup.add('CRI conflist', () => rmSync(file, { force: true }));
    const cri = new CriClient(containerd.socket);
    await waitFor(
      'the CRI plugin to answer',
      async () => (await cri.version().catch(() => undefined))?.runtimeName,
      30_000,
      200,
    );
    return cri;
  }

  /**
   * CRI's libcni caches results in the host's /var/lib/cni (no setting in containerd 1.6): its DEL
   * removes a sandbox's; if the test fails before, cleanup does. Answers the files' names, now.
   */
  function criResultCache(sandbox: string): () => string[] {
    const files = (): string[] => libcniResults(CTR_CNI_PATHS.cacheDir).filter((f) => f.includes(sandbox));
    cleanup.add(`libcni cache of sandbox ${sandbox}`, () => {
      for (const f of files()) rmSync(join(CTR_CNI_PATHS.cacheDir, 'results', f), { force: true });
    });
    return files;
  }

  /** RunPodSandbox, retried while the CRI plugin has not loaded the conflist yet (fsnotify); its id. */
  function runSandbox(cri: CriClient, spec: Parameters<CriClient['runPodSandbox']>[0]): Promise<string> {
    return waitFor(
      'RunPodSandbox',
      async () =>
        cri.runPodSandbox(spec).catch((e: Error) => {
          if (/cni config|cni plugin not initialized/iu.test(e.message)) return undefined;
          const log = containerd
            .log()
            .split('\n')
            .filter((l) => /level=(error|warning)/u.test(l));
          throw new Error(`${e.message}\ncontainerd's last errors:\n${log.slice(-15).join('\n')}`);
        }),
      30_000,
      500,
    );
  }

  it(
    'ctr run --rm --cni: eth0, net0, net1 in their subnets, ' + 'the bridge gateway answers, then nothing is left',
    async () => {
      const pod = new RuntimePod(ws, 'a', NET, 1, cleanup);
      const network = `${ws.prefix}a`;
      const dirs = ctrCniDirs(
        'a',
        multusBinDir(join(ws.dir, 'bin-a')),
        network,
        pod.conflist(network, { binDir: REFERENCE_PLUGINS }),
      );
      const id = `${ws.prefix}-ctr-a`;

      const run = await containerd.ctrWithCni(
        ['run', '--rm', ...containerd.runFlags(id), IMAGE, id, 'sh', '-c', `ip addr && ping -c1 -W2 ${pod.gateway}`],
        namespace,
        dirs,
      );

      expectToolOk(run, 'ctr run --rm --cni');
      const links = parseIpAddr(run.stdout);
      pod.expectUp(links);
      expect(run.stdout).toMatch(/1 packets transmitted, 1 packets received/u);
      const lines = pod.logLines();
      // ctr's container id is "<namespace>-<id>"; it passes no pod name.
      expect(lines.filter((l) => l['msg'] === 'ADD done')).toEqual([
        expect.objectContaining({ containerId: `${namespace}-${id}` }),
      ]);
      expect(lines.filter((l) => l['msg'] === 'DEL done')).toEqual([
        expect.objectContaining({ containerId: `${namespace}-${id}` }),
      ]);
      expect(lines.some((l) => 'podName' in l || 'podNamespace' in l)).toBe(false);
      expect(lines.filter((l) => (l['level'] as number) >= 40)).toEqual([]);

      expect(await containerd.leftovers(namespace)).toEqual({ tasks: [], containers: [] });
      pod.expectGone();
      expect(libcniResults(dirs.cacheDir)).toEqual([]);
    },
    120_000,
  );

  it(
    'what ctr really passes: ADD with /proc/<pid>/ns/net, DEL after the task is gone with CNI_NETNS="" and ' +
      'prevResult',
    async () => {
      const pod = new RuntimePod(ws, 'b', NET, 11, cleanup);
      const network = `${ws.prefix}b`;
      const recorder = new RecordingMultusDir(join(ws.dir, 'bin-b'));
      const dirs = ctrCniDirs('b', recorder.dir, network, pod.conflist(network, { binDir: REFERENCE_PLUGINS }));
      const id = `${ws.prefix}-ctr-b`;

      // Foreground (ctr removes the network only then); the task sleeps until the test kills it.
      const running = containerd.ctrWithCni(
        ['run', '--rm', ...containerd.runFlags(id), IMAGE, id, 'sh', '-c', 'ip addr && exec sleep 60'],
        namespace,
        dirs,
      );
      await waitFor(
        'the ADD to finish',
        () =>
          cacheFiles(pod.cniDir).some((f) => f.endsWith('.json')) &&
          !cacheFiles(pod.cniDir).some((f) => f.endsWith('.lock'))
            ? true
            : undefined,
        30_000,
      );
      await waitFor(
        'the task to run',
        async () =>
          (await containerd.ctr(['tasks', 'ls'], 10_000, namespace)).stdout.includes('RUNNING') ? true : undefined,
        30_000,
      );
      // While it runs: one lease per delegate, the bridge has the pod's port, libcni's cache entry.
      expect(leaseFiles(pod.ipamDir)).toHaveLength(3);
      expect(bridgePorts(pod.bridge)).toHaveLength(1);
      expect(libcniResults(dirs.cacheDir)).toEqual([`${network}-${namespace}-${id}-eth0`]);
      expectToolOk(
        await containerd.ctr(['tasks', 'kill', '--signal', 'SIGKILL', id], 10_000, namespace),
        'ctr tasks kill',
      );
      const run = await running;
      expect(run.timedOut).toBe(false);
      expect(run.code).toBe(137); // ctr exits with the task's status: killed

      pod.expectUp(parseIpAddr(run.stdout));
      pod.expectGone();
      expect(libcniResults(dirs.cacheDir)).toEqual([]);
      expect(await containerd.leftovers(namespace)).toEqual({ tasks: [], containers: [] });

      const calls = recorder.calls();
      expect(calls.map((c) => c.command).filter((c) => c !== 'VERSION')).toEqual(['ADD', 'DEL']);
      for (const call of calls)
        expect({ command: call.command, exitCode: call.exitCode }).toEqual({ command: call.command, exitCode: 0 });
      const add = calls.find((c) => c.command === 'ADD');
      const del = calls.find((c) => c.command === 'DEL');
      expect(add?.env).toEqual({
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: `${namespace}-${id}`,
        CNI_NETNS: expect.stringMatching(/^\/proc\/\d+\/ns\/net$/u),
        CNI_IFNAME: 'eth0',
        CNI_ARGS: '', // ctr sets no pod identity at all
        // go-cni's default plugin dir; Debian's containerd adds its own /usr/lib/cni after it.
        CNI_PATH: expect.stringMatching(new RegExp(`^${CTR_CNI_PATHS.binDir}(:|$)`, 'u')),
      });
      // The quirk: DEL after the task (and its netns) is gone, with an empty CNI_NETNS.
      expect(del?.env).toEqual({ ...add?.env, CNI_COMMAND: 'DEL', CNI_NETNS: '' });
      const result = JSON.parse(add?.stdout ?? '{}') as Record<string, unknown>;
      expect(
        withoutEmptyDns((JSON.parse(del?.stdin ?? '{}') as { prevResult?: Record<string, unknown> }).prevResult),
      ).toEqual(result);
      expect(del?.stdout).toBe('');
    },
    120_000,
  );

  it(
    'the CRI path (kubelet): K8S_* args, pod annotations, PascalCase HostPort to portmap, the pod IP, DEL twice; ' +
      'nothing left',
    async () => {
      cleanNatAfterTest();
      const pod = new RuntimePod(ws, 'c', NET, 21, cleanup);
      const network = `${ws.prefix}c`;
      const recorder = new RecordingMultusDir(join(ws.dir, 'bin-c'));
      const capabilities = { portMappings: true, 'io.kubernetes.cri.pod-annotations': true };
      const cri = await installCriNetwork(
        network,
        [join(recorder.dir, 'multus')],
        pod.conflist(network, { binDir: REFERENCE_PLUGINS, capabilities }, { portmap: true }),
      );
      const uid = `${ws.prefix}-uid-c`;
      const spec = {
        name: `${ws.prefix}-pod-c`,
        namespace: 'rc-ns',
        uid,
        hostname: 'rc-pod',
        logDirectory: join(ws.dir, 'pod-logs'),
        portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8081 }] as const,
        annotations: { 'rc.test/annotation': 'yes' },
        cgroupParent: `${containerd.cgroupParent}/cri`,
      };
      const sandbox = await runSandbox(cri, spec);

      const hostCache = criResultCache(sandbox);
      expect(hostCache().sort()).toEqual([`${network}-${sandbox}-eth0`, `cni-loopback-${sandbox}-lo`].sort());

      const status = await cri.podSandboxStatus(sandbox);
      const add = recorder.calls().find((c) => c.command === 'ADD');
      const netnsPath = add?.env['CNI_NETNS'] ?? '';
      const links = linksAt(netnsPath);
      pod.expectUp(links);
      // kubelet's pod IP is the one CRI takes from multus's result: the master's, eth0's.
      expect(`${status.ip}/24`).toBe(links.find((l) => l.ifname === 'eth0')?.inet[0]);
      const eth0 = status.ip;
      // CRI's port mapping (Go field names, also given to multus, which took them) reached portmap,
      // chained after multus with multus's result as prevResult: the DNAT rule goes to eth0.
      const dnat = (): string[] =>
        natRules().filter((r) => r.includes('--dport 8081') && r.includes(`--to-destination ${eth0}:80`));
      expect(dnat()).toHaveLength(1);

      expect(add?.env).toEqual({
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: sandbox,
        CNI_NETNS: expect.stringContaining(containerd.state),
        CNI_IFNAME: 'eth0',
        CNI_ARGS: expect.any(String),
        CNI_PATH: containerd.cri.binDir,
      });
      // go-cni builds CNI_ARGS from a Go map: the pairs come in any order.
      expect(add?.env['CNI_ARGS']?.split(';').sort()).toEqual(
        [
          'IgnoreUnknown=1',
          'K8S_POD_NAMESPACE=rc-ns',
          `K8S_POD_NAME=${spec.name}`,
          `K8S_POD_INFRA_CONTAINER_ID=${sandbox}`,
          `K8S_POD_UID=${uid}`,
        ].sort(),
      );
      const addConf = JSON.parse(add?.stdin ?? '{}') as { runtimeConfig?: Record<string, unknown> };
      expect(addConf.runtimeConfig).toEqual({
        portMappings: [{ HostPort: 8081, ContainerPort: 80, Protocol: 'tcp', HostIP: '' }],
        'io.kubernetes.cri.pod-annotations': expect.objectContaining({ 'rc.test/annotation': 'yes' }),
      });

      await cri.stopPodSandbox(sandbox);
      await cri.removePodSandbox(sandbox);
      expect(await cri.listPodSandboxIds()).not.toContain(sandbox);
      expect(dnat()).toEqual([]);
      pod.expectGone();
      expect(existsSync(netnsPath)).toBe(false);
      expect(hostCache()).toEqual([]);

      // go-cni makes no VERSION probe. StopPodSandbox: DEL with the netns and prevResult (libcni's
      // cache); the netns is removed; RemovePodSandbox: DEL again, CNI_NETNS="" and no prevResult.
      const calls = recorder.calls();
      expect(calls.map((c) => c.command)).toEqual(['ADD', 'DEL', 'DEL']);
      for (const call of calls)
        expect({ command: call.command, exitCode: call.exitCode }).toEqual({ command: call.command, exitCode: 0 });
      const [stop, remove] = calls
        .slice(1)
        .map((c) => ({ ...c, conf: JSON.parse(c.stdin) as Record<string, unknown> }));
      expect(stop?.env).toEqual({ ...add?.env, CNI_COMMAND: 'DEL', CNI_ARGS: expect.any(String) });
      expect(withoutEmptyDns(stop?.conf['prevResult'] as Record<string, unknown>)).toEqual(
        JSON.parse(add?.stdout ?? '{}'),
      );
      expect(remove?.env).toEqual({ ...add?.env, CNI_COMMAND: 'DEL', CNI_NETNS: '', CNI_ARGS: expect.any(String) });
      expect(remove?.conf).not.toHaveProperty('prevResult');
      expect(calls.map((c) => c.env['CNI_ARGS']?.split(';').sort())).toEqual(
        calls.map(() => add?.env['CNI_ARGS']?.split(';').sort()),
      );
      expect([stop?.stdout, remove?.stdout]).toEqual(['', '']);
      const lines = pod.logLines();
      expect(lines.filter((l) => l['msg'] === 'ADD done')).toEqual([
        expect.objectContaining({ podNamespace: 'rc-ns', podName: spec.name }),
      ]);
      expect(lines.filter((l) => l['msg'] === 'DEL done')).toHaveLength(2);
      expect(lines.filter((l) => (l['level'] as number) >= 40)).toEqual([]);
    },
    180_000,
  );

  it(
    'thick mode, the CRI path: containerd runs multus-shim, a multus daemon serves the ADD and both DELs (no ' +
      "fallback allowed); the pod IP is eth0's; nothing left",
    async () => {
      const pod = new RuntimePod(ws, 'f', NET, 41, cleanup);
      const network = `${ws.prefix}f`;
      const daemon = await ThickDaemon.start(ws.dir, cleanup);
      const bin = multusBinDir(join(ws.dir, 'bin-f'), { shim: true });
      const shimEntry = { type: 'multus-shim', daemonSocketDir: daemon.socketDir, daemonFallback: 'fail' };
      const cri = await installCriNetwork(
        network,
        [join(bin, 'multus-shim'), join(bin, 'multus')],
        pod.conflist(network, { ...shimEntry, binDir: REFERENCE_PLUGINS }),
      );
      const spec = {
        name: `${ws.prefix}-pod-f`,
        namespace: 'rc-ns',
        uid: `${ws.prefix}-uid-f`,
        hostname: 'rc-pod-f',
        logDirectory: join(ws.dir, 'pod-logs'),
        portMappings: [],
        annotations: {},
        cgroupParent: `${containerd.cgroupParent}/cri`,
      };
      const sandbox = await runSandbox(cri, spec);
      const hostCache = criResultCache(sandbox);

      // The daemon's record of the sandbox names its netns: the pod's three interfaces are there.
      const record = JSON.parse(readFileSync(cacheFile(pod.cniDir, sandbox), 'utf8')) as { netns: string };
      const links = linksAt(record.netns);
      pod.expectUp(links);
      expect(`${(await cri.podSandboxStatus(sandbox)).ip}/24`).toBe(links.find((l) => l.ifname === 'eth0')?.inet[0]);

      await cri.stopPodSandbox(sandbox);
      await cri.removePodSandbox(sandbox);
      expect(await cri.listPodSandboxIds()).not.toContain(sandbox);
      pod.expectGone();
      expect(hostCache()).toEqual([]);
      // Every call went through the daemon (each log line names its request); none fell back.
      const served = pod.logLines().filter((l) => l['msg'] === 'ADD done' || l['msg'] === 'DEL done');
      expect(served.map((l) => [l['msg'], l['podName'], typeof l['requestId']])).toEqual([
        ['ADD done', spec.name, 'string'],
        ['DEL done', spec.name, 'string'],
        ['DEL done', spec.name, 'string'],
      ]);
      expect(existsSync(join(daemon.socketDir, 'shim-fallbacks.log'))).toBe(false);
      expect(daemon.running).toBe(true);
    },
    180_000,
  );

  it(
    'quirk: DEL twice (CRI: stop, then remove) — the second with CNI_NETNS="" and no prevResult, after the netns ' +
      'is gone — succeeds, nothing left',
    async () => {
      const ns = `${ws.prefix}-d`;
      const netns = createNetns(ns, cleanup);
      const pod = new RuntimePod(ws, 'd', NET, 31, cleanup);
      const conf = { ...pod.multusPlugin({ binDir: REFERENCE_PLUGINS }), cniVersion: '1.0.0', name: `${ws.prefix}d` };
      const call = {
        config: conf,
        containerId: `${ws.prefix}-ctr-d`,
        netns,
        cniArgs: `IgnoreUnknown=1;K8S_POD_NAMESPACE=rc-ns;K8S_POD_NAME=${ws.prefix}-pod-d`,
      };

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);

      const first = await runMultus({ ...call, config: { ...conf, prevResult: add.json }, command: 'DEL' });
      expectSuccess(first);
      expect(first.stdout).toBe('');
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      pod.expectGone();
      // CRI removes the netns after the first DEL (StopPodSandbox); RemovePodSandbox's DEL has an
      // empty CNI_NETNS and no prevResult (recorded in the CRI test above).
      ip(['netns', 'del', ns]);
      expect(netnsExists(ns)).toBe(false);
      const second = await runMultus({ ...call, netns: '', command: 'DEL' });
      expectSuccess(second);
      expect(second.stdout).toBe('');
      pod.expectGone();
      // And again with the dangling netns path and no cache at all: still success.
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      pod.expectGone();
    },
  );

  it(
    'quirk: DEL with an empty CNI_NETNS after the netns ' + 'is gone (ctr) releases every lease and the cache entry',
    async () => {
      const ns = `${ws.prefix}-e`;
      const netns = createNetns(ns, cleanup);
      const pod = new RuntimePod(ws, 'e', NET, 41, cleanup);
      const conf = { ...pod.multusPlugin({ binDir: REFERENCE_PLUGINS }), cniVersion: '1.0.0', name: `${ws.prefix}e` };
      const call = { config: conf, containerId: `${ws.prefix}-ctr-e`, cniArgs: '' }; // ctr passes no CNI_ARGS

      const add = await runMultus({ ...call, netns, command: 'ADD' });
      expectSuccess(add);
      expect(ipv4Of(ns, 'eth0')).toHaveLength(1);
      expect(leaseFiles(pod.ipamDir)).toHaveLength(3);
      // The task exited: its netns (and the veths' pod ends) are gone before ctr calls DEL.
      ip(['netns', 'del', ns]);

      const del = await runMultus({ ...call, netns: '', config: { ...conf, prevResult: add.json }, command: 'DEL' });
      expectSuccess(del);
      expect(del.stdout).toBe('');
      pod.expectGone();
      // Again, as a retrying runtime would: nothing to do, still success.
      expectSuccess(await runMultus({ ...call, netns: '', command: 'DEL' }));
      pod.expectGone();
    },
  );

  it(
    'quirk: PascalCase runtimeConfig portMappings ({"HostPort":8080,...}) in a chain [multus, portmap]: multus ' +
      'takes them, portmap DNATs to its result, the rule goes at DEL',
    async () => {
      cleanNatAfterTest();
      const ns = `${ws.prefix}-f`;
      const netns = createNetns(ns, cleanup);
      const pod = new RuntimePod(ws, 'f', NET, 51, cleanup);
      // As CRI's go-cni sends them: Go field names, no JSON tags.
      const runtimeConfig = { portMappings: [{ HostPort: 8080, ContainerPort: 80, Protocol: 'tcp', HostIP: '' }] };
      const list = { name: `${ws.prefix}f`, cniVersion: '1.0.0' };
      // libcni gives each plugin of the list the list's name and cniVersion and the runtimeConfig keys it declared.
      const multusConf = {
        ...pod.multusPlugin({ binDir: REFERENCE_PLUGINS, capabilities: { portMappings: true } }),
        ...list,
        runtimeConfig,
      };
      const portmapConf = { ...PORTMAP_PLUGIN, ...list, runtimeConfig };
      const ids = {
        containerId: `${ws.prefix}-ctr-f`,
        netns,
        cniArgs: `IgnoreUnknown=1;K8S_POD_NAMESPACE=rc-ns;K8S_POD_NAME=${ws.prefix}-pod-f`,
      };

      const add = await runMultus({ ...ids, config: multusConf, command: 'ADD' });
      expectSuccess(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
      const chained = runPortmap({ ...ids, command: 'ADD' }, { ...portmapConf, prevResult: add.json });
      const eth0 = (ipv4Of(ns, 'eth0')[0] ?? '').split('/')[0];
      const dnat = (): string[] =>
        natRules().filter((r) => r.includes('--dport 8080') && r.includes(`--to-destination ${eth0}:80`));
      expect(dnat()).toHaveLength(1);
      // portmap passes multus's result on: the master bridge's eth0.
      expect((chained?.['ips'] as Array<{ address: string }>).map((i) => i.address)).toEqual(ipv4Of(ns, 'eth0'));
      // The master bridge did not declare portMappings: multus did not pass them on (libcni's rule).
      const entry = JSON.parse(readFileSync(cacheFile(pod.cniDir, ids.containerId), 'utf8')) as {
        attachments: Array<{ confs: Array<Record<string, unknown>> }>;
      };
      expect(entry.attachments.flatMap((a) => a.confs).filter((c) => 'runtimeConfig' in c)).toEqual([]);

      // DEL in reverse, each with the list's result as prevResult.
      runPortmap({ ...ids, command: 'DEL' }, { ...portmapConf, prevResult: chained });
      expect(dnat()).toEqual([]);
      expect(natRules().filter((r) => r.includes('--dport 8080'))).toEqual([]);
      const del = await runMultus({ ...ids, config: { ...multusConf, prevResult: chained }, command: 'DEL' });
      expectSuccess(del);
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      pod.expectGone();
    },
  );
});
