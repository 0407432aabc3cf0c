import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../../../../src/core/errors';
import type { KubeClient } from '../../../../src/core/ports/kube-client';
import {
  ClientNodeKubeClientProvider,
  type ClientNodeKubeClientOptions,
} from '../../../../src/sources/kube/client-node-kube-client';
import { type KubeTestServer, startKubeTestServer } from '../../../support/kube-test-server';
import { NETWORK_CRD, networkRef } from '../../../support/fake-kube';
import { ManualAttemptTimer } from '../../../support/manual-attempt-timer';
import { useTempDir } from '../../../support/temp-dir';

/**
 * Nothing here depends on how fast the machine is: the retry budget runs on `clock`, which only
 * the test advances, and attempts time out only when the test expires `timers` (a slow but
 * answering server never causes a retry). One test keeps the real timer, against a server that
 * never answers, so only the timer can decide.
 */
let server: KubeTestServer;
let sleeps: number[];
let clock: number;
let timers: ManualAttemptTimer;
let options: ClientNodeKubeClientOptions;

// The first client loads @kubernetes/client-node, hundreds of modules through jest's transform:
// seconds, or a minute on a loaded machine. Loaded once here, under a hook timeout to match, so
// that no test's own timeout pays for it.
beforeAll(async () => {
  await import('@kubernetes/client-node/dist/config.js');
}, 300_000);

beforeEach(async () => {
  server = await startKubeTestServer();
  sleeps = [];
  clock = 0;
  timers = new ManualAttemptTimer();
  options = {
    attemptTimeoutMs: 10_000,
    retryBudgetMs: 5000,
    backoffMs: [10, 20],
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => clock,
    attemptTimer: timers.start,
  };
});
afterEach(async () => {
  await server.close();
  // Every attempt's timer was cancelled or expired: none outlives its attempt.
  expect(timers.running).toEqual([]);
});

function client(kubeconfig = server.writeKubeconfig(), opts = options): Promise<KubeClient> {
  return new ClientNodeKubeClientProvider(opts).get(kubeconfig);
}

