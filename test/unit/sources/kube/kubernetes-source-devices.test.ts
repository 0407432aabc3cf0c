/**
 * The Kubernetes source's device IDs: the selection's `deviceID` and a NetworkAttachmentDefinition's
 * `k8s.v1.cni.cncf.io/resourceName` (the kubelet's device), as sriov and host-device receive them,
 * and as network-status reports them. (Apart from kubernetes-source.test.ts for the gRPC module
 * spy below, which must be in place before anything imports the source.)
 */
import { CniCode, CniError } from '../../../../src/core/errors';
import type { PodResources } from '../../../../src/core/ports/pod-resources';
import { FakePodResources, pciDeviceInfo } from '../../../support/fake-pod-resources';
import { FakeConfDir, FakeKubeClient, nadRef } from '../../../support/fake-kube';
import { runPlugin } from '../../../support/run-plugin';
import { testContainer, type TestContainer } from '../../../support/test-container';

/** Every load of the gRPC library, to show that pods without a resourceName never load it. */
const mockGrpcLoads: string[] = [];
jest.mock('@grpc/grpc-js', () => {
  mockGrpcLoads.push('@grpc/grpc-js');
  return jest.requireActual<object>('@grpc/grpc-js');
});

const SRIOV = 'intel.com/sriov_netdevice';
const VF1 = '0000:af:06.2';
const VF2 = '0000:af:06.3';
const base = { name: 'multus-net', type: 'multus', cniVersion: '1.0.0', kubeconfig: '/etc/kubernetes/node.kubeconfig' };
const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1';
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const STATUS = 'k8s.v1.cni.cncf.io/network-status';

/** A NAD with annotations (FakeKubeClient.addNad writes none). */
function addNad(
  kube: FakeKubeClient,
  namespace: string,
  name: string,
  config: Record<string, unknown>,
  resourceName?: string,
): FakeKubeClient {
  const annotations =
    resourceName === undefined ? {} : { annotations: { 'k8s.v1.cni.cncf.io/resourceName': resourceName } };
  return kube.addObject(nadRef(namespace, name), {
    metadata: { name, namespace, ...annotations },
    spec: { config: JSON.stringify(config) },
  });
}

function cluster(annotation: string): FakeKubeClient {
  const kube = new FakeKubeClient().addPod('ns1', 'pod1', { [NETWORKS]: annotation });
  addNad(kube, 'kube-system', 'cluster', {
    cniVersion: '1.0.0',
    name: 'cluster',
    type: 'bridge',
    ipam: { type: 'host-local', subnet: '10.244.0.0/24' },
  });
  addNad(kube, 'ns1', 'sriov-net', { cniVersion: '1.0.0', name: 'sriov-net', type: 'sriov', vlan: 100 }, SRIOV);
  addNad(kube, 'ns1', 'hostdev-net', { cniVersion: '1.0.0', name: 'hostdev-net', type: 'host-device' }, SRIOV);
  addNad(kube, 'ns1', 'sriov-plain', { cniVersion: '1.0.0', name: 'sriov-plain', type: 'sriov', if0: 'ens1f0' });
  addNad(kube, 'ns1', 'hostdev-plain', { cniVersion: '1.0.0', name: 'hostdev-plain', type: 'host-device' });
  addNad(kube, 'ns1', 'macvlan-conf', { cniVersion: '1.0.0', name: 'macvlan-conf', type: 'macvlan', master: 'eth1' });
  return addNad(
    kube,
    'ns1',
    'sriov-chain',
    {
      cniVersion: '1.0.0',
      name: 'sriov-chain',
      plugins: [
        { type: 'sriov' },
        { type: 'vendor-tuning', capabilities: { deviceID: true } },
        { type: 'sriov-metrics' },
      ],
    },
    SRIOV,
  );
}

const config = { ...base, clusterNetwork: 'cluster' };

