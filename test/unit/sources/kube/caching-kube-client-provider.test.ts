import { CachingKubeClientProvider, daemonKubeCache } from '../../../../src/sources/kube/caching-kube-client-provider';
import { nadRef } from '../../../support/fake-kube';
import { RecordingLogger } from '../../../support/fakes';
import { type KubeTestServer, startKubeTestServer } from '../../../support/kube-test-server';

/** The daemon's provider against the test API server: what reaches the server, and what still works without it. */
let server: KubeTestServer;
let provider: CachingKubeClientProvider | undefined;

beforeAll(async () => {
  await import('@kubernetes/client-node/dist/config.js');
}, 300_000);
beforeEach(async () => {
  server = await startKubeTestServer();
});
afterEach(async () => {
  await provider?.close();
  provider = undefined;
  await server.close();
});

const requests = (): string[] => server.requests.map((r) => `${r.method} ${r.path}${r.query} ${r.status}`);

test('pods of the node and NADs from informers: no GET; served from the caches while the API is down', async () => {
  server.addPod({ namespace: 'ns1', name: 'p', nodeName: 'node1', annotations: { a: '1' } });
  server.addObject(nadRef('ns1', 'net'), { spec: { config: '{"type":"bridge"}' } });
  provider = new CachingKubeClientProvider({ nodeName: 'node1', tuning: { backoffMs: 50, maxBackoffMs: 200 } });
  const kubeconfig = server.writeKubeconfig();
  const kube = await provider.get(kubeconfig);
  expect(await provider.get(kubeconfig)).toBe(kube);
  await expect(kube.getPod('ns1', 'p')).resolves.toMatchObject({ annotations: { a: '1' } });
  await expect(kube.getObject(nadRef('ns1', 'net'))).resolves.toMatchObject({ spec: { config: '{"type":"bridge"}' } });
  await expect(kube.getObject(nadRef('ns1', 'other'))).resolves.toBeUndefined();
  expect(requests().filter((r) => !r.includes('watch=true'))).toEqual([
    'GET /api/v1/pods?limit=100&fieldSelector=spec.nodeName%3Dnode1 200',
    'GET /apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions?limit=100 200',
  ]);
  for (let i = 0; i < 1000 && !provider.status().every((s) => s.synced); i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(provider.status()).toEqual([
    expect.objectContaining({ kind: 'pods', scope: 'node=node1', synced: true, objects: 1 }),
    expect.objectContaining({ kind: 'network-attachment-definitions.k8s.cni.cncf.io', synced: true, objects: 1 }),
  ]);

  // A change arrives through the watch.
  server.updatePod('ns1', 'p', (pod) => (pod.metadata.annotations = { a: '2' }));
  for (let i = 0; i < 500 && (await kube.getPod('ns1', 'p')).annotations['a'] !== '2'; i++)
    await new Promise((r) => setTimeout(r, 10));
  await expect(kube.getPod('ns1', 'p')).resolves.toMatchObject({ annotations: { a: '2' } });

  await server.stop();
  await expect(kube.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });
  await expect(kube.getObject(nadRef('ns1', 'net'))).resolves.toBeDefined();
  // The informers notice the outage (and keep trying).
  for (let i = 0; i < 1000 && provider.status().some((s) => s.synced); i++) await new Promise((r) => setTimeout(r, 10));
  expect(provider.status().map((s) => s.synced)).toEqual([false, false]);
  await expect(kube.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });

  // Back: the informers reconnect and catch up.
  server.addObject(nadRef('ns1', 'later'), { spec: { config: '{}' } });
  await server.restart();
  for (let i = 0; i < 1000 && (await kube.getObject(nadRef('ns1', 'later'))) === undefined; i++)
    await new Promise((r) => setTimeout(r, 10));
  await expect(kube.getObject(nadRef('ns1', 'later'))).resolves.toBeDefined();

  await provider.close();
  // The server sees the connections go (its side notices a moment later).
  for (let i = 0; i < 1000 && server.openWatches > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(server.openWatches).toBe(0);
});

test('a kubeconfig that cannot be used is the call error, and is tried again on the next call', async () => {
  provider = new CachingKubeClientProvider({ nodeName: 'node1' });
  await expect(provider.get('/nonexistent/kubeconfig')).rejects.toMatchObject({ code: 7 });
  await expect(provider.get('/nonexistent/kubeconfig')).rejects.toMatchObject({ code: 7 });
  expect(provider.status()).toEqual([]);
});

describe('daemonKubeCache', () => {
  const log = new RecordingLogger();
  const make = (defaults: Record<string, unknown>, env: Record<string, string>, nodeName?: string) =>
    daemonKubeCache({ defaults, env: new Map(Object.entries(env)), nodeName, log: () => log });

  test('file mode (no kubeconfig, not in a pod): nothing is replaced', () => {
    expect(make({ delegates: [] }, {})).toBeUndefined();
  });

  test('a kubeconfig: the caches start at once, for the node of MULTUS_NODE_NAME, else nodeName', async () => {
    server.addPod({ namespace: 'ns1', name: 'p', nodeName: 'env-node' });
    const kubeconfig = server.writeKubeconfig();
    provider = make({ kubeconfig }, { MULTUS_NODE_NAME: 'env-node' }, 'config-node');
    for (let i = 0; i < 1000 && server.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.requests[0]?.query).toBe('?limit=100&fieldSelector=spec.nodeName%3Denv-node');
    await provider?.close();
    provider = make({ kubeconfig }, {}, 'config-node');
    for (let i = 0; i < 1000 && server.requests.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.requests.map((r) => r.query)).toContain('?limit=100&fieldSelector=spec.nodeName%3Dconfig-node');
  });

  test('in a pod without a kubeconfig among the defaults: a provider for the kubeconfigs requests name', () => {
    provider = make({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    expect(provider).toBeInstanceOf(CachingKubeClientProvider);
    expect(provider?.status()).toEqual([]);
  });
});
