import { CniError } from '../../../../src/core/errors';
import { FakeConfDir, FakeKubeClient } from '../../../support/fake-kube';
import { runPlugin } from '../../../support/run-plugin';
import { testContainer, type TestContainer } from '../../../support/test-container';

const ipam = (subnet: string): Record<string, unknown> => ({ type: 'host-local', subnet });
const base = { name: 'multus-net', type: 'multus', cniVersion: '1.0.0', kubeconfig: '/etc/kubernetes/node.kubeconfig' };
const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_UID=uid-pod1';

function setup(kube: FakeKubeClient, confDir = new FakeConfDir()): TestContainer & { kube: FakeKubeClient } {
  const t = testContainer(undefined, undefined, { replace: { KubeClientProvider: kube, ConfDirReader: confDir } });
  return { ...t, kube };
}

function seedCluster(annotations: Record<string, string>, kind: 'CRD' | 'TPR' = 'CRD'): FakeKubeClient {
  return new FakeKubeClient()
    .addPod('ns1', 'pod1', annotations)
    .addNetwork('ns1', 'ptp-net', 'ptp', { name: 'ptp-net', type: 'ptp', ipam: ipam('10.248.246.144/28') }, kind)
    .addNetwork(
      'ns1',
      'br-net-1',
      'bridge',
      { name: 'br-net-1', type: 'bridge', bridge: 'br-net-1', ipam: ipam('10.1.10.0/24') },
      kind,
    )
    .addNetwork(
      'ns1',
      'br-net-2',
      'bridge',
      { name: 'br-net-2', bridge: 'br-net-2', ipam: ipam('10.11.1.0/24') },
      kind,
    );
}

/** The cluster network and a default network, both NADs in kube-system. */
function withClusterAndMonitoring(kube: FakeKubeClient): FakeKubeClient {
  return kube
    .addNad('kube-system', 'cluster', {
      cniVersion: '1.0.0',
      name: 'cluster',
      type: 'bridge',
      ipam: ipam('10.244.0.0/24'),
    })
    .addNad('kube-system', 'monitoring', {
      cniVersion: '1.0.0',
      name: 'monitoring',
      type: 'ptp',
      ipam: ipam('10.70.0.0/24'),
    });
}

const seedAnnotation = {
  networks: '[ { "name": "br-net-1" }, { "name": "br-net-2" }, { "name": "br-net-2" }, { "name": "ptp-net" } ]',
};

describe.each(['CRD', 'TPR'] as const)("the seed's %s walkthrough", (kind) => {
  test('eth0 from br-net-1, net0 and net1 from br-net-2, net2 from ptp-net; network-status written', async () => {
    const t = setup(seedCluster(seedAnnotation, kind));
    const run = await runPlugin(t.container, { command: 'ADD', config: base, args });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['ADD bridge eth0', 'ADD bridge net0', 'ADD bridge net1', 'ADD ptp net2']);
    expect(t.executor.calls[1]?.stdin).toMatchObject({ name: 'br-net-2', type: 'bridge', cniVersion: '1.0.0' });
    const status = JSON.parse(
      t.kube.pods.get('ns1/pod1')?.annotations['k8s.v1.cni.cncf.io/network-status'] ?? '[]',
    ) as Array<Record<string, unknown>>;
    expect(status.map((s) => [s['name'], s['interface'], s['default']])).toEqual([
      ['ns1/br-net-1', 'eth0', true],
      ['ns1/br-net-2', 'net0', false],
      ['ns1/br-net-2', 'net1', false],
      ['ns1/ptp-net', 'net2', false],
    ]);
    expect(t.kube.calls).toContain(
      kind === 'CRD'
        ? 'getObject apiextensions.k8s.io/customresourcedefinitions /networks.kubernetes.com'
        : 'getObject extensions/thirdpartyresources /network.kubernetes.com',
    );
  });
});

