import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { type KubeTestServer, startKubeTestServer } from '../../../support/kube-test-server';
import { nadRef } from '../../../support/fake-kube';

/**
 * The test API server the Kubernetes tests stand on, checked with plain HTTPS requests: if it
 * drifted from kube-apiserver's shapes, the client tests would prove nothing.
 */
let server: KubeTestServer;
beforeEach(async () => {
  server = await startKubeTestServer({ user: 'system:serviceaccount:kube-system:multus' });
});
afterEach(() => server.close());

interface Answer {
  status: number;
  contentType: string | undefined;
  body: unknown;
}

function call(
  method: string,
  path: string,
  options: { body?: unknown; contentType?: string; token?: string | null } = {},
): Promise<Answer> {
  const token = options.token === undefined ? server.token : options.token;
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  if (options.contentType !== undefined) headers['Content-Type'] = options.contentType;
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, ca: server.certs.caPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = res.headers['content-type'] === 'application/json';
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: json ? JSON.parse(text) : text,
        });
      });
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

test('TLS with its own CA; a missing or wrong token is a 401 Status', async () => {
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  await expect(call('GET', '/api/v1/namespaces/ns1/pods/p', { token: null })).resolves.toMatchObject({
    status: 401,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 },
  });
  await expect(call('GET', '/api/v1/namespaces/ns1/pods/p', { token: 'wrong' })).resolves.toMatchObject({
    status: 401,
  });
  server.addToken('other', 'someone');
  await expect(call('GET', '/api/v1/namespaces/ns1/pods/p', { token: 'other' })).resolves.toMatchObject({
    status: 404,
  });
});

test('404s: a Status naming the object, or a bare page-not-found for unserved types', async () => {
  await expect(
    call('GET', '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions/a'),
  ).resolves.toEqual({
    status: 404,
    contentType: 'application/json',
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'network-attachment-definitions.k8s.cni.cncf.io "a" not found',
      reason: 'NotFound',
      details: { name: 'a', group: 'k8s.cni.cncf.io', kind: 'network-attachment-definitions' },
      code: 404,
    },
  });
  await expect(call('GET', '/apis/example.com/v1/namespaces/ns1/things/a')).resolves.toMatchObject({
    status: 404,
    body: '404 page not found\n',
  });
  await expect(
    call('GET', '/apis/apiextensions.k8s.io/v1/namespaces/ns1/customresourcedefinitions/x'),
  ).resolves.toMatchObject({ status: 404, body: '404 page not found\n' });
});

