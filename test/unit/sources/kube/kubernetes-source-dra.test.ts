/**
 * The Kubernetes source with devices from Dynamic Resource Allocation: a pod's ResourceClaims
 * give NetworkAttachmentDefinitions with a `k8s.v1.cni.cncf.io/resourceName` their device, as
 * sriov and host-device receive it and network-status reports it; the kubelet is asked only for
 * what the claims do not serve.
 */
import { CniCode } from '../../../../src/core/errors';
import { FakePodResources, pciDeviceInfo } from '../../../support/fake-pod-resources';
import { FakeConfDir, FakeKubeClient, nadRef } from '../../../support/fake-kube';
import { runPlugin } from '../../../support/run-plugin';
import { testContainer, type TestContainer } from '../../../support/test-container';

const SRIOV = 'intel.com/sriov_netdevice';
const FPGA = 'example.com/fpga_nic';
const DRIVER = 'sriov.example.com';
const VF1 = '0000:af:06.2';
const VF2 = '0000:af:06.3';
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const STATUS = 'k8s.v1.cni.cncf.io/network-status';
const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_UID=uid-pod1';
const config = {
  name: 'multus-net',
  type: 'multus',
  cniVersion: '1.0.0',
  kubeconfig: '/etc/kubernetes/node.kubeconfig',
  clusterNetwork: 'cluster',
};

function addNad(kube: FakeKubeClient, name: string, config: Record<string, unknown>, resourceName?: string): void {
  const annotations =
    resourceName === undefined ? {} : { annotations: { 'k8s.v1.cni.cncf.io/resourceName': resourceName } };
  const namespace = name === 'cluster' ? 'kube-system' : 'ns1';
  kube.addObject(nadRef(namespace, name), {
    metadata: { name, namespace, ...annotations },
    spec: { config: JSON.stringify({ cniVersion: '1.0.0', name, ...config }) },
  });
}

const vf = (name: string, deviceId: string, resourceName = SRIOV) => ({
  name,
  attributes: { 'k8s.cni.cncf.io/deviceID': deviceId, 'k8s.cni.cncf.io/resourceName': resourceName },
});

/** A pod on node-a with one claim (two VFs and a GPU), and the NADs that name the resources. */
function cluster(annotation: string): FakeKubeClient {
  const kube = new FakeKubeClient().addPod('ns1', 'pod1', { [NETWORKS]: annotation }).setPodDra('ns1', 'pod1', {
    nodeName: 'node-a',
    resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'pod1-nics-x7k2' }],
  });
  addNad(kube, 'cluster', { type: 'bridge', ipam: { type: 'host-local', subnet: '10.244.0.0/24' } });
  addNad(kube, 'sriov-net', { type: 'sriov', vlan: 100 }, SRIOV);
  addNad(kube, 'hostdev-net', { type: 'host-device' }, SRIOV);
  addNad(kube, 'fpga-net', { type: 'host-device' }, FPGA);
  addNad(kube, 'macvlan-conf', { type: 'macvlan', master: 'eth1' });
  return kube
    .addResourceSlice('node-a', DRIVER, {
      name: 'slice-1',
      pool: 'pool-a',
      devices: [vf('vf-1', VF1), vf('vf-2', VF2)],
    })
    .addResourceSlice('node-a', 'gpu.example.com', {
      name: 'gpus',
      pool: 'gpus',
      devices: [{ name: 'gpu-0', attributes: {} }],
    })
    .addResourceClaim('ns1', 'pod1-nics-x7k2', [
      { request: 'nics', driver: DRIVER, pool: 'pool-a', device: 'vf-1' },
      { request: 'gpu', driver: 'gpu.example.com', pool: 'gpus', device: 'gpu-0' },
      { request: 'nics', driver: DRIVER, pool: 'pool-a', device: 'vf-2' },
    ]);
}

function setup(kube: FakeKubeClient, kubelet = new FakePodResources()): TestContainer & { kubelet: FakePodResources } {
  const replace = { KubeClientProvider: kube, ConfDirReader: new FakeConfDir(), PodResources: kubelet };
  return { ...testContainer(undefined, undefined, { replace }), kubelet };
}

function status(kube: FakeKubeClient): Array<Record<string, unknown>> {
  return JSON.parse(kube.pods.get('ns1/pod1')?.annotations[STATUS] ?? '[]') as Array<Record<string, unknown>>;
}

const pci = pciDeviceInfo;

