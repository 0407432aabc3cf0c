import { CniCode } from '../../../../src/core/errors';
import type { KubeClient } from '../../../../src/core/ports/kube-client';
import { ClientNodeKubeClientProvider } from '../../../../src/sources/kube/client-node-kube-client';
import { rejectedCniError } from '../../../support/cni-error';
import { type KubeTestServer, startKubeTestServer } from '../../../support/kube-test-server';

/**
 * The real client's Dynamic Resource Allocation calls (resource.k8s.io/v1) against the test API
 * server: a pod's claim fields, a claim GET, a slice list by field selector, and the errors.
 */
let server: KubeTestServer;

beforeAll(async () => {
  await import('@kubernetes/client-node/dist/config.js');
}, 300_000);
beforeEach(async () => {
  server = await startKubeTestServer();
});
afterEach(async () => {
  await server.close();
});

function client(): Promise<KubeClient> {
  return new ClientNodeKubeClientProvider({ backoffMs: [], sleep: () => Promise.resolve() }).get(
    server.writeKubeconfig(),
  );
}

const CLAIMS = { group: 'resource.k8s.io', version: 'v1', plural: 'resourceclaims' };
const SLICES = { group: 'resource.k8s.io', version: 'v1', plural: 'resourceslices' };
const attr = (value: string): Record<string, string> => ({ string: value });

function addSlice(name: string, node: string, driver: string, pool: string, devices: unknown[]): void {
  server.addObject({ ...SLICES, name }, { spec: { nodeName: node, driver, pool: { name: pool }, devices } });
}

test("getPod reads the pod's node, claims and extended-resource claim", async () => {
  server.addPod({ namespace: 'ns1', name: 'pod1', uid: 'u1', nodeName: 'node-a' });
  server.updatePod('ns1', 'pod1', (pod) => {
    pod['status'] = {
      resourceClaimStatuses: [
        { name: 'nics', resourceClaimName: 'pod1-nics-x' },
        { name: 'unneeded' },
        'not an object',
      ],
      extendedResourceClaimStatus: {
        resourceClaimName: 'pod1-extended',
        requestMappings: [{ containerName: 'main', resourceName: 'intel.com/vf', requestName: 'r0' }],
      },
    };
  });
  await expect((await client()).getPod('ns1', 'pod1')).resolves.toMatchObject({
    nodeName: 'node-a',
    resourceClaimStatuses: [
      { name: 'nics', resourceClaimName: 'pod1-nics-x' },
      { name: 'unneeded', resourceClaimName: undefined },
    ],
    extendedResourceClaimStatus: {
      resourceClaimName: 'pod1-extended',
      requestMappings: [{ containerName: 'main', resourceName: 'intel.com/vf', requestName: 'r0' }],
    },
  });
});

test('a pod without DRA fields has none', async () => {
  server.addPod({ namespace: 'ns1', name: 'pod1' });
  const pod = await (await client()).getPod('ns1', 'pod1');
  expect(pod).not.toHaveProperty('resourceClaimStatuses');
  expect(pod).not.toHaveProperty('extendedResourceClaimStatus');
  expect(pod).not.toHaveProperty('nodeName');
});