/** The CniError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<CniError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CniError)) throw new Error(`expected a CniError, got ${String(err)}`);
  return err;
}

const POD_PATH = '/api/v1/namespaces/ns1/pods/pod1';
const statuses = (): Array<[string, string, number]> => server.requests.map((r) => [r.method, r.path, r.status]);

describe('getPod', () => {
  test('returns the pod identity, resourceVersion and annotations', async () => {
    server.addPod({
      namespace: 'ns1',
      name: 'pod1',
      uid: 'uid-1',
      annotations: { 'k8s.v1.cni.cncf.io/networks': 'net-a' },
    });
    const kube = await client();
    const pod = await kube.getPod('ns1', 'pod1');
    expect(pod).toEqual({
      namespace: 'ns1',
      name: 'pod1',
      uid: 'uid-1',
      resourceVersion: server.pod('ns1', 'pod1')?.metadata.resourceVersion,
      annotations: { 'k8s.v1.cni.cncf.io/networks': 'net-a' },
    });
    expect(kube.server).toBe(server.url);
    expect(statuses()).toEqual([['GET', POD_PATH, 200]]);
  });

  test('a missing pod is code 105 naming it and the server', async () => {
    const err = await failure((await client()).getPod('ns1', 'pod1'));
    expect(err.code).toBe(CniCode.KubernetesNotFound);
    expect(err.msg).toBe(`pod ns1/pod1 not found at Kubernetes API ${server.url}`);
  });

  test('a refused token is code 104 naming the user, not retried, without the token', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1' });
    const kube = await client(server.writeKubeconfig(undefined, { token: 'not-the-token', user: 'multus-sa' }));
    const err = await failure(kube.getPod('ns1', 'pod1'));
    expect(err.code).toBe(CniCode.KubernetesAccessDenied);
    expect(err.msg).toBe(
      `Kubernetes API ${server.url} did not accept the credentials of user "multus-sa" (401 Unauthorized: ` +
        `Unauthorized) (GET pods ns1/pod1)`,
    );
    expect(err.msg).not.toContain('not-the-token');
    expect(statuses()).toEqual([['GET', POD_PATH, 401]]);
  });

  test('403 is code 104 naming the user, verb and pod, with the server message', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1' });
    server.failNext({ method: 'GET', pathPrefix: POD_PATH }, { status: 403 });
    const err = await failure((await client()).getPod('ns1', 'pod1'));
    expect(err.code).toBe(CniCode.KubernetesAccessDenied);
    expect(err.msg).toBe(
      `Kubernetes API ${server.url}: user "multus" may not get pods ns1/pod1 (403 Forbidden: pods "pod1" is ` +
        `forbidden: ` +
        `User "multus" cannot get resource "pods" in API group "" in the namespace "ns1")`,
    );
    expect(err.msg).not.toContain(server.token);
    expect(server.requests).toHaveLength(1);
  });

  test('500, 429 and a reset connection are retried with backoff, then it succeeds', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1', uid: 'u' });
    server.failNext({ pathPrefix: POD_PATH }, { status: 500 });
    server.failNext({ pathPrefix: POD_PATH }, { status: 429 });
    const kube = await client(undefined, { ...options, backoffMs: [10, 20, 30] });
    await expect(kube.getPod('ns1', 'pod1')).resolves.toMatchObject({ uid: 'u' });
    expect(statuses().map((s) => s[2])).toEqual([500, 429, 200]);
    expect(sleeps).toEqual([10, 20]);

    server.clearRequests();
    server.failNext({ pathPrefix: POD_PATH }, { reset: true });
    await expect(kube.getPod('ns1', 'pod1')).resolves.toMatchObject({ uid: 'u' });
    expect(statuses().map((s) => s[2])).toEqual([0, 200]);
  });

  test(
    'a server that stays down is code 11 naming the ' + 'server, after one attempt per backoff step plus one',
    async () => {
      const kube = await client();
      await server.stop();
      const err = await failure(kube.getPod('ns1', 'pod1'));
      expect(err.code).toBe(CniCode.TryAgainLater);
      expect(err.msg).toBe(
        `Kubernetes API ${server.url} unreachable: ECONNREFUSED after 3 attempts (GET pods ns1/pod1)`,
      );
      expect(sleeps).toEqual([10, 20]);
    },
  );

  test('a server that never answers is code 11 after per-attempt timeouts', async () => {
    server.failNext({ pathPrefix: POD_PATH }, { hang: true, times: Infinity });
    // Each attempt times out once the server holds its request: every attempt reaches the server.
    server.beforeNext({ pathPrefix: POD_PATH }, () => expect(timers.expireRunning()).toBe(1), Infinity);
    const err = await failure((await client(undefined, { ...options, attemptTimeoutMs: 300 })).getPod('ns1', 'pod1'));
    expect(err.code).toBe(CniCode.TryAgainLater);
    expect(err.msg).toBe(
      `Kubernetes API ${server.url} unreachable: no answer within 300 ms after 3 attempts (GET pods ns1/pod1)`,
    );
    expect(statuses()).toEqual([
      ['GET', POD_PATH, 0],
      ['GET', POD_PATH, 0],
      ['GET', POD_PATH, 0],
    ]);
    expect(timers.started).toEqual([300, 300, 300]);
    expect(sleeps).toEqual([10, 20]);
  });

  test(
    'without an injected timer, a real one bounds the attempt (the server never answers, so only the timer ' +
      'decides)',
    async () => {
      server.failNext({ pathPrefix: POD_PATH }, { hang: true, times: Infinity });
      const err = await failure(
        (await client(undefined, { ...options, attemptTimer: undefined, attemptTimeoutMs: 300, backoffMs: [] })).getPod(
          'ns1',
          'pod1',
        ),
      );
      expect(err.code).toBe(CniCode.TryAgainLater);
      expect(err.msg).toBe(
        `Kubernetes API ${server.url} unreachable: no answer within 300 ms after 1 attempt (GET pods ns1/pod1)`,
      );
      expect(timers.started).toEqual([]);
    },
  );

  test('retries stop when the budget is spent, even with backoff steps left', async () => {
    server.failNext({ pathPrefix: POD_PATH }, { status: 503, times: Infinity });
    // The first attempt takes 2 s (on the test's clock) of a 1.5 s budget.
    server.beforeNext({ pathPrefix: POD_PATH }, () => (clock += 2000), Infinity);
    const err = await failure((await client(undefined, { ...options, retryBudgetMs: 1500 })).getPod('ns1', 'pod1'));
    expect(err.code).toBe(CniCode.TryAgainLater);
    expect(err.msg).toMatch(
      /unreachable: 503 Service Unavailable: injected failure after 1 attempt \(GET pods ns1\/pod1\)$/,
    );
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    // The attempt was bounded by what was left of the budget, not by attemptTimeoutMs.
    expect(timers.started).toEqual([1500]);
  });

  test('a request the server rejects (400) is code 999, not retried', async () => {
    server.failNext({ pathPrefix: POD_PATH }, { status: 400, message: 'bad request' });
    const err = await failure((await client()).getPod('ns1', 'pod1'));
    expect(err.code).toBe(CniCode.Internal);
    expect(err.msg).toBe(`Kubernetes API ${server.url} rejected GET pods ns1/pod1 (400 Bad Request: bad request)`);
    expect(server.requests).toHaveLength(1);
  });
});

describe('getObject', () => {
  const net = networkRef('ns1', 'br-net-1');
  const crd = NETWORK_CRD;

  test('returns namespaced and cluster-scoped objects', async () => {
    server.addObject(net, { plugin: 'bridge', args: '[{"type":"bridge"}]' });
    server.addObject(crd, { spec: { group: 'kubernetes.com' } });
    const kube = await client();
    await expect(kube.getObject(net)).resolves.toMatchObject({
      apiVersion: 'kubernetes.com/v1',
      kind: 'Network',
      metadata: { name: 'br-net-1', namespace: 'ns1' },
      plugin: 'bridge',
      args: '[{"type":"bridge"}]',
    });
    await expect(kube.getObject(crd)).resolves.toMatchObject({
      kind: 'CustomResourceDefinition',
      spec: { group: 'kubernetes.com' },
    });
    expect(statuses()).toEqual([
      ['GET', '/apis/kubernetes.com/v1/namespaces/ns1/networks/br-net-1', 200],
      ['GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/networks.kubernetes.com', 200],
    ]);
  });

  test('a missing object and an unserved resource type are both undefined', async () => {
    const kube = await client();
    await expect(kube.getObject(net)).resolves.toBeUndefined();
    server.unserve(net);
    await expect(kube.getObject(net)).resolves.toBeUndefined();
    expect(statuses().map((s) => s[2])).toEqual([404, 404]);
  });

  test('403 names the user and the object', async () => {
    server.failNext({ pathPrefix: '/apis/kubernetes.com/' }, { status: 403 });
    const err = await failure((await client()).getObject(net));
    expect(err.code).toBe(CniCode.KubernetesAccessDenied);
    expect(err.msg).toContain(
      `user "multus" may not get networks.kubernetes.com ns1/br-net-1 (403 Forbidden: networks.kubernetes.com ` +
        `"br-net-1" is forbidden`,
    );
  });

  test('5xx is retried', async () => {
    server.addObject(crd, {});
    server.failNext({ method: 'GET' }, { status: 503 });
    await expect((await client()).getObject(crd)).resolves.toMatchObject({
      metadata: { name: 'networks.kubernetes.com' },
    });
    expect(statuses().map((s) => s[2])).toEqual([503, 200]);
  });
});

describe('setPodAnnotation', () => {
  const KEY = 'k8s.v1.cni.cncf.io/network-status';

  test('merge-patches the annotation with the resourceVersion it read, keeping the others', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1', annotations: { keep: 'me' } });
    const before = server.pod('ns1', 'pod1')?.metadata.resourceVersion;
    await (await client()).setPodAnnotation('ns1', 'pod1', KEY, '[{"name":"x"}]');
    const pod = server.pod('ns1', 'pod1');
    expect(pod?.metadata.annotations).toEqual({ keep: 'me', [KEY]: '[{"name":"x"}]' });
    expect(pod?.metadata.resourceVersion).not.toBe(before);
    expect(statuses()).toEqual([['PATCH', POD_PATH, 200]]);
    expect(server.requests[0]?.contentType).toBe('application/merge-patch+json');
  });

  test('another writer meanwhile: its annotation is kept (a merge patch of one key)', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1' });
    server.beforeNext({ method: 'PATCH' }, () => {
      server.updatePod('ns1', 'pod1', (p) => {
        p.metadata.annotations = { ...p.metadata.annotations, other: 'writer' };
      });
    });
    await (await client()).setPodAnnotation('ns1', 'pod1', KEY, 'v');
    expect(server.pod('ns1', 'pod1')?.metadata.annotations).toEqual({ other: 'writer', [KEY]: 'v' });
  });

  test('a 409 anyway: the pod is read and the patch retried with its resourceVersion', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1' });
    server.failNext({ method: 'PATCH' }, { status: 409 });
    await (await client()).setPodAnnotation('ns1', 'pod1', KEY, 'v');
    expect(server.pod('ns1', 'pod1')?.metadata.annotations).toEqual({ [KEY]: 'v' });
    expect(statuses().map(([m, , s]) => `${m} ${s}`)).toEqual(['PATCH 409', 'GET 200', 'PATCH 200']);
  });

  test('endless conflicts give up with code 11 after 6 tries', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1' });
    server.failNext({ method: 'PATCH' }, { status: 409, times: Infinity });
    const err = await failure((await client()).setPodAnnotation('ns1', 'pod1', KEY, 'v'));
    expect(err.code).toBe(CniCode.TryAgainLater);
    expect(err.msg).toBe(
      `Kubernetes API ${server.url}: pod ns1/pod1 kept changing, 6 conflicting updates (PATCH pods ns1/pod1)`,
    );
    expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(6);
  });

  test('a missing pod is code 105, also when it disappears between GET and PATCH', async () => {
    const kube = await client();
    const missing = await failure(kube.setPodAnnotation('ns1', 'pod1', KEY, 'v'));
    expect(missing.code).toBe(CniCode.KubernetesNotFound);
    expect(missing.msg).toBe(`pod ns1/pod1 not found at Kubernetes API ${server.url}`);

    server.addPod({ namespace: 'ns1', name: 'pod1' });
    server.beforeNext({ method: 'PATCH' }, () => server.removePod('ns1', 'pod1'));
    const gone = await failure(kube.setPodAnnotation('ns1', 'pod1', KEY, 'v'));
    expect(gone.code).toBe(CniCode.KubernetesNotFound);
    expect(gone.msg).toBe(`pod ns1/pod1 not found at Kubernetes API ${server.url}`);
  });

  test('a 500 on the PATCH is retried', async () => {
    server.addPod({ namespace: 'ns1', name: 'pod1' });
    server.failNext({ method: 'PATCH' }, { status: 500 });
    await (await client()).setPodAnnotation('ns1', 'pod1', KEY, 'v');
    expect(server.pod('ns1', 'pod1')?.metadata.annotations?.[KEY]).toBe('v');
    expect(statuses().map(([m, , s]) => `${m} ${s}`)).toEqual(['PATCH 500', 'PATCH 200']);
  });
});

describe('kubeconfig and provider', () => {
  const dir = useTempDir('kube-client-test-');

  test('a missing kubeconfig is code 7 naming the file', async () => {
    const path = join(dir(), 'nope.kubeconfig');
    const err = await failure(client(path));
    expect(err.code).toBe(CniCode.InvalidConfig);
    expect(err.msg).toContain(`cannot load kubeconfig ${path}: ENOENT`);
  });

  test('invalid YAML is code 7 with its position but no excerpt (it could hold a token)', async () => {
    const path = join(dir(), 'bad');
    writeFileSync(path, 'users:\n- name: u\n  user:\n    token: "s3cr3t-token\n  : [\n');
    const err = await failure(client(path));
    expect(err.code).toBe(CniCode.InvalidConfig);
    expect(err.msg).toMatch(new RegExp(`^cannot load kubeconfig ${path}: not valid YAML at line \\d+, column \\d+: `));
    expect(err.msg).not.toContain('s3cr3t');
  });

  test.each([
    ['an empty file', ''],
    ['no current context', 'clusters: []\nusers: []\ncontexts: []\n'],
  ])('%s is code 7', async (_name, text) => {
    const path = join(dir(), 'kc');
    writeFileSync(path, text);
    const err = await failure(client(path));
    expect(err.code).toBe(CniCode.InvalidConfig);
    expect(err.msg).toContain(path);
  });

  test('a plain http:// server is code 7 before any request', async () => {
    const path = server.writeKubeconfig(join(dir(), 'kc'), { server: `http://127.0.0.1:${server.port}` });
    const err = await failure(client(path));
    expect(err.code).toBe(CniCode.InvalidConfig);
    expect(err.msg).toContain('must be an https:// URL');
    expect(server.requests).toEqual([]);
  });

  test('the provider makes one client per path, and does not remember failures', async () => {
    const provider = new ClientNodeKubeClientProvider(options);
    const path = join(dir(), 'kc');
    await expect(provider.get(path)).rejects.toMatchObject({ code: CniCode.InvalidConfig });
    server.writeKubeconfig(path);
    const first = await provider.get(path);
    expect(await provider.get(path)).toBe(first);
    expect(await provider.get(server.writeKubeconfig())).not.toBe(first);
  });

  test('src/sources/kube imports client-node for types only: file-only pods never load it', () => {
    const dir = join(__dirname, '../../../../src/sources/kube');
    const sources = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    const staticImports = sources.flatMap((s) => [
      ...s.matchAll(/^import\s+(type\s+)?[^;]*from\s+'@kubernetes\/client-node[^']*';/gm),
    ]);
    expect(staticImports.length).toBeGreaterThan(0);
    expect(staticImports.filter((m) => m[1] === undefined)).toEqual([]);
    expect(sources.join('\n')).toContain("await import('@kubernetes/client-node/dist/config.js')");
  });
});

describe('createPodEvent', () => {
  const EVENTS = { group: '', version: 'v1', plural: 'events' };
  const POD = { namespace: 'ns1', name: 'pod1', uid: 'u-1' };

  test('POSTs a core v1 Event about the pod (source multus), named from the pod', async () => {
    const at = new Date('2026-12-07T01:02:03.456Z');
    await (await client()).createPodEvent(POD, { type: 'Normal', reason: 'AddedInterface', message: 'net1 up' }, at);
    const [event] = server.objects(EVENTS, 'ns1');
    expect(event?.metadata.name).toMatch(/^pod1\.[0-9a-f]{8}$/u);
    expect(event).toMatchObject({
      involvedObject: { kind: 'Pod', namespace: 'ns1', name: 'pod1', uid: 'u-1' },
      type: 'Normal',
      reason: 'AddedInterface',
      message: 'net1 up',
      source: { component: 'multus' },
      firstTimestamp: '2026-12-07T01:02:03Z',
      count: 1,
    });
    expect(statuses()).toEqual([['POST', '/api/v1/namespaces/ns1/events', 201]]);
  });

  test('a 403 is code 104 naming the verb and the resource', async () => {
    server.failNext({ method: 'POST' }, { status: 403 });
    const err: unknown = await (
      await client()
    )
      .createPodEvent(POD, { type: 'Warning', reason: 'AttachFailed', message: 'x' }, new Date())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(104);
    expect((err as CniError).msg).toContain('create events');
  });
});
