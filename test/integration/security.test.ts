/**
 * Security hardening, through dist/multus with real network namespaces:
 * (a) a delegate `type` that is not a plain plugin name ("../../bin/sh", "/usr/bin/id", "a/b", ...)
 *     is code 7 naming `delegates[i].type`, before anything runs;
 * (b) a plugin directory or binary that group or others may write is refused with code 107
 *     naming the path and mode; nothing is made (or, refused after the master ran, rolled back).
 *     Also a plugin that is a symlink into a world-writable dir, and a plugin binary owned by
 *     another (non-root) user (both ran before e4f123b);
 * (c) a kubeconfig with a bearer token AND a client certificate and key, at log level debug and
 *     trace, to stderr and a logFile: neither the token nor any line of the key or certificate
 *     (PEM or base64) appears in the logs or on stdout, for a good ADD/DEL and for failing ADDs
 *     (403, 401, an unparsable kubeconfig); the log file is 0600, the cache file 0600 in a 0700 dir;
 * (d) delegates get a clean env (the documented CNI_* and PATH) however much multus was given;
 * (e) a delegate printing more than 1 MiB on stdout is code 102 naming the limit, rolled back.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { addNad, expectNoStackTraces, NETWORKS_ANNOTATION, podCniArgs, useKubeCluster } from './support/kube-cluster';
import {
  bridgePorts,
  createNetns,
  hostAddrsWithPrefix,
  hostLink,
  hostLinksInto,
  ipv4Of,
  netnsLinkNames,
} from './support/net';
import { RecordingBinDir } from './support/recording';
import {
  CALLER_PATH,
  expectCniError,
  expectSuccess,
  REFERENCE_PLUGINS,
  runMultus,
  type MultusCall,
  type MultusRun,
} from './support/run-multus';
import { cacheFile, cacheFiles, leaseFiles } from './support/workspace';

const NET = 241; // 10.241.0.0/16 belongs to this file
const sub = (third: number): string => `10.${NET}.${third}.0/24`;
/** The faulty-output test plugin: linked into bin dirs as `probe`, it logs every call to its `callLog`. */
const OUTPUT_PLUGIN = join(__dirname, '..', 'plugins', 'output-plugin.js');
const NAMESPACE = 'se-ns';
const MULTUS_NAMESPACE = 'kube-system';
/** The seven variables the docs promise a delegate (docs/configuration.md, "Environment"). */
/** One test's pod: its netns, container id, dirs (cniDir and ipamDir inside `dir`) and bridge name. */
interface Pod {
  readonly ns: string;
  readonly netns: string;
  readonly containerId: string;
  readonly dir: string;
  readonly cniDir: string;
  readonly ipamDir: string;
  readonly bridge: string;
}
const DELEGATE_ENV_KEYS = ['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'PATH'];

describe('security hardening', () => {
  const { ws, cleanup, perFile, cluster } = useKubeCluster('se');
  let serial = 0;

  /** A fresh netns, container id, cniDir, ipam dir and bridge name for one test, all removed after it. */
  function pod(): Pod {
    const n = ++serial;
    const ns = `${ws.prefix}-${n}`;
    const dir = join(ws.dir, `t${n}`);
    mkdirSync(dir, { mode: 0o755 });
    cleanup.dir(dir);
    const bridge = `${ws.prefix}b${n}`;
    cleanup.link(bridge);
    return {
      ns,
      netns: createNetns(ns, cleanup),
      containerId: `${ws.prefix}-c${n}`,
      dir,
      cniDir: join(dir, 'cache'),
      ipamDir: join(dir, 'ipam'),
      bridge,
    };
  }

  /**
   * Nothing of a pod anywhere: only lo in its netns, no host veth into it, no leases, no cache file, no address of the
   * file's subnets on the host.
   */
  function expectNothingLeft(p: { ns: string; cniDir: string; ipamDir: string }, bridges: readonly string[]): void {
    expect(netnsLinkNames(p.ns)).toEqual(['lo']);
    expect(hostLinksInto(p.ns)).toEqual([]);
    expect(leaseFiles(p.ipamDir)).toEqual([]);
    expect(cacheFiles(p.cniDir)).toEqual([]);
    expect(bridges.flatMap((b) => bridgePorts(b))).toEqual([]);
    expect(hostAddrsWithPrefix(`10.${NET}.`)).toEqual([]);
  }

  /** A bin dir (mode 0755) with the output plugin linked in as `probe`. */
  function probeBinDir(dir: string, name = 'bin'): string {
    const binDir = join(dir, name);
    mkdirSync(binDir, { mode: 0o755 });
    chmodSync(binDir, 0o755);
    symlinkSync(OUTPUT_PLUGIN, join(binDir, 'probe'));
    return binDir;
  }

  /** Multus's config for pod `p`: `delegates` from `binDir`, the cache in the pod's cniDir. */
  function multusConfig(name: string, binDir: string, p: Pod, delegates: unknown[]): Record<string, unknown> {
    return { name, type: 'multus', cniVersion: '1.0.0', binDir, cniDir: p.cniDir, delegates };
  }

  /** A bridge delegate on the pod's bridge, host-local in the subnet `third`. */
  function bridgeDelegate(name: string, p: Pod, third: number): Record<string, unknown> {
    const ipam = { type: 'host-local', subnet: sub(third), dataDir: p.ipamDir };
    return { name, type: 'bridge', bridge: p.bridge, ipam };
  }

  function add(p: Pod, config: Record<string, unknown>): Promise<MultusRun> {
    return runMultus({ command: 'ADD', config, containerId: p.containerId, netns: p.netns });
  }

  /** A bin dir (0755) in the pod's dir holding a real copy of the bridge plugin: had it run, the bridge would exist. */
  function bridgeCopyBinDir(p: Pod): { binDir: string; binary: string } {
    const binDir = join(p.dir, 'bin');
    mkdirSync(binDir, { mode: 0o755 });
    const binary = join(binDir, 'bridge');
    copyFileSync(join(REFERENCE_PLUGINS, 'bridge'), binary);
    return { binDir, binary };
  }

  /** Refused with `code` naming each of `fragments`, no stack trace, no bridge made, nothing of the pod left. */
  function expectRefused(run: MultusRun, code: number, fragments: readonly string[], p: Pod): void {
    const error = expectCniError(run, code);
    for (const fragment of fragments) expect(error.msg).toContain(fragment);
    expectNoStackTraces(run);
    expect(hostLink(p.bridge)).toBeUndefined();
    expectNothingLeft(p, []);
  }

  function calls(callLog: string): string[] {
    return existsSync(callLog) ? readFileSync(callLog, 'utf8').trim().split('\n') : [];
  }

  describe('(a) a delegate type that is not a plain plugin name', () => {
    it.each([
      { type: '../../bin/sh', at: 2 },
      { type: '/usr/bin/id', at: 1 },
      { type: 'a/b', at: 0 },
      { type: '..', at: 1 },
      { type: 'a\\b', at: 2 },
    ])('type $type at delegates[$at]: exit 1, code 7 naming delegates[$at].type, nothing run', async ({ type, at }) => {
      const p = pod();
      const binDir = probeBinDir(p.dir);
      const callLog = join(p.dir, 'calls.log');
      const delegates: Array<Record<string, unknown>> = [
        bridgeDelegate('se-a-master', p, 10),
        { name: 'se-a-probe', type: 'probe', callLog },
        { name: 'se-a-ptp', type: 'ptp', ipam: { type: 'host-local', subnet: sub(11), dataDir: p.ipamDir } },
      ];
      delegates[at] = { name: 'se-a-bad', type };

      const run = await add(p, multusConfig('se-a', binDir, p, delegates));

      expectRefused(run, 7, [`delegates[${at}].type`], p);
      expect(calls(callLog)).toEqual([]);
    });
  });

  describe('(b) plugin directories and binaries writable by group or others', () => {
    it.each([
      { what: 'a world-writable bin dir (0777)', mode: 0o777, shown: '0777' },
      { what: 'a group-writable bin dir (0775)', mode: 0o775, shown: '0775' },
      { what: 'a world-writable bin dir with the sticky bit (1777, like /tmp)', mode: 0o1777, shown: '1777' },
    ])(
      '$what holding the master plugin: exit 1, code 107 naming the dir and mode, nothing run',
      async ({ mode, shown }) => {
        const p = pod();
        const binDir = probeBinDir(p.dir);
        chmodSync(binDir, mode);
        const callLog = join(p.dir, 'calls.log');
        const config = multusConfig('se-b', binDir, p, [
          { name: 'se-b-probe', type: 'probe', callLog, printStdout: { cniVersion: '1.0.0' } },
          bridgeDelegate('se-b-br', p, 20),
        ]);

        const run = await add(p, config);

        expectRefused(run, 107, [`plugin directory ${binDir} `, `mode ${shown}`, '"se-b-probe"'], p);
        expect(calls(callLog)).toEqual([]);
      },
    );

    it(
      'a world-writable bin dir holding the second delegate: ' + 'the master is rolled back, code 107, nothing left',
      async () => {
        const p = pod();
        const binDir = probeBinDir(p.dir);
        chmodSync(binDir, 0o777);
        const callLog = join(p.dir, 'calls.log');
        const config = multusConfig('se-b', binDir, p, [
          bridgeDelegate('se-b-br', p, 21),
          { name: 'se-b-probe', type: 'probe', callLog },
        ]);

        const run = await add(p, config);

        const error = expectCniError(run, 107);
        expect(error.msg).toContain(`plugin directory ${binDir} `);
        expect(error.msg).toContain('mode 0777');
        expectNoStackTraces(run);
        expect(calls(callLog)).toEqual([]);
        expectNothingLeft(p, [p.bridge]);
      },
    );

    it.each([
      { what: 'group-writable (0775)', mode: 0o775, shown: '0775' },
      { what: 'writable by others (0757)', mode: 0o757, shown: '0757' },
    ])(
      'a plugin binary $what in a safe dir: exit 1, code 107 naming the binary and mode, nothing made',
      async ({ mode, shown }) => {
        const p = pod();
        const { binDir, binary } = bridgeCopyBinDir(p);
        chmodSync(binary, mode);

        const run = await add(p, multusConfig('se-b', binDir, p, [bridgeDelegate('se-b-br', p, 22)]));

        expectRefused(run, 107, [`plugin binary ${binary} `, `mode ${shown}`], p);
      },
    );

    // Both of these ran the plugin before e4f123b (the finder looked only at the mode bits of the
    // dir holding the name and of the file it resolved to, never at where a symlink leads or at
    // ownership). Whatever the outcome, the test DELs what the ADD made before asserting, so a
    // failure leaves nothing behind.
    it.each([
      {
        what:
          'a plugin that is a symlink into a world-writable dir: refused with code 107 (the binary there can be ' +
          'replaced)',
        third: 23,
        /** The bridge copy moved into a 0777 dir, a symlink to it left in the bin dir. */
        arrange: (p: Pod, binary: string): string[] => {
          const dropDir = join(p.dir, 'drop');
          mkdirSync(dropDir);
          chmodSync(dropDir, 0o777);
          copyFileSync(binary, join(dropDir, 'bridge'));
          unlinkSync(binary);
          chmodSync(join(dropDir, 'bridge'), 0o755);
          symlinkSync(join(dropDir, 'bridge'), binary);
          return [dropDir, 'mode 0777'];
        },
      },
      {
        what:
          'a plugin binary owned by another user (nobody, mode 0755): refused with code 107 (that user can replace ' +
          'it)',
        third: 24,
        arrange: (_p: Pod, binary: string): string[] => {
          chmodSync(binary, 0o755);
          chownSync(binary, 65534, 65534);
          return [binary];
        },
      },
    ])('$what', async ({ third, arrange }) => {
      const p = pod();
      const { binDir, binary } = bridgeCopyBinDir(p);
      const fragments = arrange(p, binary);
      const config = multusConfig('se-b', binDir, p, [bridgeDelegate('se-b-br', p, third)]);

      const run = await add(p, config);
      if (run.exitCode === 0)
        expectSuccess(await runMultus({ command: 'DEL', config, containerId: p.containerId, netns: p.netns }));

      const error = expectCniError(run, 107);
      for (const fragment of fragments) expect(error.msg).toContain(fragment);
      expect(hostLink(p.bridge)).toBeUndefined();
      expectNothingLeft(p, []);
    });
  });

  describe('(c) kubeconfig credentials never reach a log line', () => {
    /** A throwaway client key and self-signed certificate (RSA, so the PEM has many lines to look for). */
    let clientKeyPem: string;
    let clientCertPem: string;
    let kubeconfig: string;
    let brokenKubeconfig: string;
    let secrets: string[];

    beforeAll(() => {
      const { server } = cluster;
      const dir = join(ws.dir, 'client');
      mkdirSync(dir, { mode: 0o700 });
      execFileSync(
        '/usr/bin/openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'client.key'),
          '-out',
          join(dir, 'client.crt'),
          '-days',
          '1',
          '-subj',
          '/CN=system:serviceaccount:kube-system:multus',
        ],
        { stdio: 'ignore' },
      );
      clientKeyPem = readFileSync(join(dir, 'client.key'), 'utf8');
      clientCertPem = readFileSync(join(dir, 'client.crt'), 'utf8');
      const b64 = (text: string): string => Buffer.from(text).toString('base64');
      const q = (s: string): string => JSON.stringify(s);
      const lines = (user: string[]): string[] => [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: se-cluster',
        '  cluster:',
        `    server: ${q(server.url)}`,
        `    certificate-authority-data: ${q(b64(server.certs.caPem))}`,
        'users:',
        `- name: ${q(server.user)}`,
        '  user:',
        ...user,
        'contexts:',
        '- name: se',
        '  context:',
        '    cluster: se-cluster',
        `    user: ${q(server.user)}`,
        'current-context: se',
      ];
      const credentials = [
        `    token: ${q(server.token)}`,
        `    client-certificate-data: ${q(b64(clientCertPem))}`,
        `    client-key-data: ${q(b64(clientKeyPem))}`,
      ];
      kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, `${lines(credentials).join('\n')}\n`, { mode: 0o600 });
      // The same credentials, then a line YAML cannot parse: a YAML error quotes the lines around it.
      brokenKubeconfig = join(dir, 'kubeconfig-broken');
      writeFileSync(brokenKubeconfig, `${lines([...credentials, '    oops: [unclosed']).join('\n')}\n`, {
        mode: 0o600,
      });

      const pemLines = [clientKeyPem, clientCertPem].flatMap((pem) => pem.split('\n').filter((l) => l.trim() !== ''));
      // Pieces of the base64 as the kubeconfig holds it, past the common "-----BEGIN ..." prefix.
      const b64Pieces = [b64(clientKeyPem), b64(clientCertPem)].flatMap((s) =>
        Array.from({ length: Math.floor((s.length - 48) / 40) }, (_v, i) => s.slice(48 + i * 40, 88 + i * 40)),
      );
      secrets = [server.token, server.token.slice(0, 12), server.token.slice(-12), ...pemLines, ...b64Pieces];

      const hostLocal = (third: number): Record<string, unknown> => ({
        type: 'host-local',
        subnet: sub(third),
        dataDir: join(ws.dir, 'ipam-c'),
      });
      addNad(server, MULTUS_NAMESPACE, 'se-cluster', {
        cniVersion: '1.0.0',
        name: 'se-cluster',
        type: 'bridge',
        bridge: `${ws.prefix}kc`,
        ipam: hostLocal(30),
      });
      addNad(server, NAMESPACE, 'se-extra', {
        cniVersion: '1.0.0',
        name: 'se-extra',
        type: 'ptp',
        ipam: hostLocal(31),
      });
      perFile.link(`${ws.prefix}kc`);
    });

    /** The secrets found in `text` (shortened for the failure message). */
    function leakedIn(text: string): string[] {
      return secrets.filter((s) => text.includes(s)).map((s) => `${s.slice(0, 16)}…`);
    }

    it('the leak detector finds every secret in the kubeconfig and the PEM files (so a leak would be seen)', () => {
      expect(secrets.length).toBeGreaterThan(60);
      expect(leakedIn(readFileSync(kubeconfig, 'utf8') + clientKeyPem + clientCertPem)).toHaveLength(secrets.length);
      expect(leakedIn(readFileSync(kubeconfig, 'utf8'))).toHaveLength(
        secrets.length -
          clientKeyPem.split('\n').filter((l) => l !== '').length -
          clientCertPem.split('\n').filter((l) => l !== '').length,
      );
    });

    it.each(['debug', 'trace'])(
      'logLevel %s: good ADD and DEL, then ADDs failing on 403, 401 and a broken kubeconfig: no token, key or ' +
        'cert anywhere; log 0600, cache 0600 in 0700',
      async (level) => {
        const { server } = cluster;
        const p = pod();
        const logFile = join(p.dir, 'logs', 'multus.log');
        const ipamDir = join(ws.dir, 'ipam-c');
        cleanup.dir(ipamDir);
        const config = {
          name: 'multus-cni-network',
          type: 'multus',
          cniVersion: '1.0.0',
          kubeconfig,
          clusterNetwork: 'se-cluster',
          cniDir: p.cniDir,
          logLevel: level,
          logFile,
          logToStderr: true,
        };
        const podRef = { namespace: NAMESPACE, name: `pod-${level}`, uid: randomUUID() };
        server.addPod({ ...podRef, annotations: { [NETWORKS_ANNOTATION]: 'se-extra' } });
        const call = (command: MultusCall['command'], containerId = p.containerId): MultusCall => ({
          command,
          config,
          containerId,
          netns: p.netns,
          cniArgs: podCniArgs(podRef, containerId),
        });
        const runs: MultusRun[] = [];

        const add = await runMultus(call('ADD'));
        runs.push(add);
        expectSuccess(add);
        expect(netnsLinkNames(p.ns)).toEqual(['eth0', 'lo', 'net0']);
        expect(ipv4Of(p.ns, 'net0')).toHaveLength(1);
        expect(statSync(cacheFile(p.cniDir, p.containerId)).mode & 0o777).toBe(0o600);
        expect(statSync(p.cniDir).mode & 0o777).toBe(0o700);
        const del = await runMultus(call('DEL'));
        runs.push(del);
        expectSuccess(del);
        expectNothingLeft({ ...p, ipamDir }, [`${ws.prefix}kc`]);

        // 403 on the selected NetworkAttachmentDefinition, after the cluster network was read.
        server.failNext(
          {
            method: 'GET',
            pathPrefix: `/apis/k8s.cni.cncf.io/v1/namespaces/${NAMESPACE}/network-attachment-definitions/se-extra`,
          },
          { status: 403 },
        );
        const forbidden = await runMultus(call('ADD', `${p.containerId}-403`));
        runs.push(forbidden);
        expect(expectCniError(forbidden, 104).msg).toContain(`user "${server.user}"`);
        // 401 on the first request, whatever it is.
        server.failNext({ method: 'GET' }, { status: 401 });
        const unauthorized = await runMultus(call('ADD', `${p.containerId}-401`));
        runs.push(unauthorized);
        expectCniError(unauthorized, 104);
        // A kubeconfig that YAML cannot parse, right after the credentials.
        const broken = await runMultus({
          ...call('ADD', `${p.containerId}-yaml`),
          config: { ...config, kubeconfig: brokenKubeconfig },
        });
        runs.push(broken);
        expect(expectCniError(broken, 7).msg).toContain(brokenKubeconfig);
        expectNothingLeft({ ...p, ipamDir }, [`${ws.prefix}kc`]);

        const log = readFileSync(logFile, 'utf8');
        // The log is real: the good ADD's debug line and every failure are in it.
        expect(log).toContain('attachment added');
        expect(log.match(/"msg":"ADD failed: /gu) ?? []).toHaveLength(3);
        expect(statSync(logFile).mode & 0o777).toBe(0o600);
        expect(leakedIn(log)).toEqual([]);
        for (const run of runs) {
          expect(leakedIn(run.stderr)).toEqual([]);
          expect(leakedIn(run.stdout)).toEqual([]);
        }
        expectNoStackTraces(...runs);
      },
    );
  });

  describe('(d) the delegate environment', () => {
    it(
      'delegates see exactly CNI_COMMAND/CONTAINERID/NETNS/IFNAME/ARGS/PATH and PATH, at ADD and DEL, whatever ' +
        'multus was started with',
      async () => {
        const p = pod();
        const bin = new RecordingBinDir(join(p.dir, 'rec-bin'), ['rec-master', 'rec-side']);
        chmodSync(bin.binDir, 0o755);
        const config = {
          name: 'se-env',
          type: 'multus',
          cniVersion: '1.0.0',
          binDir: bin.binDir,
          cniDir: p.cniDir,
          delegates: [
            { type: 'rec-master', standIn: { address: `10.${NET}.40.5/24` } },
            { type: 'rec-side', standIn: { address: `10.${NET}.41.5/24` } },
          ],
        };
        const secret = `se-secret-${randomUUID()}`;
        const extraEnv = {
          KUBECONFIG: '/etc/kubernetes/admin.conf',
          HOME: '/root',
          USER: 'root',
          SECRET_TOKEN: secret,
          AWS_SECRET_ACCESS_KEY: secret,
          HTTPS_PROXY: 'http://proxy.invalid:3128',
          LD_LIBRARY_PATH: '/opt/se/lib',
          NODE_OPTIONS: '--max-old-space-size=64',
          KUBERNETES_SERVICE_HOST: '10.96.0.1',
          CNI_EXTRA_SECRET: secret,
        };
        const base = {
          config,
          containerId: p.containerId,
          netns: p.netns,
          extraEnv,
          cniPath: `${bin.binDir}:${REFERENCE_PLUGINS}`,
        };

        expectSuccess(await runMultus({ ...base, command: 'ADD' }));
        expectSuccess(await runMultus({ ...base, command: 'DEL' }));

        expect(bin.files()).toEqual([
          'rec-master-ADD-eth0.json',
          'rec-master-DEL-eth0.json',
          'rec-side-ADD-net0.json',
          'rec-side-DEL-net0.json',
        ]);
        for (const [type, command, ifname] of [
          ['rec-master', 'ADD', 'eth0'],
          ['rec-side', 'ADD', 'net0'],
          ['rec-side', 'DEL', 'net0'],
          ['rec-master', 'DEL', 'eth0'],
        ] as const) {
          const rec = bin.read(type, command, ifname);
          expect({ type, command, keys: rec.envKeys }).toEqual({ type, command, keys: DELEGATE_ENV_KEYS });
          expect(rec.env['PATH']).toBe(CALLER_PATH);
          expect(rec.env['CNI_COMMAND']).toBe(command);
          expect(JSON.stringify(rec)).not.toContain(secret);
        }
        expect(cacheFiles(p.cniDir)).toEqual([]);
      },
    );

    it('the recording stand-in is what it claims (sanity): run directly with extra env, it records that env', () => {
      const dir = join(ws.dir, 'sanity-bin');
      const bin = new RecordingBinDir(dir, ['rec-sanity']);
      cleanup.dir(dir);
      execFileSync(join(bin.binDir, 'rec-sanity'), [], {
        input: JSON.stringify({ cniVersion: '1.0.0', name: 'x', type: 'rec-sanity' }),
        env: { PATH: CALLER_PATH, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth0', SECRET_TOKEN: 'visible' },
      });
      expect(bin.read('rec-sanity', 'DEL', 'eth0').envKeys).toContain('SECRET_TOKEN');
    });
  });

  describe('(e) a delegate printing more than 1 MiB on stdout', () => {
    it('code 102 naming the 1 MiB limit, the plugin and network; the master is rolled back, nothing left', async () => {
      const p = pod();
      const binDir = probeBinDir(p.dir);
      const callLog = join(p.dir, 'calls.log');
      const chunk = `${'x'.repeat(65_535)}\n`;
      const config = {
        name: 'se-big',
        type: 'multus',
        cniVersion: '1.0.0',
        binDir,
        cniDir: p.cniDir,
        delegates: [
          {
            name: 'se-big-br',
            type: 'bridge',
            bridge: p.bridge,
            ipam: { type: 'host-local', subnet: sub(50), dataDir: p.ipamDir },
          },
          // 17 × 64 KiB = 1.06 MiB, exit 0.
          { name: 'se-big-probe', type: 'probe', callLog, printStdout: chunk, stdoutRepeat: 17 },
        ],
      };

      const add = await runMultus({ command: 'ADD', config, containerId: p.containerId, netns: p.netns });

      const error = expectCniError(add, 102);
      expect(error.msg).toContain('more than 1048576 bytes');
      expect(error.msg).toContain('"se-big-probe"');
      expect(error.msg).toContain('"probe"');
      expect(add.stdout.length).toBeLessThan(4096);
      expectNoStackTraces(add);
      expect(calls(callLog)).toEqual(['ADD net0', 'DEL net0']);
      expectNothingLeft(p, [p.bridge]);
    });
  });
});