test('NADs in the JSON form: interface, ips, mac, cni-args and default-route reach the delegate', async () => {
  const kube = new FakeKubeClient()
    .addPod('ns1', 'pod1', {
      'k8s.v1.cni.cncf.io/networks': JSON.stringify([
        {
          name: 'macvlan-conf',
          interface: 'data0',
          ips: ['10.60.0.5/24'],
          mac: '02:00:00:00:00:05',
          'cni-args': { k: 'v' },
          'default-route': ['10.60.0.1'],
        },
      ]),
    })
    .addNad('ns1', 'macvlan-conf', {
      cniVersion: '1.0.0',
      name: 'macvlan-conf',
      type: 'macvlan',
      capabilities: { ips: true, mac: true },
      ipam: { type: 'static' },
    });
  const t = setup(kube);
  const run = await runPlugin(t.container, {
    command: 'ADD',
    config: { ...base, delegates: [{ type: 'bridge', name: 'cluster', ipam: ipam('10.244.0.0/24') }] },
    args,
  });
  expect(run.code).toBe(0);
  expect(t.executor.sequence()).toEqual(['ADD macvlan eth0']);
  expect(t.executor.calls[0]?.stdin).toMatchObject({
    runtimeConfig: { ips: ['10.60.0.5/24'], mac: '02:00:00:00:00:05' },
    args: { cni: { k: 'v' } },
  });
});

test(
  'clusterNetwork mode: cluster network first, then defaultNetworks, then the comma-form selections with ' +
    '@interface',
  async () => {
    const kube = withClusterAndMonitoring(new FakeKubeClient())
      .addPod('ns1', 'pod1', { 'k8s.v1.cni.cncf.io/networks': 'other/sriov-net@vf0, macvlan-conf' })
      .addNad('other', 'sriov-net', { cniVersion: '1.0.0', name: 'sriov-net', type: 'host-device', device: 'veth9' })
      .addNad('ns1', 'macvlan-conf', { cniVersion: '1.0.0', name: 'macvlan-conf', type: 'macvlan', master: 'eth1' });
    const t = setup(kube);
    const config = { ...base, clusterNetwork: 'cluster', defaultNetworks: ['monitoring'], ifnameIndexFrom: 1 };
    const run = await runPlugin(t.container, { command: 'ADD', config, args });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual([
      'ADD bridge eth0',
      'ADD ptp net1',
      'ADD host-device vf0',
      'ADD macvlan net2',
    ]);
  },
);

test('pods of systemNamespaces get no defaultNetworks', async () => {
  const kube = withClusterAndMonitoring(new FakeKubeClient()).addPod('kube-system', 'coredns', {});
  const t = setup(kube);
  const config = { ...base, clusterNetwork: 'cluster', defaultNetworks: ['monitoring'] };
  await runPlugin(t.container, { command: 'ADD', config, args: 'K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns' });
  expect(t.executor.sequence()).toEqual(['ADD bridge eth0']);
});

test('annotations from runtimeConfig: no pod GET at all', async () => {
  const kube = new FakeKubeClient().addNad('ns1', 'macvlan-conf', {
    cniVersion: '1.0.0',
    name: 'macvlan-conf',
    type: 'macvlan',
  });
  const t = setup(kube.addPod('ns1', 'pod1'));
  const config = {
    ...base,
    runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' } },
  };
  const run = await runPlugin(t.container, { command: 'ADD', config, args });
  expect(run.code).toBe(0);
  expect(t.executor.sequence()).toEqual(['ADD macvlan eth0']);
  expect(t.kube.calls.filter((c) => c.startsWith('getPod'))).toEqual([]);
  expect(t.executor.calls[0]?.stdin['runtimeConfig']).toBeUndefined();
});

test('no annotation: the config delegates are the default networks (the seed)', async () => {
  const t = setup(new FakeKubeClient().addPod('ns1', 'pod1', {}));
  const config = {
    ...base,
    delegates: [{ type: 'bridge', name: 'weave', hairpinMode: true, masterplugin: true, ipam: ipam('10.32.0.0/24') }],
  };
  const run = await runPlugin(t.container, { command: 'ADD', config, args });
  expect(run.code).toBe(0);
  expect(t.executor.sequence()).toEqual(['ADD bridge eth0']);
});

test('a NAD with an empty spec.config uses the file of that name in confDir', async () => {
  const kube = new FakeKubeClient()
    .addPod('ns1', 'pod1', { 'k8s.v1.cni.cncf.io/networks': 'disk-net' })
    .addNad('ns1', 'disk-net', undefined);
  const confDir = new FakeConfDir({
    '/etc/cni/multus/net.d/10-disk.conf': {
      cniVersion: '1.0.0',
      name: 'disk-net',
      type: 'ptp',
      ipam: ipam('10.80.0.0/24'),
    },
  });
  const t = setup(kube, confDir);
  expect((await runPlugin(t.container, { command: 'ADD', config: base, args })).code).toBe(0);
  expect(t.executor.sequence()).toEqual(['ADD ptp eth0']);
});

