/**
 * Real runtime 1: podman. Debian's podman 4.3 with its CNI network backend execs the compiled
 * dist/multus as the only plugin of a `.conflist`, exactly as it would any CNI plugin; multus
 * runs bridge (master, eth0), ptp (net0) and macvlan (net1). The container's own `ip addr`
 * shows the three interfaces, it pings the bridge gateway, and after `--rm` nothing is left. In
 * thick mode, podman runs dist/multus-shim instead, and a `multus daemon` of the test serves it.
 *
 * Everything podman writes is in a temp dir (support/runtime-podman.ts says what, and what podman
 * 4.3 cannot be told to put elsewhere). The image is built here from busybox-static and
 * `podman import`ed: no registry. scripts/runtime-setup.sh (run from beforeAll) installs podman,
 * runc and busybox-static when missing.
 *
 * Podman passes `CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=<container name>`: no namespace and no
 * UID, so these pods are file-mode pods without a namespace. The recorded test shows the calls
 * podman makes, VERSION probe included; the last test covers the VERSION probe directly.
 *
 * This file owns 10.242.0.0/16 and the tag `rp`.
 */
import { join } from 'node:path';
import { readdirSync, existsSync } from 'node:fs';
import { Cleanup, expectClean } from './support/cleanup';
import { createNetns, ipv4Of, netnsLinkNames } from './support/net';
import { assertIntegrationPrerequisites, expectSuccess, runMultus } from './support/run-multus';
import { expectToolOk, netnsNames, parseIpAddr, runRuntimeSetup, SETUP_TIMEOUT_MS } from './support/runtime-host';
import { buildBusyboxRootfs, tarRootfs } from './support/runtime-image';
import { PodmanEnv } from './support/runtime-podman';
import { ThickDaemon } from './support/thick';
import { multusBinDir, RecordingMultusDir, RuntimePod } from './support/runtime-pod';
import { withoutEmptyDns } from './support/seed-pod';
import { cacheFiles, createWorkspace, leaseFiles, type Workspace } from './support/workspace';

const NET = 242; // 10.242.0.0/16 belongs to this file
const IMAGE = 'localhost/multus-it-busybox:rp';
const LIBCNI_RESULTS = '/var/lib/cni/results';
/** The environment of libcni's VERSION probe, as recorded from podman 4.3 (libcni 1.1). */
const VERSION_PROBE_ENV = {
  CNI_COMMAND: 'VERSION',
  CNI_CONTAINERID: '',
  CNI_NETNS: 'dummy',
  CNI_IFNAME: 'dummy',
  CNI_ARGS: '',
  CNI_PATH: 'dummy',
} as const;