test('get and list, namespaced and across namespaces; cluster-scoped CRDs and TPRs', async () => {
  server.addObject(nadRef('ns1', 'a'), { spec: { config: '{}' } });
  server.addObject(nadRef('ns1', 'b'), { spec: { config: '' } });
  server.addObject(nadRef('ns2', 'c'), {});
  server.addObject(
    { group: 'extensions', version: 'v1beta1', plural: 'thirdpartyresources', name: 'network.kubernetes.com' },
    { versions: [{ name: 'v1' }] },
  );
  const one = await call('GET', '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions/a');
  expect(one.body).toMatchObject({
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: 'a', namespace: 'ns1' },
    spec: { config: '{}' },
  });
  const list = await call('GET', '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions');
  expect(list.body).toMatchObject({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinitionList' });
  expect((list.body as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name)).toEqual([
    'a',
    'b',
  ]);
  const all = await call('GET', '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions');
  expect((all.body as { items: unknown[] }).items).toHaveLength(3);
  const tpr = await call('GET', '/apis/extensions/v1beta1/thirdpartyresources/network.kubernetes.com');
  expect(tpr.body).toMatchObject({
    kind: 'ThirdPartyResource',
    metadata: { name: 'network.kubernetes.com' },
    versions: [{ name: 'v1' }],
  });
  expect(server.removeObject(nadRef('ns1', 'a'))).toBe(true);
  await expect(
    call('GET', '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions/a'),
  ).resolves.toMatchObject({ status: 404 });
});

describe('pod writes', () => {
  const path = '/api/v1/namespaces/ns1/pods/p';
  const rv = (): string => server.pod('ns1', 'p')?.metadata.resourceVersion ?? '';

  test('merge and strategic merge patches bump the resourceVersion; a stale one is a 409', async () => {
    server.addPod({ namespace: 'ns1', name: 'p', annotations: { a: '1', b: '2' } });
    const first = rv();
    const merged = await call('PATCH', path, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: first, annotations: { b: null, c: '3' } } },
    });
    expect(merged.status).toBe(200);
    expect(server.pod('ns1', 'p')?.metadata.annotations).toEqual({ a: '1', c: '3' });
    expect(Number(rv())).toBeGreaterThan(Number(first));
    const stale = await call('PATCH', path, {
      contentType: 'application/strategic-merge-patch+json',
      body: { metadata: { resourceVersion: first, annotations: { d: '4' } } },
    });
    expect(stale).toMatchObject({
      status: 409,
      body: {
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your changes ' +
          'to the latest version and try again',
      },
    });
    await expect(
      call('PATCH', path, {
        contentType: 'application/strategic-merge-patch+json',
        body: { metadata: { annotations: { d: '4' } } },
      }),
    ).resolves.toMatchObject({ status: 200 });
    expect(server.pod('ns1', 'p')?.metadata.annotations).toEqual({ a: '1', c: '3', d: '4' });
  });

  test('JSON patch, PUT with resourceVersion, and what the server refuses', async () => {
    server.addPod({ namespace: 'ns1', name: 'p', uid: 'uid-p' });
    const ops = [{ op: 'add', path: '/metadata/annotations/x~1y', value: 'z' }];
    await expect(call('PATCH', path, { contentType: 'application/json-patch+json', body: ops })).resolves.toMatchObject(
      { status: 200 },
    );
    expect(server.pod('ns1', 'p')?.metadata.annotations).toEqual({ 'x/y': 'z' });
    await expect(
      call('PATCH', path, { contentType: 'application/json-patch+json', body: { metadata: {} } }),
    ).resolves.toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    await expect(call('PATCH', path, { contentType: 'application/apply-patch+yaml', body: {} })).resolves.toMatchObject(
      { status: 415 },
    );
    const pod = server.pod('ns1', 'p');
    const stale = { ...pod, metadata: { ...pod?.metadata, resourceVersion: '1' } };
    await expect(call('PUT', path, { contentType: 'application/json', body: stale })).resolves.toMatchObject({
      status: 409,
    });
    await expect(
      call('PUT', path, {
        contentType: 'application/json',
        body: { ...pod, metadata: { ...pod?.metadata, labels: { l: 'v' } } },
      }),
    ).resolves.toMatchObject({ status: 200 });
    expect(server.pod('ns1', 'p')?.metadata).toMatchObject({ uid: 'uid-p', labels: { l: 'v' } });
    await expect(
      call('PATCH', '/api/v1/namespaces/ns1/pods/gone', { contentType: 'application/merge-patch+json', body: {} }),
    ).resolves.toMatchObject({ status: 404 });
  });
});