/** `production` keeps the container's own binding (the gRPC client). */
function setup(
  kube: FakeKubeClient,
  podResources: PodResources | 'production' = new FakePodResources({ [SRIOV]: [VF1, VF2] }),
): TestContainer & { kube: FakeKubeClient } {
  const replace = { KubeClientProvider: kube, ConfDirReader: new FakeConfDir() };
  const t = testContainer(undefined, undefined, {
    replace: podResources === 'production' ? replace : { ...replace, PodResources: podResources },
  });
  return { ...t, kube };
}

function status(kube: FakeKubeClient): Array<Record<string, unknown>> {
  return JSON.parse(kube.pods.get('ns1/pod1')?.annotations[STATUS] ?? '[]') as Array<Record<string, unknown>>;
}

const pci = pciDeviceInfo;

test(
  "resourceName: sriov gets the kubelet's device as deviceID, host-device as pciBusID, in order; network-status " +
    'carries them',
  async () => {
    const fake = new FakePodResources({ [SRIOV]: [VF1, VF2] });
    const t = setup(cluster('sriov-net, hostdev-net'), fake);
    const run = await runPlugin(t.container, { command: 'ADD', config, args });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['ADD bridge eth0', 'ADD sriov net0', 'ADD host-device net1']);
    expect(t.executor.calls[1]?.stdin).toEqual({
      cniVersion: '1.0.0',
      name: 'sriov-net',
      type: 'sriov',
      vlan: 100,
      deviceID: VF1,
    });
    expect(t.executor.calls[2]?.stdin).toEqual({
      cniVersion: '1.0.0',
      name: 'hostdev-net',
      type: 'host-device',
      pciBusID: VF2,
    });
    expect(fake.calls).toEqual(['/var/lib/kubelet/pod-resources/kubelet.sock ns1/pod1']);
    expect(status(t.kube).map((s) => [s['interface'], s['device-info']])).toEqual([
      ['eth0', undefined],
      ['net0', pci(VF1)],
      ['net1', pci(VF2)],
    ]);
  },
);

test(
  'a conflist: every sriov plugin gets deviceID; a plugin declaring the deviceID capability gets ' +
    'runtimeConfig.deviceID; others nothing',
  async () => {
    const t = setup(cluster('sriov-chain'));
    expect((await runPlugin(t.container, { command: 'ADD', config, args })).code).toBe(0);
    expect(t.executor.calls.slice(1).map((c) => c.stdin)).toEqual([
      { cniVersion: '1.0.0', name: 'sriov-chain', type: 'sriov', deviceID: VF1 },
      expect.objectContaining({
        type: 'vendor-tuning',
        capabilities: { deviceID: true },
        runtimeConfig: { deviceID: VF1 },
      }),
      expect.not.objectContaining({ runtimeConfig: expect.anything(), deviceID: expect.anything() }),
    ]);
  },
);

test(
  "the selection's deviceID (JSON form): deviceID for sriov, " + 'pciBusID for host-device, without asking the kubelet',
  async () => {
    const fake = new FakePodResources();
    const annotation = JSON.stringify([
      { name: 'sriov-plain', deviceID: '0000:05:00.1' },
      { name: 'hostdev-plain', deviceID: '0000:05:00.2' },
      { name: 'macvlan-conf', deviceID: '0000:05:00.3' },
    ]);
    const t = setup(cluster(annotation), fake);
    expect((await runPlugin(t.container, { command: 'ADD', config, args })).code).toBe(0);
    expect(t.executor.calls[1]?.stdin).toEqual({
      cniVersion: '1.0.0',
      name: 'sriov-plain',
      type: 'sriov',
      if0: 'ens1f0',
      deviceID: '0000:05:00.1',
    });
    expect(t.executor.calls[2]?.stdin).toEqual({
      cniVersion: '1.0.0',
      name: 'hostdev-plain',
      type: 'host-device',
      pciBusID: '0000:05:00.2',
    });
    expect(t.executor.calls[3]?.stdin).toEqual({
      cniVersion: '1.0.0',
      name: 'macvlan-conf',
      type: 'macvlan',
      master: 'eth1',
    });
    expect(fake.calls).toEqual([]);
    expect(status(t.kube).map((s) => s['device-info'])).toEqual([
      undefined,
      pci('0000:05:00.1'),
      pci('0000:05:00.2'),
      pci('0000:05:00.3'),
    ]);
  },
);