describe('podman 4.3 (CNI backend) runs multus from a .conflist', () => {
  const perFile = new Cleanup();
  const cleanup = new Cleanup(); // per test
  let ws: Workspace;
  let imageTar: string;

  beforeAll(() => {
    runRuntimeSetup();
    assertIntegrationPrerequisites();
    ws = createWorkspace('rp', perFile);
    imageTar = tarRootfs(buildBusyboxRootfs(join(ws.dir, 'rootfs')), join(ws.dir, 'busybox-rootfs.tar'));
  }, SETUP_TIMEOUT_MS + 30_000);

  afterEach(() => expectClean(cleanup.runAll()));
  afterAll(() => expectClean(perFile.runAll()));

  /** A podman with its own storage and config, `binDir` as its first CNI plugin dir, the image imported. */
  async function podmanWith(binDir: string, suffix: string): Promise<PodmanEnv> {
    const podman = new PodmanEnv(join(ws.dir, `podman-${suffix}`), binDir, `${ws.prefix}${suffix}`, cleanup);
    await podman.importImage(imageTar, IMAGE);
    return podman;
  }

  /** libcni's own result cache files for `network` (podman writes them on ADD, removes them on DEL). */
  function libcniResults(network: string): string[] {
    return existsSync(LIBCNI_RESULTS) ? readdirSync(LIBCNI_RESULTS).filter((f) => f.startsWith(`${network}-`)) : [];
  }

  it(
    'podman run --rm: eth0, net0, net1 in their subnets, ' + 'the bridge gateway answers, then nothing is left',
    async () => {
      const pod = new RuntimePod(ws, 'a', NET, 1, cleanup);
      const podman = await podmanWith(multusBinDir(join(ws.dir, 'bin-a')), 'a');
      const network = `${ws.prefix}a`;
      podman.writeNetwork(network, pod.conflist(network));
      const namespacesBefore = netnsNames();

      const name = `${ws.prefix}-pod-a`;
      const run = await podman.run(name, network, IMAGE, ['sh', '-c', `ip addr && ping -c1 -W2 ${pod.gateway}`]);

      expectToolOk(run, 'podman run');
      const links = parseIpAddr(run.stdout);
      pod.expectUp(links);
      expect(run.stdout).toMatch(/1 packets transmitted, 1 packets received/u);
      // multus was called with the pod name podman passes, and no namespace.
      const lines = pod.logLines();
      expect(lines.filter((l) => l['msg'] === 'ADD done')).toEqual([expect.objectContaining({ podName: name })]);
      expect(lines.filter((l) => l['msg'] === 'DEL done')).toEqual([expect.objectContaining({ podName: name })]);
      expect(lines.some((l) => 'podNamespace' in l)).toBe(false);
      expect(lines.filter((l) => (l['level'] as number) >= 40)).toEqual([]);

      // The container is gone, and so is everything multus and its delegates made for it.
      expect(await podman.containers()).toEqual([]);
      pod.expectGone();
      // Other test files (running in parallel) name their namespaces <tag><pid>-...: not podman's.
      expect(netnsNames().filter((n) => !namespacesBefore.includes(n) && !/^[a-z]{2}\d+-/u.test(n))).toEqual([]);
      expect(libcniResults(network)).toEqual([]);
    },
    120_000,
  );

  it(
    'thick mode: podman runs multus-shim, a multus daemon serves ADD and DEL (no fallback allowed); eth0, net0, ' +
      'net1 up, then nothing is left',
    async () => {
      const pod = new RuntimePod(ws, 'd', NET, 31, cleanup);
      const daemon = await ThickDaemon.start(ws.dir, cleanup);
      const podman = await podmanWith(multusBinDir(join(ws.dir, 'bin-d'), { shim: true }), 'd');
      const network = `${ws.prefix}d`;
      const multus = pod.multusPlugin({ daemonSocketDir: daemon.socketDir, daemonFallback: 'fail' });
      podman.writeNetwork(network, {
        cniVersion: '1.0.0',
        name: network,
        plugins: [{ ...multus, type: 'multus-shim' }],
      });

      const name = `${ws.prefix}-pod-d`;
      const run = await podman.run(name, network, IMAGE, ['sh', '-c', `ip addr && ping -c1 -W2 ${pod.gateway}`]);

      expectToolOk(run, 'podman run');
      pod.expectUp(parseIpAddr(run.stdout));
      expect(run.stdout).toMatch(/1 packets transmitted, 1 packets received/u);
      // The daemon ran both calls (the config's logFile is the pod's): each line names its request.
      const served = pod.logLines().filter((l) => l['msg'] === 'ADD done' || l['msg'] === 'DEL done');
      expect(served.map((l) => [l['msg'], l['podName'], typeof l['requestId']])).toEqual([
        ['ADD done', name, 'string'],
        ['DEL done', name, 'string'],
      ]);
      expect(existsSync(join(daemon.socketDir, 'shim-fallbacks.log'))).toBe(false);
      expect(daemon.running).toBe(true);
      expect(await podman.containers()).toEqual([]);
      pod.expectGone();
      expect(libcniResults(network)).toEqual([]);
    },
    120_000,
  );

  it(
    'what podman really passes: VERSION probe, K8S_POD_NAME ' + 'only, DEL with prevResult; multus answers each',
    async () => {
      const pod = new RuntimePod(ws, 'b', NET, 11, cleanup);
      const recorder = new RecordingMultusDir(join(ws.dir, 'bin-b'));
      const podman = await podmanWith(recorder.dir, 'b');
      const network = `${ws.prefix}b`;
      podman.writeNetwork(network, pod.conflist(network));

      const name = `${ws.prefix}-pod-b`;
      expectToolOk(
        await podman.podman([
          'run',
          '--detach',
          '--name',
          name,
          '--cgroup-parent',
          podman.cgroupParent,
          '--network',
          network,
          IMAGE,
          'sleep',
          '60',
        ]),
        'podman run -d',
      );
      // While it runs: the container's view matches multus's ADD result; leases and the cache entry exist.
      const exec = await podman.podman(['exec', name, 'ip', 'addr']);
      expectToolOk(exec, 'podman exec ip addr');
      const links = parseIpAddr(exec.stdout);
      pod.expectUp(links);
      expect(
        leaseFiles(pod.ipamDir)
          .map((f) => f.split('/').pop())
          .sort(),
      ).toEqual(RuntimePod.addresses(links));
      expect(cacheFiles(pod.cniDir).filter((f) => f.endsWith('.json'))).toHaveLength(1);

      expectToolOk(await podman.podman(['rm', '--force', '--time', '0', name]), 'podman rm -f');
      pod.expectGone();

      const calls = recorder.calls();
      const commands = calls.map((c) => c.command);
      // libcni probes the plugin's versions before it runs it.
      expect(commands.filter((c) => c !== 'VERSION')).toEqual(['ADD', 'DEL']);
      expect(commands.indexOf('VERSION')).toBeLessThan(commands.indexOf('ADD'));
      for (const call of calls)
        expect({ command: call.command, exitCode: call.exitCode }).toEqual({ command: call.command, exitCode: 0 });
      for (const probe of calls.filter((c) => c.command === 'VERSION')) {
        // libcni's GetVersionInfo: placeholder values, and only a cniVersion on stdin.
        expect(probe.env).toEqual(VERSION_PROBE_ENV);
        const asked = JSON.parse(probe.stdin) as { cniVersion: string };
        expect(Object.keys(asked)).toEqual(['cniVersion']);
        expect(JSON.parse(probe.stdout)).toEqual({
          cniVersion: asked.cniVersion,
          supportedVersions: expect.arrayContaining(['0.4.0', '1.0.0']),
        });
      }

      const add = calls.find((c) => c.command === 'ADD');
      const del = calls.find((c) => c.command === 'DEL');
      expect(add?.env['CNI_ARGS']).toBe(`IgnoreUnknown=1;K8S_POD_NAME=${name}`);
      expect(add?.env['CNI_IFNAME']).toBe('eth0');
      expect(add?.env['CNI_NETNS']).toMatch(/^\/run\/netns\/\S+$/u);
      expect(add?.env['CNI_PATH']?.split(':')).toEqual([recorder.dir, '/usr/lib/cni']);
      const addConf = JSON.parse(add?.stdin ?? '{}') as Record<string, unknown>;
      expect(addConf).toMatchObject({ cniVersion: '1.0.0', name: network, type: 'multus' });
      // The result multus printed is the bridge master's: eth0's address, the container's own view.
      const result = JSON.parse(add?.stdout ?? '{}') as { cniVersion: string; ips: Array<{ address: string }> };
      expect(result.cniVersion).toBe('1.0.0');
      expect(result.ips.map((i) => i.address)).toEqual([...(links.find((l) => l.ifname === 'eth0')?.inet ?? [])]);
      // DEL: same container, netns and args; prevResult is what multus printed at ADD (libcni's
      // round trip through its Go types adds an empty "dns").
      expect(del?.env['CNI_CONTAINERID']).toBe(add?.env['CNI_CONTAINERID']);
      expect(del?.env['CNI_NETNS']).toBe(add?.env['CNI_NETNS']);
      expect(del?.env['CNI_ARGS']).toBe(add?.env['CNI_ARGS']);
      expect(
        withoutEmptyDns((JSON.parse(del?.stdin ?? '{}') as { prevResult?: Record<string, unknown> }).prevResult),
      ).toEqual(result);
      expect(del?.stdout).toBe('');
    },
    120_000,
  );

  it(
    'the VERSION probe as libcni sends it (stdin {"cniVersion"} only, placeholder CNI_* values) answers without a ' +
      'config; the ADD after it works',
    async () => {
      const ns = `${ws.prefix}-c`;
      const netns = createNetns(ns, cleanup);
      const pod = new RuntimePod(ws, 'c', NET, 21, cleanup);
      const probe = {
        command: 'VERSION',
        containerId: VERSION_PROBE_ENV.CNI_CONTAINERID,
        netns: VERSION_PROBE_ENV.CNI_NETNS,
        ifname: VERSION_PROBE_ENV.CNI_IFNAME,
        cniArgs: VERSION_PROBE_ENV.CNI_ARGS,
        cniPath: VERSION_PROBE_ENV.CNI_PATH,
      } as const;
      for (const asked of ['0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
        const version = await runMultus({ ...probe, config: { cniVersion: asked } });
        expectSuccess(version);
        expect(version.json).toEqual({
          cniVersion: asked,
          supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
        });
      }
      const unknown = await runMultus({ ...probe, config: { cniVersion: '9.9.9' } });
      expectSuccess(unknown);
      expect(unknown.json?.['cniVersion']).toBe('1.1.0');

      const conf = { ...pod.multusPlugin(), cniVersion: '1.0.0', name: `${ws.prefix}c` };
      const call = {
        config: conf,
        containerId: `${ws.prefix}-ctr-c`,
        netns,
        cniArgs: `IgnoreUnknown=1;K8S_POD_NAME=${ws.prefix}-pod-c`,
      };
      expectSuccess(await runMultus({ ...call, command: 'ADD' }));
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
      expect(ipv4Of(ns, 'eth0')).toHaveLength(1);
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      pod.expectGone();
    },
  );
});
