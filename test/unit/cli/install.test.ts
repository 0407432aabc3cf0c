import { kubeconfigText } from './cli-test-support';
import {
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import type { CliIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/cli-main';
import { createInstallCommand, defaultMultusBin } from '../../../src/cli/install-command';
import { parseMultusConfig } from '../../../src/core/config/multus-config';
import { parseDaemonConfig, requestConfig } from '../../../src/core/config/thick-config';
import { useTempDir } from '../../support/temp-dir';

/**
 * `multus install` end to end, in a temp dir laid out as the DaemonSet's container sees the node:
 * <root>/host is the host's root (--host-prefix), <root>/sa the service account volume, <root>/image
 * the image's own binary. Nothing outside the temp dir is read or written, and the environment is
 * a Map.
 */
let root: string;
let host: string;
let binDir: string;
let confDir: string;
let saDir: string;
let image: string;

const FLANNEL = {
  name: 'cbr0',
  cniVersion: '0.3.1',
  plugins: [
    { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
    { type: 'portmap', capabilities: { portMappings: true } },
    { type: 'bandwidth', capabilities: { bandwidth: true, ignored: false } },
  ],
};

const tempRoot = useTempDir('multus-install-test-');
beforeEach(() => {
  root = tempRoot();
  host = join(root, 'host');
  binDir = join(host, 'opt', 'cni', 'bin');
  confDir = join(host, 'etc', 'cni', 'net.d');
  saDir = join(root, 'sa');
  image = join(root, 'image', 'multus');
  for (const d of [binDir, confDir, saDir, join(root, 'image')]) mkdirSync(d, { recursive: true });
  writeFileSync(image, '#!/bin/sh\necho multus v1\n', { mode: 0o755 });
  writeFileSync(join(saDir, 'token'), 'token-1');
  writeFileSync(join(saDir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
  writeFileSync(join(saDir, 'namespace'), 'kube-system');
});

interface Run {
  code: number;
  out: string;
  err: string;
}

const ENV = new Map([
  ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
  ['KUBERNETES_SERVICE_PORT', '443'],
]);

function io(env: ReadonlyMap<string, string> = ENV): CliIo & { text: { out: string; err: string } } {
  const text = { out: '', err: '' };
  return { env, text, out: (t) => (text.out += t), err: (t) => (text.err += t) };
}

/** Where the node's dirs and the image's binary are: every run names them. */
function layoutArgs(): string[] {
  return ['--host-prefix', host, '--cni-bin-dir', binDir, '--cni-conf-dir', confDir, '--multus-bin', image];
}

function baseArgs(): string[] {
  return [...layoutArgs(), '--service-account-dir', saDir];
}

async function multus(args: readonly string[], env?: ReadonlyMap<string, string>): Promise<Run> {
  const cli = io(env);
  const code = await runCli(['install', ...args], cli);
  return { code, ...cli.text };
}

function writeConf(name: string, conf: unknown): void {
  writeFileSync(join(confDir, name), typeof conf === 'string' ? conf : JSON.stringify(conf));
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Every file and dir under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => p)
    .sort();
}

const mode = (p: string): number => statSync(p).mode & 0o777;

const NODE_KUBECONFIG = kubeconfigText('https://10.96.0.1:443');

describe('multus install', () => {
  test(
    'fresh install: binary 0755, a conflist wrapping the primary, a service account kubeconfig, all 0600 but the ' +
      'config',
    async () => {
      writeConf('10-flannel.conflist', FLANNEL);
      const run = await multus(baseArgs());
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toContain(`primary CNI config ${join(confDir, '10-flannel.conflist')}`);

      expect(readFileSync(join(binDir, 'multus'), 'utf8')).toBe(readFileSync(image, 'utf8'));
      expect(mode(join(binDir, 'multus'))).toBe(0o755);

      const conflist = readJson(join(confDir, '00-multus.conflist'));
      expect(conflist).toEqual({
        cniVersion: '0.3.1',
        name: 'multus-cni-network',
        plugins: [
          {
            type: 'multus',
            capabilities: { bandwidth: true, portMappings: true, 'io.kubernetes.cri.pod-annotations': true },
            kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
            clusterNetwork: '/etc/cni/net.d/10-flannel.conflist',
          },
        ],
      });
      expect(mode(join(confDir, '00-multus.conflist'))).toBe(0o644);

      const kubeconfig = readFileSync(join(confDir, 'multus.d', 'multus.kubeconfig'), 'utf8');
      expect(kubeconfig).toContain('server: "https://10.96.0.1:443"');
      expect(kubeconfig).toContain('certificate-authority: "/etc/cni/net.d/multus.d/multus-ca.crt"');
      expect(kubeconfig).toContain('tokenFile: "/etc/cni/net.d/multus.d/multus.token"');
      expect(kubeconfig).not.toContain('token-1');
      expect(readFileSync(join(confDir, 'multus.d', 'multus.token'), 'utf8')).toBe('token-1');
      for (const f of ['multus.kubeconfig', 'multus.token', 'multus-ca.crt'])
        expect(mode(join(confDir, 'multus.d', f))).toBe(0o600);
      expect(mode(join(confDir, 'multus.d'))).toBe(0o700);

      // No temporary file is left behind.
      expect(tree(host).filter((p) => p.includes('.tmp-'))).toEqual([]);
    },
  );

  test("the written config passes the plugin's own parser, as libcni hands it over", async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    expect((await multus(baseArgs())).code).toBe(0);
    const list = readJson(join(confDir, '00-multus.conflist'));
    const plugin = {
      ...(list['plugins'] as Array<Record<string, unknown>>)[0],
      name: list['name'],
      cniVersion: list['cniVersion'],
    };
    const parsed = parseMultusConfig(plugin);
    expect(parsed.kubeconfig).toBe('/etc/cni/net.d/multus.d/multus.kubeconfig');
    expect(parsed.kubernetes.clusterNetwork).toBe('/etc/cni/net.d/10-flannel.conflist');
    expect(parsed.cniVersion).toBe('0.3.1');
  });

  test(
    're-install replaces the binary by rename: a new ' + 'inode, and a reader of the old one keeps its content',
    async () => {
      writeConf('10-flannel.conflist', FLANNEL);
      expect((await multus(baseArgs())).code).toBe(0);
      const target = join(binDir, 'multus');
      const before = statSync(target).ino;
      const held = openSync(target, 'r'); // as a running plugin holds its executable
      try {
        writeFileSync(image, '#!/bin/sh\necho multus v2\n', { mode: 0o755 });
        const run = await multus(baseArgs());
        expect(run.code).toBe(0);
        expect(statSync(target).ino).not.toBe(before);
        expect(readFileSync(target, 'utf8')).toContain('v2');
        const buf = Buffer.alloc(64);
        const n = readSync(held, buf, 0, 64, 0);
        expect(buf.subarray(0, n).toString()).toContain('v1');
      } finally {
        closeSync(held);
      }
      expect(run2Lines(await multus(baseArgs()))).toContain('multus install: configs already up to date');
    },
  );

  test('auto-detection takes the first config by name that is neither ours nor a multus config', async () => {
    // ours, from before
    writeConf('00-multus.conflist', { cniVersion: '0.3.1', name: 'multus-cni-network', plugins: [{ type: 'multus' }] });
    writeConf('05-multus-old.conf', {
      cniVersion: '0.3.1',
      name: 'old',
      type: 'multus',
      delegates: [{ type: 'bridge' }],
    });
    writeConf('30-bridge.conf', { cniVersion: '0.4.0', name: 'br', type: 'bridge' });
    writeConf('20-calico.conflist', { cniVersion: '1.0.0', name: 'k8s-pod-network', plugins: [{ type: 'calico' }] });
    writeFileSync(join(confDir, '10-notes.txt'), 'not a config');
    mkdirSync(join(confDir, '15-dir.conf'));
    const run = await multus(baseArgs());
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      `primary CNI config ${join(confDir, '20-calico.conflist')} (passed over 05-multus-old.conf: they run multus)`,
    );
    const list = readJson(join(confDir, '00-multus.conflist'));
    expect(list['cniVersion']).toBe('1.0.0');
    expect((list['plugins'] as Array<Record<string, unknown>>)[0]?.['clusterNetwork']).toBe(
      '/etc/cni/net.d/20-calico.conflist',
    );
  });

  test('--primary PATH names the primary explicitly', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    mkdirSync(join(host, 'etc', 'cni', 'multus'), { recursive: true });
    const other = join(host, 'etc', 'cni', 'multus', 'pod-net.conf');
    writeFileSync(
      other,
      JSON.stringify({ cniVersion: '1.0.0', name: 'pod-net', type: 'ptp', capabilities: { ips: true } }),
    );
    expect((await multus([...baseArgs(), '--primary', other])).code).toBe(0);
    const plugin = (readJson(join(confDir, '00-multus.conflist'))['plugins'] as Array<Record<string, unknown>>)[0];
    expect(plugin).toMatchObject({
      clusterNetwork: '/etc/cni/multus/pod-net.conf',
      capabilities: { ips: true, 'io.kubernetes.cri.pod-annotations': true },
    });
  });

  test('no primary config: exit 1, a message saying what to do, and nothing written', async () => {
    writeConf('05-multus-old.conf', {
      cniVersion: '0.3.1',
      name: 'old',
      type: 'multus',
      delegates: [{ type: 'bridge' }],
    });
    const before = tree(host);
    const run = await multus(baseArgs());
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `multus install: no primary CNI config in ${confDir}: no .conf/.conflist/.json file other than ` +
        `00-multus.conflist ` +
        '(passed over 05-multus-old.conf: they run multus). Install the cluster network (flannel, calico, ...) ' +
        'first, or name its config with --primary PATH\n',
    );
    expect(tree(host)).toEqual(before);
  });

  test.each([
    ['not JSON', '{"name": "cbr0", ', 'is not valid JSON'],
    ['no type', { name: 'cbr0', cniVersion: '0.3.1', plugins: [{ delegate: {} }] }, 'plugins[0] has no "type"'],
    [
      'a cniVersion multus does not speak',
      { name: 'cbr0', cniVersion: '0.9.0', plugins: [{ type: 'flannel' }] },
      'would not load: invalid multus config: cniVersion: must be one of 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, ' +
        '1.0.0, 1.1.0, got "0.9.0"',
    ],
  ])('a broken primary (%s): exit 1 naming the file, nothing written', async (_case, conf, message) => {
    writeConf('10-flannel.conflist', conf);
    const before = tree(host);
    const run = await multus(baseArgs());
    expect(run.code).toBe(1);
    expect(run.err).toContain(join(confDir, '10-flannel.conflist'));
    expect(run.err).toContain(message);
    expect(tree(host)).toEqual(before);
  });

  test('a config that sorts before ours: exit 1, since the runtime would never run multus', async () => {
    writeConf('00-aaa.conf', { cniVersion: '0.3.1', name: 'a', type: 'bridge' });
    const run = await multus(baseArgs());
    expect(run.code).toBe(1);
    expect(run.err).toContain('00-aaa.conf sorts before 00-multus.conflist');
    expect((await multus([...baseArgs(), '--conf-name', '00-0-multus.conflist'])).code).toBe(0);
    expect(readdirSync(confDir)).toContain('00-0-multus.conflist');
  });

  test('without credentials: exit 1 naming what is missing', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const noServer = await multus(baseArgs(), new Map());
    expect(noServer.code).toBe(1);
    expect(noServer.err).toContain('KUBERNETES_SERVICE_HOST is not set');
    rmSync(join(saDir, 'token'));
    const noToken = await multus(baseArgs());
    expect(noToken.code).toBe(1);
    expect(noToken.err).toContain(`service account's token (${join(saDir, 'token')})`);
    expect(readdirSync(binDir)).toEqual([]);
  });

  test.each([
    ['not a kubeconfig', 'apiVersion: v1\n', 'names no usable cluster'],
    ['a plain http:// server', kubeconfigText('http://10.96.0.1:8080'), 'https://'],
  ])('--kubeconfig that an ADD could not use (%s) is refused and nothing is written', async (_what, text, why) => {
    writeConf('10-flannel.conflist', FLANNEL);
    const existing = join(host, 'etc', 'kubernetes', 'node.kubeconfig');
    mkdirSync(join(host, 'etc', 'kubernetes'));
    writeFileSync(existing, text);
    const run = await multus([...layoutArgs(), '--kubeconfig', existing], new Map());
    expect(run.code).toBe(1);
    expect(run.err).toContain(`cannot use --kubeconfig ${existing}`);
    expect(run.err).toContain(why);
    expect(readdirSync(confDir)).toEqual(['10-flannel.conflist']);
  });

  test('--kubeconfig uses an existing kubeconfig and writes none', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const existing = join(host, 'etc', 'kubernetes', 'node.kubeconfig');
    mkdirSync(join(host, 'etc', 'kubernetes'));
    writeFileSync(existing, NODE_KUBECONFIG);
    const args = [...layoutArgs(), '--kubeconfig', existing];
    expect((await multus(args, new Map())).code).toBe(0);
    expect(readdirSync(confDir).sort()).toEqual(['00-multus.conflist', '10-flannel.conflist']);
    const plugin = (readJson(join(confDir, '00-multus.conflist'))['plugins'] as Array<Record<string, unknown>>)[0];
    expect(plugin?.['kubeconfig']).toBe('/etc/kubernetes/node.kubeconfig');
    expect((await multus([...args, '--cleanup'], new Map())).code).toBe(0);
    expect(readFileSync(existing, 'utf8')).toBe(NODE_KUBECONFIG);
  });

  test(
    '--log-level, --log-file and --set reach the config; ' + 'a bad value is reported before anything is written',
    async () => {
      writeConf('10-flannel.conflist', FLANNEL);
      const ok = await multus([
        ...baseArgs(),
        '--log-level',
        'info',
        '--log-file',
        '/var/log/multus.log',
        '--set',
        'ifnameIndexFrom=1',
        '--set',
        'defaultNetworks=["mon"]',
        '--set',
        'multusNamespace=net',
      ]);
      expect(ok.code).toBe(0);
      const plugin = (readJson(join(confDir, '00-multus.conflist'))['plugins'] as Array<Record<string, unknown>>)[0];
      expect(plugin).toMatchObject({
        logLevel: 'info',
        logFile: '/var/log/multus.log',
        ifnameIndexFrom: 1,
        defaultNetworks: ['mon'],
        multusNamespace: 'net',
      });
      rmSync(join(confDir, '00-multus.conflist'));
      const bad = await multus([...baseArgs(), '--set', 'ifnameIndexFrom=7']);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('ifnameIndexFrom: must be 0 or 1');
      expect(readdirSync(confDir)).not.toContain('00-multus.conflist');
    },
  );

  test('--dry-run prints the config and writes nothing', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const before = tree(host);
    const run = await multus([...baseArgs(), '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('"clusterNetwork": "/etc/cni/net.d/10-flannel.conflist"');
    expect(tree(host)).toEqual(before);
  });

  test('--set with an unknown key: a warning on stderr naming the nearest key; installed as given', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const run = await multus([...baseArgs(), '--set', 'delegateTimeoutSecond=30', '--set', 'fooBar=1']);
    expect(run.code).toBe(0);
    expect(run.err).toBe(
      'multus install: warning: --set delegateTimeoutSecond: unknown key, ignored by ADD; did you mean ' +
        '"delegateTimeoutSeconds"?\n' +
        'multus install: warning: --set fooBar: unknown key, ignored by ADD\n',
    );
    const plugin = (readJson(join(confDir, '00-multus.conflist'))['plugins'] as Array<Record<string, unknown>>)[0];
    expect(plugin).toMatchObject({ delegateTimeoutSecond: 30, fooBar: 1 });
  });

  test('--strict with an unknown --set key: exit 1 and nothing written', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const before = tree(host);
    const run = await multus([...baseArgs(), '--strict', '--set', 'paralleldelegates=true']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      'multus install: error: --set paralleldelegates: unknown key, ignored by ADD; did you mean ' +
        '"parallelDelegates"?\n' +
        'multus install: --strict: the multus config would have an unknown key; nothing written\n',
    );
    expect(tree(host)).toEqual(before);
  });

  test('--strict with known keys only installs as usual', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const run = await multus([...baseArgs(), '--strict', '--set', 'parallelDelegates=true']);
    expect(run).toMatchObject({ code: 0, err: '' });
  });

  test('--cleanup removes exactly what install wrote, and leaves the binary', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    writeConf('99-other.conf', { cniVersion: '0.3.1', name: 'o', type: 'bridge' });
    const before = tree(host);
    expect((await multus(baseArgs())).code).toBe(0);
    expect(tree(host).length).toBeGreaterThan(before.length + 4);
    const run = await multus([...baseArgs(), '--cleanup']);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`left the binary ${join(binDir, 'multus')}`);
    expect(tree(host)).toEqual([...before, relative(host, join(binDir, 'multus'))].sort());
    // Twice is fine: nothing left to remove.
    expect((await multus([...baseArgs(), '--cleanup'])).code).toBe(0);
  });

  test(
    '--cleanup leaves a config under our name that does ' + 'not run multus, and a multus.d holding other files',
    async () => {
      writeConf('10-flannel.conflist', FLANNEL);
      expect((await multus(baseArgs())).code).toBe(0);
      writeConf('00-multus.conflist', { cniVersion: '0.3.1', name: 'x', plugins: [{ type: 'bridge' }] });
      writeFileSync(join(confDir, 'multus.d', 'someone-else'), '');
      const run = await multus([...baseArgs(), '--cleanup']);
      expect(run.code).toBe(0);
      expect(run.out).toContain('it does not run multus, so it is not ours');
      expect(readdirSync(confDir).sort()).toEqual(['00-multus.conflist', '10-flannel.conflist', 'multus.d']);
      expect(readdirSync(join(confDir, 'multus.d'))).toEqual(['someone-else']);
    },
  );

  test.each([
    [['--bogus'], 'unknown option --bogus'],
    [['--cleanup-on-exit'], '--cleanup-on-exit needs --watch'],
    [['--cni-conf-dir', 'etc/cni'], '--cni-conf-dir must be an absolute path'],
    [['--set', 'kubeconfig=/x'], 'the installer sets kubeconfig itself'],
  ])('usage error %j: exit 2 with the usage', async (args, message) => {
    const run = await multus(args);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
    expect(run.err).toContain('usage: multus install');
  });

  test('--help prints the usage, documenting every option', async () => {
    const run = await multus(['--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--cni-bin-dir',
      '--cni-conf-dir',
      '--host-prefix',
      '--multus-bin',
      '--primary',
      '--conf-name',
      '--kubeconfig-out',
      '--service-account-dir',
      '--api-server',
      '--kubeconfig',
      '--log-level',
      '--log-file',
      '--set',
      '--dry-run',
      '--watch',
      '--interval',
      '--cleanup-on-exit',
      '--cleanup',
      '--strict',
      '--thick',
      '--shim-bin',
      '--daemon-config',
      '--socket-dir',
    ]) {
      expect(run.out).toContain(flag);
    }
  });
});