test('faults: counted statuses with kube-apiserver wording, delays, hooks, and the request log', async () => {
  server.addPod({ namespace: 'ns1', name: 'p' });
  server.failNext({ method: 'GET', pathPrefix: '/api/v1/' }, { status: 403, times: 2 });
  const denied = await call('GET', '/api/v1/namespaces/ns1/pods/p');
  expect(denied.body).toMatchObject({
    reason: 'Forbidden',
    message:
      'pods "p" is forbidden: User "system:serviceaccount:kube-system:multus" cannot get resource "pods" in API ' +
      'group "" in the namespace "ns1"',
  });
  await expect(call('GET', '/api/v1/namespaces/ns1/pods/p')).resolves.toMatchObject({ status: 403 });
  await expect(call('GET', '/api/v1/namespaces/ns1/pods/p')).resolves.toMatchObject({ status: 200 });
  server.failNext({}, { status: 500, delayMs: 20 });
  await expect(call('GET', '/api/v1/namespaces/ns1/pods')).resolves.toMatchObject({
    status: 500,
    body: { reason: 'InternalError' },
  });
  let ran = 0;
  server.beforeNext({ method: 'GET' }, () => (ran += 1));
  await call('GET', '/api/v1/namespaces/ns1/pods/p');
  await call('GET', '/api/v1/namespaces/ns1/pods/p');
  expect(ran).toBe(1);
  expect(server.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
    'GET /api/v1/namespaces/ns1/pods/p 403',
    'GET /api/v1/namespaces/ns1/pods/p 403',
    'GET /api/v1/namespaces/ns1/pods/p 200',
    'GET /api/v1/namespaces/ns1/pods 500',
    'GET /api/v1/namespaces/ns1/pods/p 200',
    'GET /api/v1/namespaces/ns1/pods/p 200',
  ]);
});

test(
  'stop() refuses connections, restart() serves the same ' + 'objects on the same port, close() removes the temp dir',
  async () => {
    server.addPod({ namespace: 'ns1', name: 'p' });
    const port = server.port;
    const kubeconfig = server.writeKubeconfig();
    await server.stop();
    await expect(call('GET', '/api/v1/namespaces/ns1/pods/p')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.restart();
    expect(server.port).toBe(port);
    await expect(call('GET', '/api/v1/namespaces/ns1/pods/p')).resolves.toMatchObject({ status: 200 });
    await server.close();
    expect(existsSync(kubeconfig)).toBe(false);
  },
);

/** An open watch: the events so far, and a promise that settles when the server ends the stream. */
interface WatchStream {
  readonly events: Array<{ type: string; object: { metadata: Record<string, unknown> } & Record<string, unknown> }>;
  readonly ended: Promise<void>;
  close(): void;
}

function watch(path: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const events: WatchStream['events'] = [];
    let buffer = '';
    const req = request(
      `${server.url}${path}`,
      { ca: server.certs.caPem, headers: { Authorization: `Bearer ${server.token}` } },
      (res) => {
        const ended = new Promise<void>((done) => res.on('close', done));
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
            events.push(JSON.parse(buffer.slice(0, nl)) as WatchStream['events'][number]);
            buffer = buffer.slice(nl + 1);
          }
        });
        resolve({ events, ended, close: () => req.destroy() });
      },
    );
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