describe('getResourceClaim', () => {
  test('GET of the namespaced claim: its allocated devices in order', async () => {
    const results = [
      { request: 'nics', driver: 'sriov.example.com', pool: 'p', device: 'vf-2', adminAccess: false },
      { request: 'nics', driver: 'sriov.example.com', pool: 'p', device: 'vf-1' },
    ];
    server.addObject({ ...CLAIMS, namespace: 'ns1', name: 'c1' }, { status: { allocation: { devices: { results } } } });
    await expect((await client()).getResourceClaim('ns1', 'c1', 'u1')).resolves.toEqual({
      namespace: 'ns1',
      name: 'c1',
      results: [
        { request: 'nics', driver: 'sriov.example.com', pool: 'p', device: 'vf-2' },
        { request: 'nics', driver: 'sriov.example.com', pool: 'p', device: 'vf-1' },
      ],
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/resource.k8s.io/v1/namespaces/ns1/resourceclaims/c1',
    ]);
  });

  test('a claim without allocation has no results', async () => {
    server.addObject({ ...CLAIMS, namespace: 'ns1', name: 'c1' }, { status: {} });
    await expect((await client()).getResourceClaim('ns1', 'c1', 'u1')).resolves.toMatchObject({ results: undefined });
  });

  test('a missing claim is code 105 naming it', async () => {
    const err = await rejectedCniError((await client()).getResourceClaim('ns1', 'gone', 'u1'));
    expect(err.code).toBe(CniCode.KubernetesNotFound);
    expect(err.msg).toBe(`resourceclaims.resource.k8s.io ns1/gone not found at Kubernetes API ${server.url}`);
  });

  test('403 is code 104 naming the user, the verb and the claim', async () => {
    server.failNext({ pathPrefix: '/apis/resource.k8s.io/v1/namespaces/ns1/resourceclaims' }, { status: 403 });
    const err = await rejectedCniError((await client()).getResourceClaim('ns1', 'c1', 'u1'));
    expect(err.code).toBe(CniCode.KubernetesAccessDenied);
    expect(err.msg).toMatch(/: user "multus" may not get resourceclaims\.resource\.k8s\.io ns1\/c1 \(403 Forbidden/u);
  });
});

describe('listResourceSlices', () => {
  test('lists by spec.nodeName and spec.driver; keeps the pool and the k8s.cni.cncf.io string attributes', async () => {
    const vf = {
      name: 'vf-1',
      attributes: {
        'k8s.cni.cncf.io/deviceID': attr('0000:af:06.2'),
        'k8s.cni.cncf.io/resourceName': attr('intel.com/vf'),
        'k8s.cni.cncf.io/numa': { int: 1 },
        'sriov.example.com/vendor': attr('8086'),
      },
      capacity: { bandwidth: { value: '10G' } },
    };
    addSlice('a-sriov', 'node-a', 'sriov.example.com', 'pool-a', [vf, { name: 'vf-2' }]);
    addSlice('a-gpu', 'node-a', 'gpu.example.com', 'gpus', [{ name: 'gpu-0' }]);
    addSlice('b-sriov', 'node-b', 'sriov.example.com', 'pool-b', [{ name: 'vf-1' }]);
    await expect((await client()).listResourceSlices('node-a', 'sriov.example.com')).resolves.toEqual([
      {
        name: 'a-sriov',
        pool: 'pool-a',
        devices: [
          {
            name: 'vf-1',
            attributes: { 'k8s.cni.cncf.io/deviceID': '0000:af:06.2', 'k8s.cni.cncf.io/resourceName': 'intel.com/vf' },
          },
          { name: 'vf-2', attributes: {} },
        ],
      },
    ]);
    expect(server.requests.map((r) => `${r.method} ${r.path}${decodeURIComponent(r.query)}`)).toEqual([
      'GET /apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName=node-a,spec.driver=sriov.example.com',
    ]);
  });

  test('403 is code 104 naming the user and the list', async () => {
    server.failNext({ pathPrefix: '/apis/resource.k8s.io/v1/resourceslices' }, { status: 403 });
    const err = await rejectedCniError((await client()).listResourceSlices('node-a', 'd'));
    expect(err.code).toBe(CniCode.KubernetesAccessDenied);
    expect(err.msg).toMatch(
      /: user "multus" may not list resourceslices\.resource\.k8s\.io spec\.nodeName=node-a,spec\.driver=d \(403/u,
    );
  });

  test('an API without resource.k8s.io/v1: code 105 saying so', async () => {
    server.unserve(SLICES);
    const err = await rejectedCniError((await client()).listResourceSlices('node-a', 'd'));
    expect(err.code).toBe(CniCode.KubernetesNotFound);
    expect(err.msg).toBe(
      `Kubernetes API ${server.url} does not serve resourceslices.resource.k8s.io/v1 (Dynamic Resource ` +
        'Allocation v1 needs Kubernetes 1.34 or later) (LIST resourceslices.resource.k8s.io ' +
        'spec.nodeName=node-a,spec.driver=d)',
    );
  });
});
