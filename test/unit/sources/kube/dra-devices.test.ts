import { CniCode } from '../../../../src/core/errors';
import type { PodInfo, SliceDevice } from '../../../../src/core/ports/kube-client';
import type { Logger } from '../../../../src/core/ports/logger';
import { DraDevices, hasDraClaims } from '../../../../src/sources/kube/dra-devices';
import { FakeKubeClient } from '../../../support/fake-kube';

const NODE = 'node-a';
const SRIOV_DRIVER = 'sriov.example.com';
const GPU_DRIVER = 'gpu.example.com';
const SRIOV = 'intel.com/sriov_netdevice';
const VF1 = '0000:af:06.2';
const VF2 = '0000:af:06.3';

const net = (name: string, deviceId: string, resourceName = SRIOV): SliceDevice => ({
  name,
  attributes: { 'k8s.cni.cncf.io/deviceID': deviceId, 'k8s.cni.cncf.io/resourceName': resourceName },
});
const result = (device: string, driver = SRIOV_DRIVER, pool = 'pool-a', request = 'nics') => ({
  request,
  driver,
  pool,
  device,
});

/** A pod on NODE with these claims, a slice of VFs and a slice of GPUs. */
function cluster(dra: Partial<PodInfo> = {}): FakeKubeClient {
  return new FakeKubeClient()
    .addPod('ns1', 'pod1')
    .setPodDra('ns1', 'pod1', {
      nodeName: NODE,
      resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'pod1-nics-x7k2' }],
      ...dra,
    })
    .addResourceSlice(NODE, SRIOV_DRIVER, { name: 'slice-a', pool: 'pool-a', devices: [net('vf-1', VF1)] })
    .addResourceSlice(NODE, SRIOV_DRIVER, { name: 'slice-a2', pool: 'pool-a', devices: [net('vf-2', VF2)] })
    .addResourceSlice(NODE, SRIOV_DRIVER, { name: 'slice-b', pool: 'pool-b', devices: [net('vf-1', 'elsewhere')] })
    .addResourceSlice(NODE, GPU_DRIVER, {
      name: 'gpus',
      pool: 'gpu-pool',
      devices: [{ name: 'gpu-0', attributes: {} }],
    });
}

function devicesOf(kube: FakeKubeClient, log?: Logger): Promise<ReadonlyMap<string, readonly string[]>> {
  const pod = kube.pods.get('ns1/pod1') as PodInfo;
  return new DraDevices(kube, pod, log).devices();
}

const debugs: Array<Record<string, unknown>> = [];
const recorder: Logger = {
  trace: () => undefined,
  debug: (obj) => debugs.push(obj as Record<string, unknown>),
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => recorder,
};

beforeEach(() => {
  debugs.length = 0;
});

test('mixed claim: two VFs for one resourceName in claim order; the GPU (no deviceID) skipped at debug', async () => {
  const kube = cluster().addResourceClaim('ns1', 'pod1-nics-x7k2', [
    result('vf-2'),
    result('gpu-0', GPU_DRIVER, 'gpu-pool', 'gpu'),
    result('vf-1'),
  ]);
  expect(await devicesOf(kube, recorder)).toEqual(new Map([[SRIOV, [VF2, VF1]]]));
  expect(debugs).toEqual([
    expect.objectContaining({ claim: 'pod1-nics-x7k2', device: 'gpu-0', driver: GPU_DRIVER, pool: 'gpu-pool' }),
  ]);
  // Each driver's slices are listed once (pool filtered here), the claim read once, with the pod's UID.
  expect(kube.calls).toEqual([
    'getResourceClaim ns1/pod1-nics-x7k2 uid-pod1',
    `listResourceSlices ${NODE} ${SRIOV_DRIVER}`,
    `listResourceSlices ${NODE} ${GPU_DRIVER}`,
    `listResourceSlices ${NODE} ${SRIOV_DRIVER}`,
  ]);
});

test('the pool is matched: the same device name in another pool is another device', async () => {
  const kube = cluster().addResourceClaim('ns1', 'pod1-nics-x7k2', [result('vf-1', SRIOV_DRIVER, 'pool-b')]);
  expect(await devicesOf(kube)).toEqual(new Map([[SRIOV, ['elsewhere']]]));
});

test('several claims, in status.resourceClaimStatuses order; one without a ResourceClaim is passed', async () => {
  const kube = cluster({
    resourceClaimStatuses: [
      { name: 'second', resourceClaimName: 'claim-b' },
      { name: 'unused', resourceClaimName: undefined },
      { name: 'first', resourceClaimName: 'claim-a' },
    ],
  })
    .addResourceClaim('ns1', 'claim-a', [result('vf-1')])
    .addResourceClaim('ns1', 'claim-b', [result('vf-2')]);
  expect(await devicesOf(kube)).toEqual(new Map([[SRIOV, [VF2, VF1]]]));
});

test('a pod without claims: no API call', async () => {
  const kube = new FakeKubeClient().addPod('ns1', 'pod1');
  expect(hasDraClaims(kube.pods.get('ns1/pod1') as PodInfo)).toBe(false);
  expect(await devicesOf(kube)).toEqual(new Map());
  expect(kube.calls).toEqual([]);
});

test('a claim without allocation: code 7 naming the claim and the pod', async () => {
  const kube = cluster().addResourceClaim('ns1', 'pod1-nics-x7k2', undefined);
  await expect(devicesOf(kube)).rejects.toMatchObject({
    code: CniCode.InvalidConfig,
    msg:
      'ResourceClaim ns1/pod1-nics-x7k2 of pod ns1/pod1 has no allocation (status.allocation.devices.results is ' +
      'not set): its devices are not known yet',
  });
});