test("resourceName and the selection's deviceID: the kubelet's device wins, as in Go Multus", async () => {
  const t = setup(cluster(JSON.stringify([{ name: 'sriov-net', deviceID: '0000:05:00.1' }])));
  expect((await runPlugin(t.container, { command: 'ADD', config, args })).code).toBe(0);
  expect(t.executor.calls[1]?.stdin).toMatchObject({ type: 'sriov', deviceID: VF1 });
});

test('the cluster network with a resourceName takes the first device, the annotated networks the next', async () => {
  const t = setup(cluster('sriov-net'));
  const run = await runPlugin(t.container, {
    command: 'ADD',
    config: { ...base, clusterNetwork: 'ns1/hostdev-net' },
    args,
  });
  expect(run.code).toBe(0);
  expect(t.executor.calls.map((c) => [c.type, c.stdin['pciBusID'] ?? c.stdin['deviceID']])).toEqual([
    ['host-device', VF1],
    ['sriov', VF2],
  ]);
});

test('more attachments than devices: code 7 naming the pod and the resource, before any delegate runs', async () => {
  const t = setup(cluster('sriov-net, sriov-net, sriov-net'));
  const run = await runPlugin(t.container, { command: 'ADD', config, args });
  expect(run.code).toBe(1);
  expect(run.json).toMatchObject({ code: CniCode.InvalidConfig });
  expect(String(run.json?.['msg'])).toBe(
    `annotation "k8s.v1.cni.cncf.io/networks" entry 3 (NetworkAttachmentDefinition ns1/sriov-net): resourceName ` +
      `"${SRIOV}": pod ns1/pod1 has no device of resource "${SRIOV}" left for this attachment: ` +
      `the kubelet allocated it 2 (${VF1}, ${VF2}), all given to earlier attachments (does the pod request ` +
      `${SRIOV} in its resources for every network that names it?)`,
  );
  expect(t.executor.calls).toEqual([]);
});

test('pods whose networks name no resource never ask the kubelet and never load the gRPC library', async () => {
  const fake = new FakePodResources();
  const t = setup(cluster('macvlan-conf, sriov-plain'), fake);
  expect((await runPlugin(t.container, { command: 'ADD', config, args })).code).toBe(0);
  expect(fake.calls).toEqual([]);
  expect(mockGrpcLoads).toEqual([]);
});

test(
  'the production client: an unreachable podResourcesSocket is code 11 naming it; nothing runs; gRPC is loaded ' +
    'only now',
  async () => {
    const t = setup(cluster('sriov-net'), 'production');
    const socket = '/nonexistent/pod-resources/kubelet.sock';
    const run = await runPlugin(t.container, {
      command: 'ADD',
      config: { ...config, podResourcesSocket: socket },
      args,
    });
    expect(run.json).toMatchObject({ code: CniCode.TryAgainLater });
    expect(String(run.json?.['msg'])).toMatch(
      new RegExp(
        `resourceName "${SRIOV}": kubelet pod-resources API unix://${socket} unreachable: UNAVAILABLE: ` +
          `.*ENOENT.*for pod ns1/pod1\\)$`,
        'u',
      ),
    );
    expect(t.executor.calls).toEqual([]);
    expect(mockGrpcLoads).toEqual(['@grpc/grpc-js']);
  },
);

test(
  'DEL without a record and the kubelet down: the networks ' + 'are still deleted, without a device (best effort)',
  async () => {
    const down: PodResources = { devices: () => Promise.reject(new CniError(CniCode.TryAgainLater, 'kubelet down')) };
    const t = setup(cluster('hostdev-net, macvlan-conf'), down);
    const del = await runPlugin(t.container, { command: 'DEL', config, args });
    expect(del.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['DEL macvlan net1', 'DEL host-device net0', 'DEL bridge eth0']);
    expect(t.executor.calls[1]?.stdin).toEqual({ cniVersion: '1.0.0', name: 'hostdev-net', type: 'host-device' });
  },
);
