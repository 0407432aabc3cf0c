import { CniCode, CniError } from '../../../../src/core/errors';
import { CachedKubeClient, type CacheSettings } from '../../../../src/sources/kube/cached-kube-client';
import { DEFAULT_TUNING } from '../../../../src/sources/kube/informer-cache';
import { FakeKubeClient, NETWORK_CRD, nadRef } from '../../../support/fake-kube';
import { RecordingLogger } from '../../../support/fakes';
import {
  httpError,
  kubeObject,
  listBody,
  ManualSleeper,
  ScriptedListWatch,
} from '../../../support/scripted-list-watch';

/**
 * The daemon's cached client over a scripted list/watch API and a fake for single calls: what
 * it answers from its caches, and which calls still reach the API.
 */
const PODS = '/api/v1/pods';
const NADS_NS1 = '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions';

let api: ScriptedListWatch;
let single: FakeKubeClient;
let sleeper: ManualSleeper;
let clock: number;
let client: CachedKubeClient | undefined;
let collections: Map<string, unknown[]>;

beforeEach(() => {
  api = new ScriptedListWatch();
  collections = new Map();
  api.onList = (path) => listBody(collections.get(path) ?? [], '10');
  single = new FakeKubeClient();
  sleeper = new ManualSleeper();
  clock = 0;
});
afterEach(async () => {
  await client?.close();
  client = undefined;
});

function make(settings: Partial<CacheSettings> = {}): CachedKubeClient {
  const tuning = { ...DEFAULT_TUNING, sleep: sleeper.sleep, now: () => clock, random: () => 0.5 };
  const log = new RecordingLogger();
  client = new CachedKubeClient(
    'https://api.test',
    () => Promise.resolve({ client: single, api }),
    {
      nodeName: 'node1',
      firstListWaitMs: 60_000,
      maxInformers: 8,
      fetchedPodTtlMs: 60_000,
      tuning,
      writer: { backoffMs: 1000, maxBackoffMs: 8000, maxPending: 10, sleep: sleeper.sleep },
      ...settings,
    },
    () => log,
  );
  return client;
}

const podObject = (name: string, rv: string, annotations: Record<string, string> = {}): Record<string, unknown> =>
  kubeObject('ns1', name, rv, { metadata: { uid: `uid-${name}`, annotations }, spec: { nodeName: 'node1' } });

describe('getPod', () => {
  test("from the node's pod informer: no GET, only what multus reads of the pod", async () => {
    collections.set(PODS, [podObject('a', '5', { 'k8s.v1.cni.cncf.io/networks': 'net-a' })]);
    const kube = make();
    await expect(kube.getPod('ns1', 'a')).resolves.toEqual({
      namespace: 'ns1',
      name: 'a',
      uid: 'uid-a',
      resourceVersion: '5',
      annotations: { 'k8s.v1.cni.cncf.io/networks': 'net-a' },
      nodeName: 'node1',
    });
    expect(api.lists).toEqual([{ path: PODS, query: { limit: '100', fieldSelector: 'spec.nodeName=node1' } }]);
    (await api.watchNumber(1)).emit('MODIFIED', podObject('a', '6', { x: 'y' }));
    await expect(kube.getPod('ns1', 'a')).resolves.toMatchObject({ resourceVersion: '6', annotations: { x: 'y' } });
    expect(single.calls).toEqual([]);
  });

  test('a pod the watch has not delivered yet: one GET, answered from it until the watch deletes it', async () => {
    single.addPod('ns1', 'new', { n: '1' });
    const kube = make();
    await expect(kube.getPod('ns1', 'new')).resolves.toMatchObject({ uid: 'uid-new', annotations: { n: '1' } });
    await expect(kube.getPod('ns1', 'new')).resolves.toMatchObject({ uid: 'uid-new' });
    expect(single.calls).toEqual(['getPod ns1/new']);
    (await api.watchNumber(1)).emit('DELETED', podObject('new', '20'));
    await kube.getPod('ns1', 'new');
    expect(single.calls).toEqual(['getPod ns1/new', 'getPod ns1/new']);
    // ... and after its time is up.
    clock += 60_000;
    await kube.getPod('ns1', 'new');
    expect(single.calls).toHaveLength(3);
  });

  test('without a node name: a GET every time, as in thin mode', async () => {
    single.addPod('ns1', 'a');
    const kube = make({ nodeName: undefined });
    await kube.getPod('ns1', 'a');
    await kube.getPod('ns1', 'a');
    expect(single.calls).toEqual(['getPod ns1/a', 'getPod ns1/a']);
    expect(api.lists).toEqual([]);
    expect(kube.status()).toEqual([]);
  });

  test('API down: a cached pod is still answered; an uncached one fails as the API call does (code 11)', async () => {
    collections.set(PODS, [podObject('a', '5')]);
    const kube = make();
    await kube.getPod('ns1', 'a');
    (await api.watchNumber(1)).fail(new Error('connect ECONNREFUSED'));
    single.failWith = new CniError(CniCode.TryAgainLater, 'Kubernetes API https://api.test unreachable');
    await sleeper.pauseCount(1);
    await expect(kube.getPod('ns1', 'a')).resolves.toMatchObject({ name: 'a' });
    await expect(kube.getPod('ns1', 'b')).rejects.toMatchObject({ code: CniCode.TryAgainLater });
    expect(kube.status()).toEqual([
      expect.objectContaining({ kind: 'pods', scope: 'node=node1', synced: false, objects: 1 }),
    ]);
  });
});