test.each([
  [
    'namespaceIsolation',
    { namespaceIsolation: true },
    { 'k8s.v1.cni.cncf.io/networks': 'other/x' },
    7,
    'pod ns1/pod1 may not use network other/x',
  ],
  ['a network that does not exist', {}, { 'k8s.v1.cni.cncf.io/networks': 'nope' }, 105, 'network ns1/nope not found'],
  ['a malformed annotation', {}, { 'k8s.v1.cni.cncf.io/networks': 'a/b/c' }, 7, '"a/b/c"'],
  ['no network at all', {}, {}, 7, 'pod ns1/pod1 selects no network'],
])('%s is refused before anything runs', async (_name, extra, annotations, code, fragment) => {
  const t = setup(new FakeKubeClient().addPod('ns1', 'pod1', annotations));
  const run = await runPlugin(t.container, { command: 'ADD', config: { ...base, ...extra }, args });
  expect(run.json).toMatchObject({ code });
  expect(run.json?.['msg']).toContain(fragment);
  expect(t.executor.calls).toHaveLength(0);
});

test('namespaceIsolation allows the default and global namespaces', async () => {
  const kube = new FakeKubeClient()
    .addPod('ns1', 'pod1', { 'k8s.v1.cni.cncf.io/networks': 'default/a,shared/b' })
    .addNad('default', 'a', { cniVersion: '1.0.0', name: 'a', type: 'macvlan' })
    .addNad('shared', 'b', { cniVersion: '1.0.0', name: 'b', type: 'macvlan' });
  const t = setup(kube);
  const run = await runPlugin(t.container, {
    command: 'ADD',
    config: { ...base, namespaceIsolation: true, globalNamespaces: 'shared' },
    args,
  });
  expect(run.code).toBe(0);
});

test('without K8S_POD_NAMESPACE / K8S_POD_NAME it is code 4 naming them', async () => {
  const t = setup(new FakeKubeClient());
  const run = await runPlugin(t.container, { command: 'ADD', config: base, args: 'IgnoreUnknown=1;K8S_POD_NAME=p' });
  expect(run.json).toMatchObject({ code: 4, msg: expect.stringContaining('K8S_POD_NAMESPACE missing') });
});

test('a pod replaced under the same name (UID differs) is refused', async () => {
  const t = setup(new FakeKubeClient().addPod('ns1', 'pod1', {}, 'another-uid'));
  const run = await runPlugin(t.container, { command: 'ADD', config: base, args });
  expect(run.json).toMatchObject({ code: 3 });
});

test('API down at ADD: the client error (code 11) is returned and nothing runs', async () => {
  const kube = new FakeKubeClient();
  kube.failWith = new CniError(11, 'Kubernetes API https://fake-apiserver unreachable');
  const t = setup(kube);
  const run = await runPlugin(t.container, { command: 'ADD', config: base, args });
  expect(run.json).toMatchObject({ code: 11 });
  expect(t.executor.calls).toHaveLength(0);
});

test('API down at DEL: the cache serves it and nothing asks the API', async () => {
  const kube = seedCluster(seedAnnotation);
  const t = setup(kube);
  await runPlugin(t.container, { command: 'ADD', config: base, args });
  kube.failWith = new CniError(11, 'down');
  kube.calls.length = 0;
  t.executor.calls.length = 0;
  const del = await runPlugin(t.container, { command: 'DEL', config: base, args });
  expect(del.code).toBe(0);
  expect(t.executor.sequence()).toEqual(['DEL ptp net2', 'DEL bridge net1', 'DEL bridge net0', 'DEL bridge eth0']);
  expect(kube.calls).toEqual([]);
});

test('API down at DEL without a cache: logged, DEL succeeds', async () => {
  const kube = new FakeKubeClient();
  kube.failWith = new CniError(11, 'down');
  const t = setup(kube);
  const del = await runPlugin(t.container, { command: 'DEL', config: base, args });
  expect(del).toMatchObject({ code: 0, stdout: '' });
  expect(t.logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('networks not resolvable'))).toBe(
    true,
  );
});

test('a pod deleted before network-status is written: logged, ADD succeeds', async () => {
  const kube = seedCluster(seedAnnotation);
  const t = setup(kube);
  const original = kube.setPodAnnotation.bind(kube);
  kube.setPodAnnotation = (ns, name, key, value): Promise<void> => {
    kube.pods.delete(`${ns}/${name}`);
    return original(ns, name, key, value);
  };
  const run = await runPlugin(t.container, { command: 'ADD', config: base, args });
  expect(run.code).toBe(0);
  expect(t.logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('network-status not written'))).toBe(
    true,
  );
});