/** Polls until `check` holds: the server writes events asynchronously. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('lists and watches, as informers use them', () => {
  const pods = '/api/v1/pods';
  const summary = (s: WatchStream): string[] => s.events.map((e) => `${e.type} ${e.object.metadata['name'] as string}`);

  test('a list pages by limit/continue, selects by spec.nodeName and carries the resourceVersion', async () => {
    for (const name of ['a', 'b', 'c']) server.addPod({ namespace: 'ns1', name, nodeName: 'node1' });
    server.addPod({ namespace: 'ns2', name: 'other', nodeName: 'node2' });
    const first = await call('GET', `${pods}?fieldSelector=spec.nodeName%3Dnode1&limit=2`);
    const body = first.body as { metadata: { resourceVersion: string; continue?: string }; items: unknown[] };
    expect(body.items).toHaveLength(2);
    expect(body.metadata.resourceVersion).toBe(server.pod('ns2', 'other')?.metadata.resourceVersion);
    const token = encodeURIComponent(body.metadata.continue ?? '');
    const rest = await call('GET', `${pods}?fieldSelector=spec.nodeName%3Dnode1&limit=2&continue=${token}`);
    expect(rest.body).toMatchObject({ metadata: { resourceVersion: body.metadata.resourceVersion }, items: [{}] });
    expect((rest.body as { metadata: object }).metadata).not.toHaveProperty('continue');
    server.compact();
    await expect(call('GET', `${pods}?limit=2&continue=${token}`)).resolves.toMatchObject({
      status: 410,
      body: { reason: 'Expired' },
    });
    await expect(call('GET', `${pods}?fieldSelector=spec.nodeName`)).resolves.toMatchObject({ status: 400 });
  });

  test('a watch streams the changes after its resourceVersion, through the field selector', async () => {
    server.addPod({ namespace: 'ns1', name: 'before', nodeName: 'node1' });
    const rv = server.pod('ns1', 'before')?.metadata.resourceVersion ?? '';
    server.addPod({ namespace: 'ns1', name: 'a', nodeName: 'node1' });
    const stream = await watch(`${pods}?watch=true&resourceVersion=${rv}&fieldSelector=spec.nodeName%3Dnode1`);
    server.addPod({ namespace: 'ns1', name: 'elsewhere', nodeName: 'node2' });
    server.updatePod('ns1', 'a', (p) => (p.metadata.annotations = { x: 'y' }));
    server.updatePod('ns1', 'elsewhere', (p) => ((p['spec'] as Record<string, unknown>)['nodeName'] = 'node1'));
    server.updatePod('ns1', 'a', (p) => ((p['spec'] as Record<string, unknown>)['nodeName'] = 'node3'));
    server.removePod('ns1', 'before');
    await until(() => stream.events.length === 5);
    expect(summary(stream)).toEqual(['ADDED a', 'MODIFIED a', 'ADDED elsewhere', 'DELETED a', 'DELETED before']);
    const last = stream.events[4]?.object.metadata['resourceVersion'];
    expect(Number(last)).toBeGreaterThan(Number(stream.events[3]?.object.metadata['resourceVersion']));
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: pods, status: 200 });
    expect(server.openWatches).toBe(1);
    server.closeWatches();
    await stream.ended;
    expect(server.openWatches).toBe(0);
  });

  test('bookmarks when allowed; a resourceVersion older than the history is a 410 ERROR event', async () => {
    const nads = '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions';
    server.addObject(nadRef('ns1', 'a'), { spec: { config: '{}' } });
    const rv = server.object(nadRef('ns1', 'a'))?.metadata.resourceVersion ?? '';
    const stream = await watch(`${nads}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`);
    server.sendBookmarks();
    await until(() => stream.events.length === 1);
    expect(stream.events[0]).toMatchObject({
      type: 'BOOKMARK',
      object: { kind: 'NetworkAttachmentDefinition', metadata: { resourceVersion: rv } },
    });
    stream.close();
    server.addObject(nadRef('ns1', 'b'), {});
    server.compact();
    const old = await watch(`${nads}?watch=true&resourceVersion=${rv}`);
    await old.ended;
    expect(old.events).toEqual([
      {
        type: 'ERROR',
        object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) as unknown,
      },
    ]);
    // No resourceVersion: the current objects first, as ADDED.
    const fresh = await watch(`${nads}?watch=true`);
    await until(() => fresh.events.length === 2);
    expect(summary(fresh)).toEqual(['ADDED a', 'ADDED b']);
    fresh.close();
  });

  test('a revoked token is refused; a rotated certificate is trusted only through the new CA', async () => {
    server.addPod({ namespace: 'ns1', name: 'p' });
    server.addToken('next', server.user);
    server.revokeToken(server.token);
    await expect(call('GET', '/api/v1/namespaces/ns1/pods/p')).resolves.toMatchObject({ status: 401 });
    await expect(call('GET', '/api/v1/namespaces/ns1/pods/p', { token: 'next' })).resolves.toMatchObject({
      status: 200,
    });
    const oldCa = server.certs.caPem;
    const newCa = await server.rotateCertificate();
    expect(newCa).not.toBe(oldCa);
    expect(server.certs.caPem).toBe(newCa);
    const withOldCa = new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/version`, { ca: oldCa }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    });
    await expect(withOldCa).rejects.toThrow();
    // `call` trusts server.certs.caPem: the new CA now.
    await expect(call('GET', '/api/v1/namespaces/ns1/pods/p', { token: 'next' })).resolves.toMatchObject({
      status: 200,
    });
  });
});
