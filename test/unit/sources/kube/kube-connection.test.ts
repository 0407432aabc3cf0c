import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniCode } from '../../../../src/core/errors';
import { KubeConnection } from '../../../../src/sources/kube/kube-connection';
import { WatchIdleError } from '../../../../src/sources/kube/list-watch-api';
import { type KubeTestServer, startKubeTestServer } from '../../../support/kube-test-server';
import { RecordingLogger } from '../../../support/fakes';
import { useTempDir } from '../../../support/temp-dir';

/**
 * The daemon's connection against the test API server: credentials re-read when their files
 * change (token rotation, CA rotation), kept when a change cannot be read, and the list and
 * watch transport over real HTTPS.
 */
let server: KubeTestServer;
let log: RecordingLogger;
const dir = useTempDir('kube-connection-');

beforeAll(async () => {
  await import('@kubernetes/client-node/dist/config.js');
}, 300_000);
beforeEach(async () => {
  server = await startKubeTestServer();
  server.addPod({ namespace: 'ns1', name: 'p', nodeName: 'node1' });
  log = new RecordingLogger();
});
afterEach(() => server.close());

/** Replaces a file the way kubelet does a projected token: a new file renamed over the old. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

function connection(kubeconfig: string, watchIdleMs?: number): KubeConnection {
  return new KubeConnection(kubeconfig, { ...(watchIdleMs === undefined ? {} : { watchIdleMs }) }, () => log);
}

test('a rotated token file: the next call carries the new token; unchanged files reuse the connection', async () => {
  const tokenFile = join(dir(), 'token');
  writeFileSync(tokenFile, server.token);
  const conn = connection(server.writeKubeconfig(join(dir(), 'kubeconfig'), { tokenFile }));
  const first = await conn.get();
  await expect(first.client.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });
  expect(await conn.get()).toBe(first);

  server.addToken('rotated-token', server.user);
  server.revokeToken(server.token);
  await expect(first.client.getPod('ns1', 'p')).rejects.toMatchObject({ code: CniCode.KubernetesAccessDenied });
  replaceFile(tokenFile, 'rotated-token');
  const second = await conn.get();
  expect(second).not.toBe(first);
  await expect(second.client.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });
  expect(log.lines.map((l) => l.msg)).toContain('Kubernetes credentials reloaded');
});

test('a rotated CA file: the next call trusts the new CA', async () => {
  const caFile = join(dir(), 'ca.crt');
  writeFileSync(caFile, server.certs.caPem);
  const conn = connection(server.writeKubeconfig(join(dir(), 'kubeconfig'), { caFile }));
  await expect((await conn.get()).client.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });
  const ca = await server.rotateCertificate();
  await expect((await conn.get()).client.getPod('ns1', 'p')).rejects.toMatchObject({ code: CniCode.TryAgainLater });
  replaceFile(caFile, ca);
  await expect((await conn.get()).client.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });
}, 120_000);

test('a kubeconfig rewritten into something unusable: the previous connection stays, with a warning', async () => {
  const path = server.writeKubeconfig(join(dir(), 'kubeconfig'));
  const conn = connection(path);
  const first = await conn.get();
  replaceFile(path, 'clusters: [');
  expect(await conn.get()).toBe(first);
  expect(await conn.get()).toBe(first);
  const warnings = (): number => log.lines.filter((l) => l.msg?.includes('cannot be reloaded') === true).length;
  // Warned once, not at every call while the file stays broken; a good file again is loaded.
  expect(warnings()).toBe(1);
  // The first load has nothing to fall back on: the config error is the answer.
  await expect(connection(path).get()).rejects.toMatchObject({ code: CniCode.InvalidConfig });
  server.writeKubeconfig(join(dir(), 'good'));
  renameSync(join(dir(), 'good'), path);
  const again = await conn.get();
  expect(again).not.toBe(first);
  await expect(again.client.getPod('ns1', 'p')).resolves.toMatchObject({ name: 'p' });
});

test('lists and watches over HTTPS: pages, a live stream, and a silent stream dropped', async () => {
  const { api } = await connection(server.writeKubeconfig(), 2000).get();
  const page = (await api.list(
    '/api/v1/pods',
    { fieldSelector: 'spec.nodeName=node1' },
    new AbortController().signal,
  )) as {
    metadata: { resourceVersion: string };
    items: unknown[];
  };
  expect(page.items).toHaveLength(1);
  const events: unknown[] = [];
  const stopper = new AbortController();
  const watching = api.watch(
    '/api/v1/pods',
    { watch: 'true', resourceVersion: page.metadata.resourceVersion, fieldSelector: 'spec.nodeName=node1' },
    (e) => events.push(e),
    stopper.signal,
  );
  watching.catch(() => undefined);
  while (server.openWatches === 0) await new Promise((r) => setTimeout(r, 10));
  server.addPod({ namespace: 'ns1', name: 'q', nodeName: 'node1' });
  server.addPod({ namespace: 'ns1', name: 'r', nodeName: 'node2' });
  while (events.length === 0) await new Promise((r) => setTimeout(r, 10));
  expect(events).toEqual([{ type: 'ADDED', object: expect.objectContaining({ kind: 'Pod' }) as unknown }]);
  server.closeWatches();
  await expect(watching).resolves.toBeUndefined();

  // Nothing for 2 s: the stream is dropped as half-open.
  const silent = api.watch(
    '/api/v1/pods',
    { watch: 'true', resourceVersion: '999999' },
    () => undefined,
    stopper.signal,
  );
  await expect(silent).rejects.toBeInstanceOf(WatchIdleError);
  // An answer outside 2xx is the HTTP error.
  server.failNext({ pathPrefix: '/api/v1/pods' }, { status: 403 });
  await expect(api.watch('/api/v1/pods', { watch: 'true' }, () => undefined, stopper.signal)).rejects.toMatchObject({
    code: 403,
  });
});
