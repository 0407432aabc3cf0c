import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli-main';
import { bufferIo, seedConfig, useCliRoot } from './cli-test-support';
import { explainFile, type AttachmentView, type Explanation } from '../../../src/cli/explain/explain-plan';
import { RefusingExecutor } from '../../../src/cli/validate/refusing-executor';
import { offlineContainer } from '../../../src/cli/validate/offline';

const { root, pluginDir, write } = useCliRoot('multus-explain-');
let bin: string;

async function explain(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(['explain', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

async function explainJson(...args: string[]): Promise<Explanation> {
  const r = await explain(...args, '--json');
  expect(r.err).toBe('');
  return JSON.parse(r.out) as Explanation;
}

function attachment(e: Explanation, i: number): AttachmentView {
  const a = e.attachments[i];
  if (a === undefined) throw new Error(`no attachment ${i}`);
  return a;
}

beforeEach(() => {
  bin = pluginDir('bin', ['bridge', 'ptp', 'host-local', 'portmap', 'macvlan', 'tuning']);
});

describe("multus explain: the seed's three delegates", () => {
  test('names, master, adapters, binaries, env and the exact stdin of each delegate', async () => {
    const file = write('seed.conf', seedConfig());
    const e = await explainJson(file, '--cni-path', bin);
    expect(e).toMatchObject({
      file,
      source: 'file',
      name: 'seed-a',
      cniVersion: '0.4.0',
      ifname: 'eth0',
      complete: true,
      problems: [],
    });
    expect(e.attachments.map((a) => [a.index, a.network, a.ifname, a.master, a.origin])).toEqual([
      [0, 'seed-master', 'eth0', true, 'delegates[0]'],
      [1, 'seed-a', 'net0', false, 'delegates[1]'],
      [2, 'seed-a', 'net1', false, 'delegates[2]'],
    ]);
    expect(e.attachments.map((a) => a.plugins.map((p) => p.adapter))).toEqual([['bridge'], ['ptp'], ['bridge']]);
    expect(e.attachments.map((a) => a.plugins[0]?.binary.path)).toEqual([
      join(bin, 'bridge'),
      join(bin, 'ptp'),
      join(bin, 'bridge'),
    ]);
    expect(e.attachments.map((a) => a.plugins[0]?.ipam?.path)).toEqual([
      join(bin, 'host-local'),
      join(bin, 'host-local'),
      join(bin, 'host-local'),
    ]);
    expect(attachment(e, 1).env).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_IFNAME: 'net0',
      CNI_ARGS: 'IgnoreUnknown=true',
      CNI_PATH: bin,
    });
    // What ptp would read: its own keys, the config's cniVersion and name inherited, no multus key.
    expect(attachment(e, 1).plugins[0]?.stdin).toEqual({
      type: 'ptp',
      ipam: { type: 'host-local', subnet: '10.1.1.0/24', routes: [{ dst: '0.0.0.0/0' }], gateway: '10.1.1.1' },
      cniVersion: '0.4.0',
      name: 'seed-a',
    });
    for (const a of e.attachments) {
      expect(a.plugins[0]?.stdin).not.toHaveProperty('masterplugin');
      expect(a.plugins[0]?.stdin['cniVersion']).toBe('0.4.0');
    }
    expect(attachment(e, 0).plugins[0]?.stdin['name']).toBe('seed-master');
    expect(e.result).toBe("the master's result (eth0), converted to cniVersion 0.4.0");
  });

  test('human output: one block per attachment with its adapter, binary and stdin', async () => {
    const file = write('seed.conf', seedConfig());
    const r = await explain(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain(`${file}: the plan of an ADD (explain runs no plugin and touches no namespace)`);
    expect(r.out).toContain('attachment 0: network "seed-master" → eth0 (master)');
    expect(r.out).toContain('attachment 1: network "seed-a" → net0\n');
    expect(r.out).toContain('attachment 2: network "seed-a" → net1\n');
    expect(r.out).toContain('  plugin: type ptp (delegates[1]), adapter ptp\n');
    expect(r.out).toContain(`    binary: ${join(bin, 'ptp')}\n`);
    expect(r.out).toContain(`    ipam:   host-local, binary ${join(bin, 'host-local')}\n`);
    expect(r.out).toContain(`  env:   CNI_COMMAND=ADD CNI_IFNAME=net1 CNI_ARGS=IgnoreUnknown=true CNI_PATH=${bin}\n`);
    expect(r.out).toContain('    stdin:\n      {\n        "type": "ptp",\n');
    expect(r.out).toContain('        "cniVersion": "0.4.0",\n        "name": "seed-a"\n      }\n');
    expect(r.out).not.toContain('masterplugin');
    expect(r.out).toContain("result: the master's result (eth0), converted to cniVersion 0.4.0");
  });

  test('--ifname, --pod and binDir shape the names and the env', async () => {
    const other = pluginDir('other', []);
    const file = write('seed.conf', { ...seedConfig(), binDir: bin, ifnameIndexFrom: 1 });
    const e = await explainJson(file, '--cni-path', other, '--ifname', 'net1', '--pod', 'mypod');
    expect(e.attachments.map((a) => a.ifname)).toEqual(['net1', 'net2', 'net3']);
    expect(attachment(e, 0).env).toMatchObject({
      CNI_ARGS: 'IgnoreUnknown=true;K8S_POD_NAME=mypod',
      CNI_PATH: `${bin}:${other}`,
    });
    expect(e.pod).toEqual({ namespace: null, name: 'mypod', assumed: false });
  });

  test("a missing binary is shown, not an error: MISSING with the finder's message, exit 0", async () => {
    const some = pluginDir('some', ['bridge', 'host-local']);
    const file = write('seed.conf', seedConfig());
    const e = await explainJson(file, '--cni-path', some);
    const ptp = attachment(e, 1).plugins[0];
    expect(ptp?.binary.path).toBeNull();
    expect(ptp?.binary.problem).toBe(`failed to find plugin "ptp" in path [${some}]`);
    const r = await explain(file, '--cni-path', some);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`    binary: MISSING (failed to find plugin "ptp" in path [${some}])\n`);
  });

  test('nothing runs: the executor bound in place of the real one is never asked', async () => {
    const executor = new RefusingExecutor();
    const file = write('seed.conf', seedConfig());
    const e = await explainFile(file, {
      cniPath: [bin],
      ifname: 'eth0',
      annotations: {},
      pod: undefined,
      runtimeConfig: undefined,
      container: offlineContainer(executor),
    });
    expect(e.attachments).toHaveLength(3);
    expect(executor.attempts).toEqual([]);
  });
});

describe('multus explain: runtimeConfig by capability', () => {
  test("the runtime's runtimeConfig reaches the master, and only the plugins that declare the capability", async () => {
    const conf = seedConfig();
    const delegates = conf['delegates'] as Array<Record<string, unknown>>;
    delegates[0] = { ...delegates[0], capabilities: { portMappings: true } };
    delegates[2] = { ...delegates[2], capabilities: { portMappings: true } };
    const file = write('caps.conf', { ...conf, capabilities: { portMappings: true } });
    const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
    const e = await explainJson(
      file,
      '--cni-path',
      bin,
      '--runtime-config',
      JSON.stringify({ portMappings, bandwidth: { ingressRate: 1 } }),
    );
    expect(attachment(e, 0).plugins[0]?.stdin['runtimeConfig']).toEqual({ portMappings });
    // Not the master: the runtime's requests are for the pod's main network only.
    expect(attachment(e, 2).plugins[0]?.stdin).not.toHaveProperty('runtimeConfig');
    expect(attachment(e, 1).plugins[0]?.stdin).not.toHaveProperty('runtimeConfig');
    expect(e.notes).toContain(
      '--runtime-config bandwidth dropped: the multus config declares no such capability, so the runtime would ' +
        'not pass it',
    );
  });

  test(
    'a conflist chain (clusterNetwork file): each plugin in order, prevResult after the first, portMappings to ' +
      'portmap only',
    async () => {
      const chainFile = write('cluster-net.conflist', {
        cniVersion: '1.0.0',
        name: 'cluster-net',
        plugins: [
          { type: 'bridge', bridge: 'cni0', isGateway: true, ipam: { type: 'host-local', subnet: '10.244.1.0/24' } },
          { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        ],
      });
      const file = write('k8s.conf', {
        name: 'multus-cni-network',
        type: 'multus',
        cniVersion: '1.0.0',
        capabilities: { portMappings: true },
        kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
        clusterNetwork: chainFile,
      });
      const portMappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];
      const e = await explainJson(
        file,
        '--cni-path',
        bin,
        '--pod',
        'ns1/web',
        '--runtime-config',
        JSON.stringify({ portMappings }),
      );
      expect(e).toMatchObject({
        source: 'kubernetes',
        complete: true,
        pod: { namespace: 'ns1', name: 'web', assumed: false },
      });
      const a = attachment(e, 0);
      expect([a.network, a.ifname, a.master, a.cniVersion]).toEqual(['cluster-net', 'eth0', true, '1.0.0']);
      expect(a.plugins.map((p) => [p.type, p.adapter, p.prevResult, p.binary.path])).toEqual([
        ['bridge', 'bridge', false, join(bin, 'bridge')],
        ['portmap', 'exec', true, join(bin, 'portmap')],
      ]);
      expect(a.plugins.map((p) => [p.stdin['name'], p.stdin['cniVersion']])).toEqual([
        ['cluster-net', '1.0.0'],
        ['cluster-net', '1.0.0'],
      ]);
      expect(a.plugins[0]?.stdin).not.toHaveProperty('runtimeConfig');
      expect(a.plugins[1]?.stdin['runtimeConfig']).toEqual({ portMappings });
      expect(a.env['CNI_ARGS']).toBe('IgnoreUnknown=true;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web');
      const r = await explain(file, '--cni-path', bin, '--pod', 'ns1/web');
      expect(r.out).toContain(`  plugin 1/2: type bridge (clusterNetwork (${chainFile}).plugins[0]), adapter bridge\n`);
      expect(r.out).toContain('  plugin 2/2: type portmap');
      expect(r.out).toContain('    stdin (and "prevResult": the result of plugin 1):\n');
    },
  );
});

describe('multus explain: a .conflist holding the multus config (podman)', () => {
  test("the multus plugin is found, the list's name and cniVersion are its own", async () => {
    const { name: _n, cniVersion: _v, ...plugin } = seedConfig();
    const file = write('pod.conflist', {
      cniVersion: '1.0.0',
      name: 'multus-pod',
      plugins: [plugin, { type: 'portmap', capabilities: { portMappings: true } }],
    });
    const e = await explainJson(file, '--cni-path', bin, '--pod', 'web');
    expect(e).toMatchObject({ multusPlugin: 'plugins[0]', name: 'multus-pod', cniVersion: '1.0.0' });
    expect(e.attachments.map((a) => a.origin)).toEqual([
      'plugins[0].delegates[0]',
      'plugins[0].delegates[1]',
      'plugins[0].delegates[2]',
    ]);
    expect(attachment(e, 1).plugins[0]?.stdin).toMatchObject({ name: 'multus-pod', cniVersion: '1.0.0' });
    const r = await explain(file, '--cni-path', bin);
    expect(r.out).toContain('  config:   multus config "multus-pod" (plugins[0] of the conflist), cniVersion 1.0.0\n');
  });
});

describe('multus explain: networks from Kubernetes, offline', () => {
  function k8sConfig(extra: Record<string, unknown> = {}): string {
    return write('k8s.conf', {
      name: 'multus-cni-network',
      type: 'multus',
      cniVersion: '1.0.0',
      kubeconfig: '/etc/k.yaml',
      ...extra,
    });
  }

  test('annotations are parsed and shown; the plan stops at the first API lookup, exit 0', async () => {
    const file = k8sConfig({ namespaceIsolation: true, globalNamespaces: ['shared'] });
    const networks = JSON.stringify([
      { name: 'macvlan-conf', interface: 'net5', ips: ['10.1.1.5/24'], 'cni-args': { a: 'b' } },
      { name: 'other', namespace: 'shared' },
    ]);
    const e = await explainJson(
      file,
      '--pod',
      'ns1/web',
      '--pod-annotation',
      `k8s.v1.cni.cncf.io/networks=${networks}`,
    );
    expect(e.selections).toEqual([
      expect.objectContaining({
        name: 'macvlan-conf',
        namespace: 'ns1',
        interface: 'net5',
        runtimeConfig: { ips: ['10.1.1.5/24'] },
        cniArgs: { a: 'b' },
      }),
      expect.objectContaining({
        name: 'other',
        namespace: 'shared',
        origin: 'annotation "k8s.v1.cni.cncf.io/networks" entry 2',
      }),
    ]);
    expect(e.complete).toBe(false);
    expect(e.apiCalls).toContain('GET network-attachment-definitions.k8s.cni.cncf.io/v1 ns1/macvlan-conf');
    expect(e.attachments).toEqual([]);
    const r = await explain(
      file,
      '--pod',
      'ns1/web',
      '--pod-annotation',
      'k8s.v1.cni.cncf.io/networks=macvlan-conf@net5',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('  1. ns1/macvlan-conf: interface net5\n');
    expect(r.out).toContain(
      'resolving the networks needs the Kubernetes API, which explain does not call; it stopped at:\n  GET ' +
        'network-attachment-definitions.k8s.cni.cncf.io/v1 ns1/macvlan-conf\n',
    );
  });

  test('the default-network override is shown as the master, looked up in multusNamespace', async () => {
    const e = await explainJson(
      k8sConfig(),
      '--pod',
      'ns1/web',
      '--pod-annotation',
      'v1.multus-cni.io/default-network=alt-net',
    );
    expect(e.selections).toEqual([
      expect.objectContaining({
        annotation: 'v1.multus-cni.io/default-network',
        name: 'alt-net',
        namespace: 'kube-system',
      }),
    ]);
    // Without today's networks key the seed's lookup order holds: is the `Network` CRD defined?
    expect(e.apiCalls).toEqual(['GET customresourcedefinitions.apiextensions.k8s.io/v1 networks.kubernetes.com']);
    const withKey = await explainJson(
      k8sConfig(),
      '--pod-annotation',
      'v1.multus-cni.io/default-network=alt-net',
      '--pod-annotation',
      'k8s.v1.cni.cncf.io/networks=',
    );
    expect(withKey.apiCalls).toEqual(['GET network-attachment-definitions.k8s.cni.cncf.io/v1 kube-system/alt-net']);
  });

  test("a pod that selects nothing gets the config's delegates: a full plan, no API needed", async () => {
    const e = await explainJson(
      k8sConfig({ delegates: [{ type: 'weave-net', hairpinMode: true }] }),
      '--cni-path',
      bin,
    );
    expect(e).toMatchObject({
      source: 'kubernetes',
      complete: true,
      pod: { namespace: 'default', name: 'example-pod', assumed: true },
    });
    expect(e.attachments.map((a) => [a.ifname, a.master, a.plugins[0]?.adapter])).toEqual([['eth0', true, 'exec']]);
    expect(e.notes).toContain('the network-status annotation would be written to pod default/example-pod');
  });

  test(
    'the default-route rule is shown: the master owns it in ' + "the seed's styles, unless masterDefaultRoute is false",
    async () => {
      const on = await explainJson(k8sConfig({ delegates: [{ type: 'weave-net' }] }), '--cni-path', bin);
      expect(on.notes).toContain(
        "default routes: eth0 (the master) gets the pod's default route of each IP family it has a gateway for " +
          "when another attachment sets one; those others lose theirs (masterDefaultRoute; a selection's " +
          'default-route wins for its family)',
      );
      const off = await explainJson(
        k8sConfig({ delegates: [{ type: 'weave-net' }], masterDefaultRoute: false }),
        '--cni-path',
        bin,
      );
      expect(off.notes).toContain(
        "default routes: each attachment's as its plugin sets them, but a selection's default-route " +
          '(masterDefaultRoute is off)',
      );
    },
  );

  test("a malformed annotation is the ADD's error: exit 1, printed on stderr", async () => {
    const r = await explain(k8sConfig(), '--pod-annotation', 'k8s.v1.cni.cncf.io/networks=Bad_Name');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(': --pod-annotation: annotation "k8s.v1.cni.cncf.io/networks" entry 1 "Bad_Name"');
    expect(r.err).toContain('(an ADD would fail the same way, before running any plugin)');
  });

  test('namespaceIsolation is applied by the real source (assumed pod namespace "default")', async () => {
    const r = await explain(
      k8sConfig({ namespaceIsolation: true }),
      '--pod-annotation',
      'k8s.v1.cni.cncf.io/networks=ns9/net-a',
      '--json',
    );
    expect(r.code).toBe(1);
    const e = JSON.parse(r.out) as Explanation;
    expect(e.problems).toEqual([expect.objectContaining({ path: '(networks)', code: 7 })]);
    expect(e.problems[0]?.message).toContain('may not use network ns9/net-a');
  });

  test('annotations on a file-mode config are ignored, and said so', async () => {
    const e = await explainJson(
      write('seed.conf', seedConfig()),
      '--cni-path',
      bin,
      '--pod-annotation',
      'k8s.v1.cni.cncf.io/networks=x',
    );
    expect(e.attachments).toHaveLength(3);
    expect(e.notes[0]).toMatch(/^--pod-annotation ignored/u);
  });
});

describe('multus explain: errors', () => {
  test('an invalid config: the problems on stderr, exit 1; --json carries them', async () => {
    const conf = seedConfig();
    (conf['delegates'] as Array<Record<string, unknown>>)[1]!['ipam'] = { type: 'host-local', subnet: 'x' };
    const file = write('bad.conf', conf);
    const r = await explain(file, '--cni-path', bin);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('delegates[1].ipam.subnet: must be a CIDR such as 10.1.0.0/24, got "x"');
    const j = await explain(file, '--json');
    expect(j.code).toBe(1);
    expect((JSON.parse(j.out) as Explanation).problems).toEqual([expect.objectContaining({ code: 7 })]);
  });

  test.each([
    [['--pod-annotation', 'novalue'], 'expected KEY=VALUE'],
    [['--pod', 'a/b/c'], 'expected NAMESPACE/NAME or NAME'],
    [['--runtime-config', '{'], '--runtime-config is not valid JSON'],
    [['--runtime-config', '[]'], '--runtime-config must be a JSON object'],
  ])('usage error %j: exit 2', async (args, message) => {
    const r = await explain(write('seed.conf', seedConfig()), ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('usage: multus explain FILE');
  });
});

describe('multus explain: a vendor adapter from adapterDirs', () => {
  (process.getuid?.() === 0 ? test : test.skip)('is the adapter shown, with the module it came from', async () => {
    const dir = join(root(), 'adapters');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const module = join(dir, 'acme.cjs');
    writeFileSync(
      module,
      "module.exports = (api) => ({ name: 'acme', adapters: [(executor) => new api.ExecAdapter(executor, { " +
        "name: 'acme-bridge', priority: 20, types: ['bridge'] })] });\n",
    );
    chmodSync(module, 0o644);
    const file = write('seed.conf', { ...seedConfig(), adapterDirs: [dir] });
    const e = await explainJson(file, '--cni-path', bin);
    expect(e.attachments.map((a) => [a.plugins[0]?.adapter, a.plugins[0]?.adapterOrigin])).toEqual([
      ['acme-bridge', `${module} (acme)`],
      ['ptp', 'built-in'],
      ['acme-bridge', `${module} (acme)`],
    ]);
    const r = await explain(file, '--cni-path', bin);
    expect(r.out).toContain(`  plugin: type bridge (delegates[0]), adapter acme-bridge from ${module} (acme)\n`);
  });
});