describe('getObject', () => {
  test('one informer per kind and namespace, started on first lookup; later lookups need no call', async () => {
    collections.set(NADS_NS1, [kubeObject('ns1', 'nad-a', '3', { spec: { config: '{"type":"bridge"}' } })]);
    const kube = make({ nodeName: undefined });
    await expect(kube.getObject(nadRef('ns1', 'nad-a'))).resolves.toMatchObject({
      spec: { config: '{"type":"bridge"}' },
    });
    await expect(kube.getObject(nadRef('ns1', 'missing'))).resolves.toBeUndefined();
    await kube.getObject(nadRef('ns2', 'nad-b'));
    expect(api.lists.map((l) => l.path)).toEqual([NADS_NS1, NADS_NS1.replace('ns1', 'ns2')]);
    expect(single.calls).toEqual([]);
    (await api.watchNumber(1)).emit('ADDED', kubeObject('ns1', 'missing', '4', { spec: { config: '{}' } }));
    await expect(kube.getObject(nadRef('ns1', 'missing'))).resolves.toBeDefined();
    expect(kube.status().map((s) => [s.kind, s.scope])).toEqual([
      ['network-attachment-definitions.k8s.cni.cncf.io', 'namespace=ns1'],
      ['network-attachment-definitions.k8s.cni.cncf.io', 'namespace=ns2'],
    ]);
  });

  test('a cluster-scoped object (the CRD check) is watched by name, without managedFields, last-applied', async () => {
    const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    const annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":1}', keep: 'me' };
    collections.set(crds, [
      kubeObject(undefined, 'networks.kubernetes.com', '2', { metadata: { managedFields: [{}], annotations } }),
    ]);
    const kube = make({ nodeName: undefined });
    const crd = await kube.getObject(NETWORK_CRD);
    expect(crd).toMatchObject({ metadata: { name: 'networks.kubernetes.com' } });
    expect(crd?.['metadata']).not.toHaveProperty('managedFields');
    expect(crd?.['metadata']).toMatchObject({ annotations: { keep: 'me' } });
    expect((crd?.['metadata'] as { annotations: object }).annotations).not.toHaveProperty(
      'kubectl.kubernetes.io/last-applied-configuration',
    );
    // The caller gets its own copy: changing it changes nothing cached.
    (crd?.['metadata'] as Record<string, unknown>)['name'] = 'changed';
    await expect(kube.getObject(NETWORK_CRD)).resolves.toMatchObject({ metadata: { name: 'networks.kubernetes.com' } });
    expect(api.lists).toEqual([
      { path: crds, query: { limit: '100', fieldSelector: 'metadata.name=networks.kubernetes.com' } },
    ]);
  });

  test('a list the API refuses (403): each lookup is a GET, with its own answer or error', async () => {
    api.onList = () => {
      throw httpError(403);
    };
    single.addNad('ns1', 'nad-a', { type: 'bridge' });
    const kube = make({ nodeName: undefined });
    await expect(kube.getObject(nadRef('ns1', 'nad-a'))).resolves.toBeDefined();
    await expect(kube.getObject(nadRef('ns1', 'nad-a'))).resolves.toBeDefined();
    expect(single.calls).toHaveLength(2);
  });

  test('beyond maxInformers, objects are read with GETs', async () => {
    const kube = make({ nodeName: undefined, maxInformers: 1 });
    await kube.getObject(nadRef('ns1', 'a'));
    await kube.getObject(nadRef('ns2', 'b'));
    expect(api.lists).toHaveLength(1);
    expect(single.calls).toEqual(['getObject k8s.cni.cncf.io/network-attachment-definitions ns2/b']);
  });
});