test(
  'claims: sriov gets deviceID, host-device pciBusID from the slices; the GPU is skipped; the kubelet is ' +
    'never asked',
  async () => {
    const kube = cluster('sriov-net, hostdev-net');
    const t = setup(kube);
    const run = await runPlugin(t.container, { command: 'ADD', config, args });
    expect(run.code).toBe(0);
    expect(t.executor.calls.slice(1).map((c) => c.stdin)).toEqual([
      { cniVersion: '1.0.0', name: 'sriov-net', type: 'sriov', vlan: 100, deviceID: VF1 },
      { cniVersion: '1.0.0', name: 'hostdev-net', type: 'host-device', pciBusID: VF2 },
    ]);
    expect(t.kubelet.calls).toEqual([]);
    expect(status(kube).map((s) => [s['interface'], s['device-info']])).toEqual([
      ['eth0', undefined],
      ['net0', pci(VF1)],
      ['net1', pci(VF2)],
    ]);
  },
);

test('a resourceName the claims do not serve comes from the kubelet, asked once, after the claims', async () => {
  const t = setup(cluster('sriov-net, fpga-net'), new FakePodResources({ [FPGA]: ['0000:3b:00.0'] }));
  expect((await runPlugin(t.container, { command: 'ADD', config, args })).code).toBe(0);
  expect(t.executor.calls.slice(1).map((c) => c.stdin['deviceID'] ?? c.stdin['pciBusID'])).toEqual([
    VF1,
    '0000:3b:00.0',
  ]);
  expect(t.kubelet.calls).toEqual(['/var/lib/kubelet/pod-resources/kubelet.sock ns1/pod1']);
});

test('annotations from runtimeConfig: the pod is read for claims only when a network has a resourceName', async () => {
  const kube = cluster('');
  const withAnnotations = (networks: string): Record<string, unknown> => ({
    ...config,
    runtimeConfig: { 'io.kubernetes.cri.pod-annotations': { [NETWORKS]: networks } },
  });
  const plain = setup(kube);
  expect(
    (await runPlugin(plain.container, { command: 'ADD', config: withAnnotations('macvlan-conf'), args })).code,
  ).toBe(0);
  expect(kube.calls.filter((c) => !c.startsWith('getObject') && !c.startsWith('setPod'))).toEqual([]);
  kube.calls.length = 0;
  const t = setup(kube);
  expect((await runPlugin(t.container, { command: 'ADD', config: withAnnotations('sriov-net'), args })).code).toBe(0);
  expect(t.executor.calls[1]?.stdin).toMatchObject({ type: 'sriov', deviceID: VF1 });
  expect(kube.calls.filter((c) => !c.startsWith('getObject') && !c.startsWith('setPod'))).toEqual([
    'getPod ns1/pod1',
    'getResourceClaim ns1/pod1-nics-x7k2 uid-pod1',
    `listResourceSlices node-a ${DRIVER}`,
    'listResourceSlices node-a gpu.example.com',
  ]);
});

test('a claim without allocation: code 7 naming the claim and the network; nothing runs', async () => {
  const kube = cluster('sriov-net').addResourceClaim('ns1', 'pod1-nics-x7k2', undefined);
  const t = setup(kube);
  const run = await runPlugin(t.container, { command: 'ADD', config, args });
  expect(run.code).toBe(1);
  expect(run.json).toMatchObject({ code: CniCode.InvalidConfig });
  expect(String(run.json?.['msg'])).toBe(
    `annotation "${NETWORKS}" entry 1 (NetworkAttachmentDefinition ns1/sriov-net): resourceName "${SRIOV}": ` +
      'ResourceClaim ns1/pod1-nics-x7k2 of pod ns1/pod1 has no allocation (status.allocation.devices.results is ' +
      'not set): its devices are not known yet',
  );
  expect(t.executor.calls).toEqual([]);
});

test('pods without a resourceName network never read claims, even with claims', async () => {
  const kube = cluster('macvlan-conf');
  expect((await runPlugin(setup(kube).container, { command: 'ADD', config, args })).code).toBe(0);
  expect(kube.calls.filter((c) => c.startsWith('getResourceClaim') || c.startsWith('list'))).toEqual([]);
});

test('DEL without a record and the claim gone: the networks are still deleted, without a device', async () => {
  const kube = cluster('hostdev-net');
  kube.claims.clear();
  const t = setup(kube);
  expect((await runPlugin(t.container, { command: 'DEL', config, args })).code).toBe(0);
  expect(t.executor.sequence()).toEqual(['DEL host-device net0', 'DEL bridge eth0']);
  expect(t.executor.calls[0]?.stdin).toEqual({ cniVersion: '1.0.0', name: 'hostdev-net', type: 'host-device' });
});
