/**
 * Devices from Dynamic Resource Allocation through dist/multus: the pod's ResourceClaims
 * (resource.k8s.io/v1, served by the test API server, not kube-apiserver) point at devices the
 * node's ResourceSlices publish with `k8s.cni.cncf.io/deviceID` and `k8s.cni.cncf.io/resourceName`;
 * NetworkAttachmentDefinitions with that `k8s.v1.cni.cncf.io/resourceName` get the deviceID. The
 * recording stand-in, linked as sriov and host-device (no SR-IOV hardware or sriov-cni here),
 * shows exactly what each receives; network-status carries the PCI address. No kubelet
 * pod-resources socket exists: a pod whose devices all come from DRA must not need one.
 */
import { join } from 'node:path';
import type { KubeTestObject } from '../support/kube-test-server';
import {
  addNad as addKubeNad,
  NETWORK_STATUS_ANNOTATION,
  NETWORKS_ANNOTATION,
  setUpKubePod,
  useKubeCluster,
} from './support/kube-cluster';
import { pciDeviceInfo } from '../support/fake-pod-resources';
import { RecordingBinDir } from './support/recording';
import { expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { cacheFiles } from './support/workspace';

const NET = 215; // 10.215.0.0/16 belongs to this file
const NAMESPACE = 'dra-ns';
const NODE = 'dra-node';
const SRIOV = 'intel.com/sriov_netdevice';
const DRIVER = 'sriov.dra.example.com';
const GPU_DRIVER = 'gpu.dra.example.com';
const [VF1, VF2, VF3] = ['0000:af:06.2', '0000:af:06.3', '0000:af:06.4'];
/** The stand-in's type for the cluster network (eth0): the recording plugin under another name. */
const CLUSTER_TYPE = 'stand-in-cluster';
const stand = (third: number): Record<string, unknown> => ({ address: `10.${NET}.${third}.5/24` });
const CLAIMS = { group: 'resource.k8s.io', version: 'v1', plural: 'resourceclaims' };
const SLICES = { group: 'resource.k8s.io', version: 'v1', plural: 'resourceslices' };

const vf = (name: string, deviceId: string): Record<string, unknown> => ({
  name,
  attributes: {
    'k8s.cni.cncf.io/deviceID': { string: deviceId },
    'k8s.cni.cncf.io/resourceName': { string: SRIOV },
    'dra.example.com/vendor': { string: '8086' },
  },
});
const result = (device: string, driver = DRIVER, pool = 'pool-a', request = 'nics'): Record<string, unknown> => ({
  request,
  driver,
  pool,
  device,
});
const pci = pciDeviceInfo;

describe('devices from Dynamic Resource Allocation for sriov and host-device (recording stand-ins)', () => {
  const fx = useKubeCluster('dr');
  const { ws, cluster } = fx;

  function addNad(name: string, config: Record<string, unknown>, resourceName?: string, namespace = NAMESPACE): void {
    addKubeNad(cluster.server, namespace, name, { cniVersion: '1.0.0', name, ...config }, resourceName);
  }

  function addSlice(name: string, node: string, driver: string, pool: string, devices: unknown[]): void {
    cluster.server.addObject(
      { ...SLICES, name },
      { spec: { nodeName: node, driver, pool: { name: pool, generation: 1, resourceSliceCount: 1 }, devices } },
    );
  }

  beforeAll(() => {
    addNad('cluster-net', { type: CLUSTER_TYPE, standIn: stand(1) }, undefined, 'kube-system');
    addNad('sriov-net', { type: 'sriov', vlan: 100, standIn: stand(2) }, SRIOV);
    addNad('hostdev-net', { type: 'host-device', standIn: stand(3) }, SRIOV);
    addSlice('dra-node-sriov', NODE, DRIVER, 'pool-a', [vf('vf-1', VF1), vf('vf-2', VF2), vf('vf-3', VF3)]);
    addSlice('dra-node-gpu', NODE, GPU_DRIVER, 'gpus', [{ name: 'gpu-0', attributes: { model: { string: 'x' } } }]);
    // Another node's slice with the same device names: the field selector must leave it out.
    addSlice('other-node-sriov', 'other-node', DRIVER, 'pool-a', [
      vf('vf-1', '0000:00:00.9'),
      vf('vf-2', '0000:00:00.8'),
    ]);
  });

  /** A netns, the pod in the API server on NODE with these DRA status fields, a bin dir of stand-ins. */
  function setUp(suffix: string, annotation: string, status: Record<string, unknown>) {
    const bin = new RecordingBinDir(join(ws.dir, `bin-${suffix}`), ['sriov', 'host-device', CLUSTER_TYPE]);
    const config = {
      clusterNetwork: 'cluster-net',
      ifnameIndexFrom: 1,
      // No kubelet here: a pod whose devices all come from DRA never asks it.
      podResourcesSocket: join(ws.dir, 'no-kubelet', 'kubelet.sock'),
      binDir: bin.binDir,
    };
    const annotations = { [NETWORKS_ANNOTATION]: annotation };
    const set = setUpKubePod(fx, { suffix, namespace: NAMESPACE, annotations, config });
    cluster.server.updatePod(NAMESPACE, set.pod.name, (pod: KubeTestObject) => {
      (pod['spec'] as Record<string, unknown>)['nodeName'] = NODE;
      pod['status'] = { phase: 'Pending', ...status };
    });
    return { ...set, bin };
  }

  function addClaim(name: string, results: unknown[] | undefined): void {
    const status = results === undefined ? {} : { allocation: { devices: { results } } };
    cluster.server.addObject({ ...CLAIMS, namespace: NAMESPACE, name }, { spec: { devices: {} }, status });
  }

  function deviceInfos(name: string): unknown[] {
    const text = cluster.server.pod(NAMESPACE, name)?.metadata.annotations?.[NETWORK_STATUS_ANNOTATION] ?? '[]';
    return (JSON.parse(text) as Array<Record<string, unknown>>).map((s) => [s['interface'], s['device-info']]);
  }

  /** The DRA requests the binary made, as `METHOD path?query`. */
  function draRequests(): string[] {
    return cluster.server.requests
      .filter((r) => r.path.startsWith('/apis/resource.k8s.io/'))
      .map((r) => `${r.method} ${r.path}${decodeURIComponent(r.query)}`);
  }

  it(
    'mixed claims (VFs and a GPU): sriov gets deviceID, host-device pciBusID from the slices, in claim order; ' +
      'network-status carries them; the GPU is skipped; no kubelet; DEL reuses them',
    async () => {
      cluster.server.clearRequests();
      addClaim('pod-a-nics', [result('vf-2'), result('gpu-0', GPU_DRIVER, 'gpus', 'gpu')]);
      addClaim('pod-a-more', [result('vf-1')]);
      const { pod, bin, call } = setUp('a', 'sriov-net, hostdev-net', {
        resourceClaimStatuses: [
          { name: 'nics', resourceClaimName: 'pod-a-nics' },
          { name: 'more', resourceClaimName: 'pod-a-more' },
        ],
      });

      expectSuccess(await runMultus({ ...call, command: 'ADD' }));
      expect(bin.read('sriov', 'ADD', 'net1').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'sriov-net',
        type: 'sriov',
        vlan: 100,
        standIn: stand(2),
        deviceID: VF2,
      });
      expect(bin.read('host-device', 'ADD', 'net2').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'hostdev-net',
        type: 'host-device',
        standIn: stand(3),
        pciBusID: VF1,
      });
      expect(bin.read(CLUSTER_TYPE, 'ADD', 'eth0').stdin).not.toHaveProperty('deviceID');
      expect(deviceInfos(pod.name)).toEqual([
        ['eth0', undefined],
        ['net1', pci(VF2)],
        ['net2', pci(VF1)],
      ]);
      expect(draRequests().sort()).toEqual([
        `GET /apis/resource.k8s.io/v1/namespaces/${NAMESPACE}/resourceclaims/pod-a-more`,
        `GET /apis/resource.k8s.io/v1/namespaces/${NAMESPACE}/resourceclaims/pod-a-nics`,
        `GET /apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName=${NODE},spec.driver=${GPU_DRIVER}`,
        `GET /apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName=${NODE},spec.driver=${DRIVER}`,
      ]);

      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expect(bin.read('sriov', 'DEL', 'net1').stdin).toMatchObject({ deviceID: VF2 });
      expect(bin.read('host-device', 'DEL', 'net2').stdin).toMatchObject({ pciBusID: VF1 });
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );

  it("the extended-resource claim: the mapping's request gives its VFs to the mapping's resource name", async () => {
    addClaim('pod-b-extended', [
      result('vf-3', DRIVER, 'pool-a', 'container-0-request-0'),
      result('gpu-0', GPU_DRIVER, 'gpus', 'container-0-request-1'),
    ]);
    const { pod, bin, call } = setUp('b', 'sriov-net', {
      extendedResourceClaimStatus: {
        resourceClaimName: 'pod-b-extended',
        requestMappings: [
          { containerName: 'app', resourceName: SRIOV, requestName: 'container-0-request-0' },
          { containerName: 'app', resourceName: 'example.com/gpu', requestName: 'container-0-request-1' },
        ],
      },
    });

    expectSuccess(await runMultus({ ...call, command: 'ADD' }));
    expect(bin.read('sriov', 'ADD', 'net1').stdin).toMatchObject({ type: 'sriov', deviceID: VF3 });
    expect(deviceInfos(pod.name)).toEqual([
      ['eth0', undefined],
      ['net1', pci(VF3)],
    ]);
    expectSuccess(await runMultus({ ...call, command: 'DEL' }));
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it('an extended-resource mapping naming another resource than its device: code 7 naming both', async () => {
    addClaim('pod-c-extended', [result('vf-1', DRIVER, 'pool-a', 'container-0-request-0')]);
    const { bin, call } = setUp('c', 'sriov-net', {
      extendedResourceClaimStatus: {
        resourceClaimName: 'pod-c-extended',
        requestMappings: [
          { containerName: 'app', resourceName: 'example.com/other_nic', requestName: 'container-0-request-0' },
        ],
      },
    });

    const error = expectCniError(await runMultus({ ...call, command: 'ADD' }), 7);
    expect(error.msg).toContain(
      `has k8s.cni.cncf.io/resourceName "${SRIOV}", but status.extendedResourceClaimStatus maps its request ` +
        '"container-0-request-0" to extended resource "example.com/other_nic"',
    );
    expect(bin.files()).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it('a claim without allocation: CNI error code 7 naming the claim, exit 1, nothing run or left behind', async () => {
    addClaim('pod-d-nics', undefined);
    const { pod, bin, call } = setUp('d', 'sriov-net', {
      resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'pod-d-nics' }],
    });

    const error = expectCniError(await runMultus({ ...call, command: 'ADD' }), 7);
    expect(error.msg).toBe(
      `annotation "${NETWORKS_ANNOTATION}" entry 1 (NetworkAttachmentDefinition ${NAMESPACE}/sriov-net): ` +
        `resourceName "${SRIOV}": ResourceClaim ${NAMESPACE}/pod-d-nics of pod ${NAMESPACE}/${pod.name} has no ` +
        'allocation (status.allocation.devices.results is not set): its devices are not known yet',
    );
    expect(bin.files()).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
    expect(cluster.server.pod(NAMESPACE, pod.name)?.metadata.annotations).not.toHaveProperty(NETWORK_STATUS_ANNOTATION);
  });

  it('a device in no slice of the node: code 11 naming device, driver, pool and node; nothing runs', async () => {
    addClaim('pod-e-nics', [result('vf-9')]);
    const { bin, call } = setUp('e', 'hostdev-net', {
      resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'pod-e-nics' }],
    });

    const error = expectCniError(await runMultus({ ...call, command: 'ADD' }), 11);
    expect(error.msg).toContain(
      `device "vf-9" (driver "${DRIVER}", pool "pool-a") is in no ResourceSlice of driver "${DRIVER}" and pool ` +
        `"pool-a" on node "${NODE}"`,
    );
    expect(bin.files()).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });
});