describe('setPodAnnotation', () => {
  test('API unavailable (code 11): answered at once, kept and written when the API is back', async () => {
    single.addPod('ns1', 'a');
    const kube = make({ nodeName: undefined });
    single.failWith = new CniError(CniCode.TryAgainLater, 'unreachable');
    await expect(kube.setPodAnnotation('ns1', 'a', 'status', 'v1')).resolves.toBeUndefined();
    await expect(kube.setPodAnnotation('ns1', 'a', 'status', 'v2')).resolves.toBeUndefined();
    await sleeper.pauseCount(1);
    sleeper.release();
    await sleeper.pauseCount(2);
    expect(sleeper.pauses).toEqual([1000, 2000]);
    single.failWith = undefined;
    sleeper.release();
    for (let i = 0; i < 50 && single.pods.get('ns1/a')?.annotations['status'] === undefined; i++)
      await new Promise((r) => setImmediate(r));
    // Only the newest value is written.
    expect(single.pods.get('ns1/a')?.annotations).toEqual({ status: 'v2' });
    expect(single.calls.filter((c) => c.startsWith('setPodAnnotation'))).toHaveLength(4);
  });

  test('any other failure fails the call, as in thin mode', async () => {
    const kube = make({ nodeName: undefined });
    single.failWith = new CniError(CniCode.KubernetesAccessDenied, 'forbidden');
    await expect(kube.setPodAnnotation('ns1', 'a', 'k', 'v')).rejects.toMatchObject({ code: 104 });
    expect(sleeper.pauses).toEqual([]);
  });
});

describe('Dynamic Resource Allocation objects', () => {
  const claimed = (name: string): Record<string, unknown> =>
    kubeObject('ns1', name, '5', {
      metadata: { uid: `uid-${name}` },
      spec: { nodeName: 'node1' },
      status: { resourceClaimStatuses: [{ name: 'nics', resourceClaimName: `${name}-nics` }] },
    });
  const allocated = [{ request: 'nics', driver: 'd', pool: 'p', device: 'vf-1' }];

  test("the informer's pods carry their claims", async () => {
    collections.set(PODS, [claimed('a')]);
    await expect(make().getPod('ns1', 'a')).resolves.toMatchObject({
      nodeName: 'node1',
      resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'a-nics' }],
    });
  });

  test("claims: read once per pod, forgotten when the pod's deletion is watched", async () => {
    collections.set(PODS, [claimed('a')]);
    single.addResourceClaim('ns1', 'a-nics', allocated);
    const kube = make();
    await kube.getPod('ns1', 'a');
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-a');
    await expect(kube.getResourceClaim('ns1', 'a-nics', 'uid-a')).resolves.toMatchObject({ results: allocated });
    expect(single.calls).toEqual(['getResourceClaim ns1/a-nics uid-a']);
    // Another pod (a new UID) reads it for itself.
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-other');
    expect(single.calls).toHaveLength(2);
    (await api.watchNumber(1)).emit('DELETED', claimed('a'));
    await kube.getPod('ns1', 'a').catch(() => undefined);
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-a');
    expect(single.calls.filter((c) => c.startsWith('getResourceClaim'))).toHaveLength(3);
  });

  test('a claim without allocation, or a failed read, is not kept', async () => {
    collections.set(PODS, [claimed('a')]);
    single.addResourceClaim('ns1', 'a-nics', undefined);
    const kube = make();
    await kube.getPod('ns1', 'a');
    await expect(kube.getResourceClaim('ns1', 'a-nics', 'uid-a')).resolves.toMatchObject({ results: undefined });
    await expect(kube.getResourceClaim('ns1', 'missing', 'uid-a')).rejects.toMatchObject({ code: 105 });
    single.addResourceClaim('ns1', 'a-nics', allocated).addResourceClaim('ns1', 'missing', allocated);
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-a');
    await kube.getResourceClaim('ns1', 'missing', 'uid-a');
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-a');
    await kube.getResourceClaim('ns1', 'missing', 'uid-a');
    expect(single.calls.filter((c) => c.startsWith('getResourceClaim'))).toHaveLength(4);
  });

  test('without a node name (no pod informer): claims are read every time', async () => {
    single.addResourceClaim('ns1', 'a-nics', allocated);
    const kube = make({ nodeName: undefined });
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-a');
    await kube.getResourceClaim('ns1', 'a-nics', 'uid-a');
    expect(single.calls).toHaveLength(2);
  });

  test('slices: listed once per node and driver; listed again when the caller refreshes', async () => {
    single.addResourceSlice('node1', 'd', { name: 's1', pool: 'p', devices: [] });
    const kube = make();
    await kube.listResourceSlices('node1', 'd');
    await kube.listResourceSlices('node1', 'd');
    await kube.listResourceSlices('node1', 'other');
    expect(single.calls).toEqual(['listResourceSlices node1 d', 'listResourceSlices node1 other']);
    single.addResourceSlice('node1', 'd', { name: 's2', pool: 'p', devices: [] });
    await expect(kube.listResourceSlices('node1', 'd', true)).resolves.toHaveLength(2);
    await expect(kube.listResourceSlices('node1', 'd')).resolves.toHaveLength(2);
    expect(single.calls).toHaveLength(3);
  });

  test('a failed slice list is not kept', async () => {
    const kube = make();
    single.failWith = new CniError(CniCode.TryAgainLater, 'down');
    await expect(kube.listResourceSlices('node1', 'd')).rejects.toMatchObject({ code: 11 });
    single.failWith = undefined;
    await expect(kube.listResourceSlices('node1', 'd')).resolves.toEqual([]);
    expect(single.calls).toHaveLength(2);
  });
});