describe('multus install --thick', () => {
  const shimSource = (): string => join(root, 'image', 'multus-shim');
  const daemonConfigPath = (): string => join(host, 'etc', 'cni', 'multus', 'daemon-config.json');
  const thickArgs = (): string[] => [...baseArgs(), '--thick'];
  beforeEach(() => {
    writeFileSync(shimSource(), '#!/bin/sh\necho shim v1\n', { mode: 0o755 });
    writeConf('10-flannel.conflist', FLANNEL);
  });

  test('installs both binaries, a shim conflist, and a daemon config with the multus keys', async () => {
    const run = await multus(thickArgs());
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toContain(`installed ${join(binDir, 'multus-shim')} from ${shimSource()}`);
    expect(readFileSync(join(binDir, 'multus'), 'utf8')).toBe(readFileSync(image, 'utf8'));
    expect(readFileSync(join(binDir, 'multus-shim'), 'utf8')).toBe(readFileSync(shimSource(), 'utf8'));
    expect(mode(join(binDir, 'multus-shim'))).toBe(0o755);

    expect(readJson(join(confDir, '00-multus.conflist'))).toEqual({
      cniVersion: '0.3.1',
      name: 'multus-cni-network',
      plugins: [
        {
          type: 'multus-shim',
          capabilities: { bandwidth: true, portMappings: true, 'io.kubernetes.cri.pod-annotations': true },
          daemonSocketDir: '/run/multus',
        },
      ],
    });
    expect(readJson(daemonConfigPath())).toEqual({
      socketDir: '/run/multus',
      cniConfigDir: '/etc/cni/net.d',
      kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
      clusterNetwork: '/etc/cni/net.d/10-flannel.conflist',
    });
    expect(mode(daemonConfigPath())).toBe(0o644);
    expect(readFileSync(join(confDir, 'multus.d', 'multus.token'), 'utf8')).toBe('token-1');
    expect(tree(host).filter((p) => p.includes('.tmp-'))).toEqual([]);
  });

  test('a call through the shim runs with the multus config a thin install writes, --set keys included', async () => {
    const set = ['--set', 'ifnameIndexFrom=1', '--log-level', 'info'];
    expect((await multus([...thickArgs(), ...set])).code).toBe(0);
    const shimList = readJson(join(confDir, '00-multus.conflist'));
    const daemon = parseDaemonConfig(readJson(daemonConfigPath()), daemonConfigPath());
    expect((await multus([...baseArgs(), ...set])).code).toBe(0);
    const thinList = readJson(join(confDir, '00-multus.conflist'));
    const handedOver = (list: Record<string, unknown>): Record<string, unknown> => ({
      ...(list['plugins'] as Array<Record<string, unknown>>)[0],
      name: list['name'],
      cniVersion: list['cniVersion'],
    });
    expect(requestConfig(daemon.defaults, handedOver(shimList))).toEqual(handedOver(thinList));
  });

  test('--shim-bin, --daemon-config and --socket-dir; daemon keys given with --set configure the daemon', async () => {
    const other = join(root, 'elsewhere', 'shim');
    mkdirSync(join(root, 'elsewhere'));
    writeFileSync(other, 'other shim', { mode: 0o755 });
    const dc = join(host, 'etc', 'multus-daemon.json');
    const run = await multus([
      ...thickArgs(),
      '--shim-bin',
      other,
      '--daemon-config',
      dc,
      '--socket-dir',
      '/run/m',
      '--set',
      'maxConcurrentRequests=8',
    ]);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(readFileSync(join(binDir, 'multus-shim'), 'utf8')).toBe('other shim');
    expect(readJson(dc)).toMatchObject({ socketDir: '/run/m', maxConcurrentRequests: 8 });
    const plugin = (readJson(join(confDir, '00-multus.conflist'))['plugins'] as Array<Record<string, unknown>>)[0];
    expect(plugin).toMatchObject({ daemonSocketDir: '/run/m', daemonConfig: '/etc/multus-daemon.json' });
  });

  test.each([
    [['--set', 'maxConcurrentRequests=0'], 'the generated daemon config would not load: '],
    [['--set', 'chrootDir=/hostroot'], 'chrootDir: Go runs delegates in the host root through chroot'],
  ])('%j: exit 1 saying why, and nothing written', async (extra, message) => {
    const before = tree(host);
    const run = await multus([...thickArgs(), ...extra]);
    expect(run.code).toBe(1);
    expect(run.err).toContain(message);
    expect(tree(host)).toEqual(before);
  });

  test('no shim beside the multus binary: exit 1 naming it, and not even the multus binary copied', async () => {
    rmSync(shimSource());
    const run = await multus(thickArgs());
    expect(run.code).toBe(1);
    expect(run.err).toContain(`cannot read the multus-shim binary ${shimSource()}`);
    expect(readdirSync(binDir)).toEqual([]);
  });

  test('--dry-run prints both files after their paths and writes nothing', async () => {
    const before = tree(host);
    const run = await multus([...thickArgs(), '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`multus install: shim config ${join(confDir, '00-multus.conflist')}:\n{`);
    expect(run.out).toContain(`multus install: daemon config ${daemonConfigPath()}:\n{`);
    expect(run.out).toContain('"type": "multus-shim"');
    expect(run.out).toContain('"clusterNetwork": "/etc/cni/net.d/10-flannel.conflist"');
    expect(tree(host)).toEqual(before);
  });

  test('--cleanup --thick removes the configs and the dirs it made, and leaves both binaries', async () => {
    const before = tree(host);
    expect((await multus(thickArgs())).code).toBe(0);
    const run = await multus([...thickArgs(), '--cleanup']);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`removed ${daemonConfigPath()}`);
    expect(run.out).toContain(`left the binaries ${join(binDir, 'multus')} and ${join(binDir, 'multus-shim')}`);
    const binaries = ['multus', 'multus-shim'].map((b) => relative(host, join(binDir, b)));
    expect(tree(host)).toEqual([...before, ...binaries].sort());
    expect((await multus([...thickArgs(), '--cleanup'])).code).toBe(0);
  });

  test('--cleanup --thick leaves a daemon config dir that holds other files', async () => {
    expect((await multus(thickArgs())).code).toBe(0);
    writeFileSync(join(host, 'etc', 'cni', 'multus', 'notes'), '');
    expect((await multus([...thickArgs(), '--cleanup'])).code).toBe(0);
    expect(readdirSync(join(host, 'etc', 'cni', 'multus'))).toEqual(['notes']);
  });

  test('from thin to thick and back: each install replaces the conflist under the same name', async () => {
    expect((await multus(baseArgs())).code).toBe(0);
    expect((await multus(thickArgs())).code).toBe(0);
    const types = (): unknown =>
      (readJson(join(confDir, '00-multus.conflist'))['plugins'] as Array<Record<string, unknown>>)[0]?.['type'];
    expect(types()).toBe('multus-shim');
    expect((await multus(baseArgs())).code).toBe(0);
    expect(types()).toBe('multus');
  });
});

function run2Lines(run: Run): string[] {
  return run.out.split('\n');
}

describe('multus install --watch', () => {
  /** Runs the command with a fake process; `stop()` plays SIGTERM. */
  function start(args: readonly string[]): { done: Promise<number>; stop: () => void; cli: ReturnType<typeof io> } {
    let stopper: (() => void) | undefined;
    const command = createInstallCommand({
      execPath: '/usr/bin/node',
      pid: 4242,
      onStop: (s) => {
        stopper = s;
        return () => (stopper = undefined);
      },
    });
    const cli = io();
    const done = command.run(['--watch', '--interval', '0.02', ...baseArgs(), ...args], cli);
    return { done, stop: () => stopper?.(), cli };
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 250; i += 1) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const exists = (p: string): boolean => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  };

  test('waits for the primary, follows token rotation and primary changes, and cleans up on stop', async () => {
    const w = start(['--cleanup-on-exit']);
    const conf = join(confDir, '00-multus.conflist');
    const token = join(confDir, 'multus.d', 'multus.token');
    await until(() => w.cli.text.err.includes('no primary CNI config'), 'the wait message');
    expect(exists(join(binDir, 'multus'))).toBe(true);
    expect(exists(conf)).toBe(false);

    writeConf('10-flannel.conflist', FLANNEL);
    await until(() => exists(conf), 'the config');
    expect(readFileSync(token, 'utf8')).toBe('token-1');

    writeFileSync(join(saDir, 'token'), 'token-2'); // the kubelet rotated the projected token
    await until(() => readFileSync(token, 'utf8') === 'token-2', 'the new token');

    writeConf('05-calico.conflist', { cniVersion: '1.0.0', name: 'k8s-pod-network', plugins: [{ type: 'calico' }] });
    await until(() => readFileSync(conf, 'utf8').includes('05-calico.conflist'), 'the new primary');

    rmSync(conf); // someone removed our config
    await until(() => exists(conf), 'the config rewritten');

    w.stop();
    expect(await w.done).toBe(0);
    expect(exists(conf)).toBe(false);
    expect(exists(join(confDir, 'multus.d'))).toBe(false);
    expect(exists(join(binDir, 'multus'))).toBe(true);
    // The wait message was printed once, not on every tick.
    expect(w.cli.text.err.split('no primary CNI config').length).toBe(2);
  });

  test('--thick: keeps the daemon config and the shim conflist current, and removes both on stop', async () => {
    writeFileSync(join(root, 'image', 'multus-shim'), 'shim', { mode: 0o755 });
    writeConf('10-flannel.conflist', FLANNEL);
    const w = start(['--thick', '--cleanup-on-exit']);
    const daemonConfig = join(host, 'etc', 'cni', 'multus', 'daemon-config.json');
    await until(() => exists(daemonConfig) && exists(join(confDir, '00-multus.conflist')), 'the configs');
    expect(exists(join(binDir, 'multus-shim'))).toBe(true);
    writeConf('05-calico.conflist', { cniVersion: '1.0.0', name: 'k8s-pod-network', plugins: [{ type: 'calico' }] });
    await until(() => readFileSync(daemonConfig, 'utf8').includes('05-calico.conflist'), 'the new primary');
    w.stop();
    expect(await w.done).toBe(0);
    expect(exists(daemonConfig)).toBe(false);
    expect(exists(join(confDir, '00-multus.conflist'))).toBe(false);
  });

  test('without --cleanup-on-exit the configs stay after stop', async () => {
    writeConf('10-flannel.conflist', FLANNEL);
    const w = start([]);
    const conf = join(confDir, '00-multus.conflist');
    await until(() => exists(conf), 'the config');
    w.stop();
    expect(await w.done).toBe(0);
    expect(exists(conf)).toBe(true);
  });
});

describe('defaultMultusBin', () => {
  test.each([
    ['/usr/local/bin/multus', '/usr/local/bin/multus'],
    ['/opt/cni/bin/multus', '/opt/cni/bin/multus'],
  ])('%s: the compiled binary itself', (execPath, expected) => {
    expect(defaultMultusBin(execPath)).toBe(expected);
  });

  test.each(['/usr/bin/node', '/usr/local/bin/nodejs', '/root/.bun/bin/bun', '/usr/bin/node20'])(
    '%s: a JavaScript runtime, never installed',
    (execPath) => {
      expect(() => defaultMultusBin(execPath)).toThrow('pass --multus-bin PATH');
    },
  );
});
