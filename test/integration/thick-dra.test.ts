/**
 * Thick mode with devices from Dynamic Resource Allocation: through the compiled multus-shim and
 * a `multus daemon` with a node name, against the test API server. The daemon reads a pod's
 * ResourceClaim once and keeps it while the pod lives, and lists the node's ResourceSlices of a
 * driver once; the next ADD of the pod asks the API for neither. A device the driver publishes
 * later is found by listing the slices again. The recording stand-in plays sriov (no SR-IOV
 * hardware or sriov-cni here).
 */
import { join } from 'node:path';
import { waitFor } from './support/fault-run';
import {
  addNad as addKubeNad,
  forgetStateAfterTest,
  NETWORKS_ANNOTATION,
  podCniArgs,
  useKubeCluster,
} from './support/kube-cluster';
import { createNetns } from './support/net';
import { RecordingBinDir } from './support/recording';
import { expectSuccess } from './support/run-multus';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';

const NET = 215; // 10.215.0.0/16 belongs to the DRA tests (this file: .100-.199)
const NAMESPACE = 'dra-thick';
const NODE = 'dra-thick-node';
const SRIOV = 'intel.com/sriov_netdevice';
const DRIVER = 'sriov.dra.example.com';
const CLUSTER_TYPE = 'stand-in-cluster';
const CLAIMS = { group: 'resource.k8s.io', version: 'v1', plural: 'resourceclaims' };
const SLICES = { group: 'resource.k8s.io', version: 'v1', plural: 'resourceslices' };
const stand = (third: number): Record<string, unknown> => ({ address: `10.${NET}.${third}.5/24` });
const vf = (name: string, deviceId: string): Record<string, unknown> => ({
  name,
  attributes: {
    'k8s.cni.cncf.io/deviceID': { string: deviceId },
    'k8s.cni.cncf.io/resourceName': { string: SRIOV },
  },
});

describe('thick mode: DRA claims and slices cached by the daemon (recording stand-in as sriov)', () => {
  const fx = useKubeCluster('dt');
  const { ws, cleanup, perFile, cluster } = fx;
  let daemon: ThickDaemon;
  let bin: RecordingBinDir;

  function addNad(name: string, config: Record<string, unknown>, resourceName?: string, namespace = NAMESPACE): void {
    addKubeNad(cluster.server, namespace, name, { cniVersion: '1.0.0', name, ...config }, resourceName);
  }

  beforeAll(async () => {
    assertThickPrerequisites();
    const { server } = cluster;
    addNad('cluster-net', { type: CLUSTER_TYPE, standIn: stand(101) }, undefined, 'kube-system');
    addNad('sriov-net', { type: 'sriov', standIn: stand(102) }, SRIOV);
    server.addObject(
      { ...SLICES, name: 'dra-thick-slice-1' },
      { spec: { nodeName: NODE, driver: DRIVER, pool: { name: 'pool-a' }, devices: [vf('vf-1', '0000:af:06.2')] } },
    );
    bin = new RecordingBinDir(join(ws.dir, 'bin'), ['sriov', CLUSTER_TYPE]);
    daemon = await ThickDaemon.start(ws.dir, perFile, {
      config: { cniDir: ws.cniDir, kubeconfig: cluster.kubeconfig, nodeName: NODE, logLevel: 'debug' },
    });
    await waitFor('the pod informer watch', 60_000, () =>
      server.requests.find((r) => r.path === '/api/v1/pods' && r.query.includes('watch=true') && r.status === 200),
    );
  }, 120_000);

  /** A netns, the pod on NODE with one claim, the claim; the call the runtime makes through the shim. */
  function setUp(suffix: string, device: string): Parameters<typeof runShim>[0] {
    const ns = `${ws.prefix}-${suffix}`;
    forgetStateAfterTest(ws, cleanup);
    const netns = createNetns(ns, cleanup);
    const pod = { namespace: NAMESPACE, name: `pod-${suffix}`, uid: `uid-${suffix}-${process.pid}` };
    const claim = `pod-${suffix}-nics`;
    cluster.server.addObject(
      { ...CLAIMS, namespace: NAMESPACE, name: claim },
      {
        status: { allocation: { devices: { results: [{ request: 'nics', driver: DRIVER, pool: 'pool-a', device }] } } },
      },
    );
    // One object with its status: a watch event without the claims must not reach the daemon first.
    cluster.server.addObject(
      { group: '', version: 'v1', plural: 'pods', namespace: NAMESPACE, name: pod.name },
      {
        metadata: { uid: pod.uid, annotations: { [NETWORKS_ANNOTATION]: 'sriov-net' } },
        spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox' }] },
        status: { phase: 'Pending', resourceClaimStatuses: [{ name: 'nics', resourceClaimName: claim }] },
      },
    );
    const containerId = `${ws.prefix}-ctr-${suffix}`;
    const config = shimConfig({ cniVersion: '1.0.0', name: 'dra-thick-net' }, daemon, {
      clusterNetwork: 'cluster-net',
      ifnameIndexFrom: 1,
      binDir: bin.binDir,
      podResourcesSocket: join(ws.dir, 'no-kubelet', 'kubelet.sock'),
    });
    return { command: 'ADD', config, containerId, netns, cniArgs: podCniArgs(pod, containerId) };
  }

  /** The DRA reads the API server saw. */
  const draReads = (): string[] =>
    cluster.server.requests
      .filter((r) => r.path.startsWith('/apis/resource.k8s.io/'))
      .map((r) => `${r.path}${decodeURIComponent(r.query)}`);
  const SLICE_LIST =
    '/apis/resource.k8s.io/v1/resourceslices?fieldSelector=' + `spec.nodeName=${NODE},spec.driver=${DRIVER}`;

  it(
    'the first ADD reads the claim and lists the slices; the second ADD of the pod reads neither; a device ' +
      'published later is found by one more list',
    async () => {
      const call = setUp('a', 'vf-1');
      cluster.server.clearRequests();
      expectSuccess(await runShim(call));
      expect(bin.read('sriov', 'ADD', 'net1').stdin).toMatchObject({ deviceID: '0000:af:06.2' });
      expect(draReads()).toEqual([
        `/apis/resource.k8s.io/v1/namespaces/${NAMESPACE}/resourceclaims/pod-a-nics`,
        SLICE_LIST,
      ]);
      expectSuccess(await runShim({ ...call, command: 'DEL' }));

      cluster.server.clearRequests();
      expectSuccess(await runShim(call));
      expect(bin.read('sriov', 'ADD', 'net1').stdin).toMatchObject({ deviceID: '0000:af:06.2' });
      expect(draReads()).toEqual([]);
      expectSuccess(await runShim({ ...call, command: 'DEL' }));

      // The driver publishes another VF; a new pod gets it: the cached list lacks it, so it is listed again.
      cluster.server.addObject(
        { ...SLICES, name: 'dra-thick-slice-2' },
        { spec: { nodeName: NODE, driver: DRIVER, pool: { name: 'pool-a' }, devices: [vf('vf-2', '0000:af:06.3')] } },
      );
      const second = setUp('b', 'vf-2');
      cluster.server.clearRequests();
      expectSuccess(await runShim(second));
      expect(bin.read('sriov', 'ADD', 'net1').stdin).toMatchObject({ deviceID: '0000:af:06.3' });
      expect(draReads()).toEqual([
        `/apis/resource.k8s.io/v1/namespaces/${NAMESPACE}/resourceclaims/pod-b-nics`,
        SLICE_LIST,
      ]);
      expectSuccess(await runShim({ ...second, command: 'DEL' }));
    },
    120_000,
  );
});