test('a missing claim: the API error (code 105) is passed on', async () => {
  await expect(devicesOf(cluster())).rejects.toMatchObject({ code: CniCode.KubernetesNotFound });
});

test('a device in no slice: listed once more, then code 11 naming device, driver, pool and node', async () => {
  const kube = cluster().addResourceClaim('ns1', 'pod1-nics-x7k2', [result('vf-9')]);
  await expect(devicesOf(kube)).rejects.toMatchObject({
    code: CniCode.TryAgainLater,
    msg:
      `ResourceClaim ns1/pod1-nics-x7k2 of pod ns1/pod1: device "vf-9" (driver "${SRIOV_DRIVER}", pool "pool-a") ` +
      `is in no ResourceSlice of driver "${SRIOV_DRIVER}" and pool "pool-a" on node "${NODE}"`,
  });
  expect(kube.calls.slice(1)).toEqual([
    `listResourceSlices ${NODE} ${SRIOV_DRIVER}`,
    `listResourceSlices ${NODE} ${SRIOV_DRIVER} refresh`,
  ]);
});

test('a device with a deviceID but no resourceName: code 7 naming the device and the attribute', async () => {
  const kube = cluster()
    .addResourceSlice(NODE, SRIOV_DRIVER, {
      name: 's',
      pool: 'pool-a',
      devices: [{ name: 'vf-3', attributes: { 'k8s.cni.cncf.io/deviceID': 'x' } }],
    })
    .addResourceClaim('ns1', 'pod1-nics-x7k2', [result('vf-3')]);
  await expect(devicesOf(kube)).rejects.toMatchObject({
    code: CniCode.InvalidConfig,
    msg:
      `ResourceClaim ns1/pod1-nics-x7k2 of pod ns1/pod1: device "vf-3" (driver "${SRIOV_DRIVER}", pool "pool-a") ` +
      'has k8s.cni.cncf.io/deviceID but no string attribute k8s.cni.cncf.io/resourceName (it must name the ' +
      "NetworkAttachmentDefinition's k8s.v1.cni.cncf.io/resourceName)",
  });
});

test('a pod with claims but no node: code 7 naming the pod', async () => {
  const kube = cluster({ nodeName: undefined }).addResourceClaim('ns1', 'pod1-nics-x7k2', [result('vf-1')]);
  await expect(devicesOf(kube)).rejects.toMatchObject({
    code: CniCode.InvalidConfig,
    msg: expect.stringMatching(/^pod ns1\/pod1 has resource claims but no spec\.nodeName/u) as unknown,
  });
});

describe('status.extendedResourceClaimStatus (strict matching)', () => {
  const extended = (resourceName = SRIOV, requestName = 'container-0-request-0') => ({
    resourceClaimStatuses: [],
    extendedResourceClaimStatus: {
      resourceClaimName: 'pod1-extended-resources-abcde',
      requestMappings: [{ containerName: 'main', resourceName, requestName }],
    },
  });
  const claim = (kube: FakeKubeClient): FakeKubeClient =>
    kube.addResourceClaim('ns1', 'pod1-extended-resources-abcde', [
      result('vf-1', SRIOV_DRIVER, 'pool-a', 'container-0-request-0'),
      result('gpu-0', GPU_DRIVER, 'gpu-pool', 'container-0-request-0'),
      result('vf-2', SRIOV_DRIVER, 'pool-a', 'container-0-request-0'),
    ]);

  test("the mapping's request gives its network devices to the mapping's resource name", async () => {
    expect(await devicesOf(claim(cluster(extended())))).toEqual(new Map([[SRIOV, [VF1, VF2]]]));
  });

  test('after the claims of status.resourceClaimStatuses', async () => {
    const kube = claim(cluster({ extendedResourceClaimStatus: extended().extendedResourceClaimStatus }));
    kube.addResourceClaim('ns1', 'pod1-nics-x7k2', [result('vf-1', SRIOV_DRIVER, 'pool-b')]);
    expect(await devicesOf(kube)).toEqual(new Map([[SRIOV, ['elsewhere', VF1, VF2]]]));
  });

  test('a device whose resourceName differs from the mapping: code 7 naming both', async () => {
    const kube = claim(cluster(extended('example.com/other_nic')));
    await expect(devicesOf(kube)).rejects.toMatchObject({
      code: CniCode.InvalidConfig,
      msg:
        'ResourceClaim ns1/pod1-extended-resources-abcde of pod ns1/pod1: device "vf-1" (driver ' +
        `"${SRIOV_DRIVER}", pool "pool-a") has k8s.cni.cncf.io/resourceName "${SRIOV}", but ` +
        'status.extendedResourceClaimStatus maps its request "container-0-request-0" to extended resource ' +
        '"example.com/other_nic"',
    });
  });

  test("a mapping's request not in the claim: code 7 naming the request and the claim", async () => {
    const kube = claim(cluster(extended(SRIOV, 'container-1-request-0')));
    await expect(devicesOf(kube)).rejects.toMatchObject({
      code: CniCode.InvalidConfig,
      msg:
        'ResourceClaim ns1/pod1-extended-resources-abcde of pod ns1/pod1 has no device for request ' +
        `"container-1-request-0", which status.extendedResourceClaimStatus maps to extended resource "${SRIOV}" ` +
        `of container "main" (the claim's requests: container-0-request-0)`,
    });
  });

  test('an extended claim without allocation: code 7 naming it', async () => {
    const kube = cluster(extended()).addResourceClaim('ns1', 'pod1-extended-resources-abcde', undefined);
    await expect(devicesOf(kube)).rejects.toMatchObject({
      code: CniCode.InvalidConfig,
      msg: expect.stringContaining('ResourceClaim ns1/pod1-extended-resources-abcde of pod ns1/pod1 has no allocation'),
    });
  });
});
