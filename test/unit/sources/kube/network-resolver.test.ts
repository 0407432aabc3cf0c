import { NetworkResolver } from '../../../../src/sources/kube/network-resolver';
import { FakeConfDir, FakeKubeClient, nadRef, networkRef } from '../../../support/fake-kube';

function resolver(kube: FakeKubeClient, confDir = new FakeConfDir()): NetworkResolver {
  return new NetworkResolver(() => Promise.resolve(kube), confDir, '/etc/cni/multus/net.d');
}

test('a NAD: its config, its name, ns/name for the status', async () => {
  const kube = new FakeKubeClient().addNad('ns1', 'm', { cniVersion: '1.0.0', name: 'macvlan', type: 'macvlan' });
  await expect(resolver(kube).resolve('ns1', 'm', 'nad-first')).resolves.toEqual({
    conf: { cniVersion: '1.0.0', name: 'macvlan', type: 'macvlan' },
    network: 'macvlan',
    statusName: 'ns1/m',
    origin: 'NetworkAttachmentDefinition ns1/m',
  });
});

test('a seed Network: type from `plugin`, name from the object when the config has none', async () => {
  const kube = new FakeKubeClient().addNetwork('ns1', 'br-net-1', 'bridge', { bridge: 'br1' });
  const found = await resolver(kube).resolve('ns1', 'br-net-1', 'network-first');
  expect(found.conf).toEqual({ bridge: 'br1', type: 'bridge', name: 'br-net-1' });
  expect(found.origin).toBe('CRD Network ns1/br-net-1');
});

test(
  'network-first does not look up NADs when the Network exists; nad-first does not discover CRDs when the NAD ' +
    'exists',
  async () => {
    const kube = new FakeKubeClient().addNetwork('ns1', 'x', 'bridge', {}).addNad('ns1', 'x', { type: 'macvlan' });
    await resolver(kube).resolve('ns1', 'x', 'network-first');
    expect(kube.calls.some((c) => c.includes('network-attachment-definitions'))).toBe(false);
    kube.calls.length = 0;
    await resolver(kube).resolve('ns1', 'x', 'nad-first');
    expect(kube.calls).toEqual(['getObject k8s.cni.cncf.io/network-attachment-definitions ns1/x']);
  },
);

test.each([
  [
    'NAD spec.config not JSON',
    (k: FakeKubeClient) => k.addNad('ns1', 'x', '{oops'),
    7,
    'NetworkAttachmentDefinition ns1/x spec.config is not valid JSON',
  ],
  [
    'NAD without type or plugins',
    (k: FakeKubeClient) => k.addNad('ns1', 'x', { name: 'x' }),
    7,
    'has neither "type" nor "plugins"',
  ],
  [
    'NAD empty config, no file',
    (k: FakeKubeClient) => k.addNad('ns1', 'x', undefined),
    7,
    'no config named "x" is in /etc/cni/multus/net.d',
  ],
  [
    'Network args with two configs',
    (k: FakeKubeClient) =>
      k.addNetwork('ns1', 'x', 'bridge', {}).addObject(networkRef('ns1', 'x'), { plugin: 'bridge', args: '[{}, {}]' }),
    7,
    'args must hold a list with exactly one delegate config',
  ],
  ['nothing of that name', (k: FakeKubeClient) => k, 105, 'network ns1/x not found'],
])('%s', async (_name, arrange, code, fragment) => {
  const kube = arrange(new FakeKubeClient());
  await expect(resolver(kube).resolve('ns1', 'x', 'nad-first')).rejects.toMatchObject({
    code,
    msg: expect.stringContaining(fragment),
  });
});

test('without the CRD and the TPR, no Network is looked up', async () => {
  const kube = new FakeKubeClient().addObject(networkRef('ns1', 'x'), { plugin: 'bridge', args: '[{}]' });
  await expect(resolver(kube).resolve('ns1', 'x', 'network-first')).rejects.toMatchObject({ code: 105 });
  expect(kube.calls.some((c) => c.startsWith('getObject kubernetes.com/networks'))).toBe(false);
});

describe('the k8s.v1.cni.cncf.io/resourceName annotation of a NAD', () => {
  const NAD = nadRef('ns1', 'vf');
  const nad = (annotations: Record<string, unknown> | undefined): FakeKubeClient =>
    new FakeKubeClient().addObject(NAD, {
      metadata: { name: 'vf', namespace: 'ns1', ...(annotations === undefined ? {} : { annotations }) },
      spec: { config: '{"cniVersion":"1.0.0","type":"sriov"}' },
    });

  test.each([
    ['given', { 'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_netdevice' }, 'intel.com/sriov_netdevice'],
    [
      'given with white space around it',
      { 'k8s.v1.cni.cncf.io/resourceName': ' intel.com/sriov_netdevice ' },
      'intel.com/sriov_netdevice',
    ],
    ['blank', { 'k8s.v1.cni.cncf.io/resourceName': ' ' }, undefined],
    ['another annotation only', { 'k8s.v1.cni.cncf.io/other': 'x' }, undefined],
    ['no annotations', undefined, undefined],
  ])('%s', async (_name, annotations, expected) => {
    const found = await resolver(nad(annotations)).resolve('ns1', 'vf', 'nad-first');
    expect(found.resourceName).toBe(expected);
    expect('resourceName' in found).toBe(expected !== undefined);
  });

  test('a seed Network object has no resourceName (Go Multus reads it from NADs only)', async () => {
    const kube = new FakeKubeClient().addNetwork('ns1', 'vf', 'sriov', {});
    const metadata = { name: 'vf', annotations: { 'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_netdevice' } };
    kube.addObject(networkRef('ns1', 'vf'), { metadata, plugin: 'sriov', args: '[{}]' });
    expect((await resolver(kube).resolve('ns1', 'vf', 'network-first')).resourceName).toBeUndefined();
  });
});
