import { DEFAULT_TUNING, Informer, type InformerTuning } from '../../../../src/sources/kube/informer-cache';
import { RecordingLogger } from '../../../support/fakes';
import {
  httpError,
  kubeObject,
  listBody,
  ManualSleeper,
  ScriptedListWatch,
} from '../../../support/scripted-list-watch';

/**
 * The informer against a scripted API: every list answer and watch event is the test's, pauses
 * end when the test releases them, and the clock only moves when the test moves it.
 */
let api: ScriptedListWatch;
let sleeper: ManualSleeper;
let clock: number;
let log: RecordingLogger;
let informer: Informer<Record<string, unknown>> | undefined;

beforeEach(() => {
  api = new ScriptedListWatch();
  sleeper = new ManualSleeper();
  clock = 1_000_000;
  log = new RecordingLogger();
});
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
});

function start(overrides: Partial<InformerTuning> = {}, fieldSelector?: string): Informer<Record<string, unknown>> {
  const tuning: InformerTuning = {
    ...DEFAULT_TUNING,
    pageSize: 2,
    sleep: sleeper.sleep,
    now: () => clock,
    random: () => 0.5,
    ...overrides,
  };
  const spec = {
    kind: 'pods',
    scope: 'node=node1',
    path: '/api/v1/pods',
    ...(fieldSelector === undefined ? {} : { fieldSelector }),
    transform: (o: Record<string, unknown>) => o,
  };
  informer = new Informer(
    spec,
    () => Promise.resolve(api),
    tuning,
    () => log,
  );
  informer.start();
  return informer;
}

const pod = (name: string, rv: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  kubeObject('ns1', name, rv, extra);

test('lists page by page, then watches from the list resourceVersion and applies every event', async () => {
  api.answerList(listBody([pod('a', '5'), pod('b', '6')], '10', 'page2'));
  api.answerList(listBody([pod('c', '7')], '10'));
  const cache = start({}, 'spec.nodeName=node1');
  const stream = await api.watchNumber(1);
  expect(api.lists).toEqual([
    { path: '/api/v1/pods', query: { limit: '2', fieldSelector: 'spec.nodeName=node1' } },
    { path: '/api/v1/pods', query: { limit: '2', fieldSelector: 'spec.nodeName=node1', continue: 'page2' } },
  ]);
  expect(stream.query).toEqual({
    watch: 'true',
    resourceVersion: '10',
    allowWatchBookmarks: 'true',
    timeoutSeconds: '300',
    fieldSelector: 'spec.nodeName=node1',
  });
  expect(cache.listed).toBe(true);
  expect(cache.status()).toEqual({
    kind: 'pods',
    scope: 'node=node1',
    synced: true,
    lastEventAgeSeconds: 0,
    objects: 3,
  });

  stream.emit('ADDED', pod('d', '11'));
  stream.emit('MODIFIED', pod('a', '12', { metadata: { annotations: { x: 'y' } } }));
  stream.emit('DELETED', pod('b', '13'));
  clock += 7000;
  expect(cache.get('ns1/d')).toMatchObject({ metadata: { name: 'd' } });
  expect(cache.get('ns1/a')).toMatchObject({ metadata: { annotations: { x: 'y' } } });
  expect(cache.get('ns1/b')).toBeUndefined();
  expect(cache.deletedAfter('ns1/b', 0)).toBe(true);
  expect(cache.deletedAfter('ns1/b', cache.changes)).toBe(false);
  expect(cache.status()).toMatchObject({ synced: true, lastEventAgeSeconds: 7, objects: 3 });
  // What the cache keeps is frozen: a caller cannot change it for the next one.
  expect(Object.isFrozen(cache.get('ns1/a'))).toBe(true);
});

test('a broken watch: the cache keeps serving, backs off, and re-watches from the last resourceVersion', async () => {
  api.answerList(listBody([pod('a', '5')], '10'));
  const cache = start();
  const first = await api.watchNumber(1);
  first.emit('MODIFIED', pod('a', '11'));
  first.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  await sleeper.pauseCount(1);
  expect(cache.status()).toMatchObject({ synced: false, objects: 1 });
  expect(cache.get('ns1/a')).toMatchObject({ metadata: { resourceVersion: '11' } });
  expect(log.lines).toContainEqual(
    expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ reason: 'ECONNRESET', failures: 1 }) }),
  );

  // Down for a while: the pauses double, and the cache still answers.
  sleeper.release();
  (await api.watchNumber(2)).fail(new Error('connect ECONNREFUSED'));
  await sleeper.pauseCount(2);
  sleeper.release();
  (await api.watchNumber(3)).fail(new Error('connect ECONNREFUSED'));
  await sleeper.pauseCount(3);
  expect(sleeper.pauses).toEqual([500, 1000, 2000]);
  expect(cache.get('ns1/a')).toBeDefined();

  sleeper.release();
  const back = await api.watchNumber(4);
  expect(back.query['resourceVersion']).toBe('11');
  expect(api.lists).toHaveLength(1);
  back.emit('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '20' } });
  expect(cache.status().synced).toBe(true);
  back.end();
  expect((await api.watchNumber(5)).query['resourceVersion']).toBe('20');
  expect(sleeper.pauses).toHaveLength(3);
});

test.each([
  ['an ERROR event with 410 Gone', (s: { emit: (t: string, o: unknown) => void }) => s.emit('ERROR', { code: 410 })],
  ['an HTTP 410 answer', (s: { fail: (e: unknown) => void }) => s.fail(httpError(410))],
])('%s: lists again at once, and the new list replaces the cache', async (_title, gone) => {
  api.answerList(listBody([pod('a', '5'), pod('b', '6')], '10'));
  const cache = start();
  gone(await api.watchNumber(1));
  api.answerList(listBody([pod('b', '30'), pod('c', '31')], '40'));
  const rewatch = await api.watchNumber(2);
  expect(rewatch.query['resourceVersion']).toBe('40');
  expect(api.lists).toHaveLength(2);
  expect(sleeper.pauses).toEqual([]);
  expect([cache.get('ns1/a'), cache.get('ns1/b'), cache.get('ns1/c')].map((o) => o !== undefined)).toEqual([
    false,
    true,
    true,
  ]);
});

test('a list that fails keeps the previous cache; the first failure ends waitForFirstList', async () => {
  api.answerList(httpError(403));
  const cache = start();
  await cache.waitForFirstList(60_000);
  expect(cache.listed).toBe(false);
  expect(cache.status()).toMatchObject({ synced: false, lastEventAgeSeconds: undefined, objects: 0 });
  await sleeper.pauseCount(1);
  api.answerList(listBody([pod('a', '5')], '10'));
  sleeper.release();
  await api.watchNumber(1);
  expect(cache.listed).toBe(true);

  // A relist (410) that fails midway: the old cache answers until a relist completes.
  (await api.watchNumber(1)).emit('ERROR', { code: 410 });
  api.answerList(listBody([pod('z', '41')], '50', 'next'));
  api.answerList(httpError(503));
  await sleeper.pauseCount(2);
  expect(cache.get('ns1/a')).toBeDefined();
  expect(cache.get('ns1/z')).toBeUndefined();
});

test('a type the server does not serve (bare 404 on the list): listed and empty, looked for again later', async () => {
  api.answerList(httpError(404, '404 page not found\n'));
  const cache = start();
  await sleeper.pauseCount(1);
  expect(sleeper.pauses).toEqual([DEFAULT_TUNING.absentRecheckMs]);
  expect(cache.listed).toBe(true);
  expect(cache.get('ns1/a')).toBeUndefined();
  expect(cache.status()).toMatchObject({ synced: true, objects: 0 });
  api.answerList(listBody([pod('a', '5')], '10'));
  sleeper.release();
  await api.watchNumber(1);
  expect(cache.get('ns1/a')).toBeDefined();
});

test('a watch the server ends at once without an event is backed off from, not retried in a loop', async () => {
  api.answerList(listBody([], '10'));
  start();
  (await api.watchNumber(1)).end();
  await sleeper.pauseCount(1);
  expect(sleeper.pauses).toEqual([500]);
});

test('stop() aborts the open watch and ends the loop; the cache stays readable', async () => {
  api.answerList(listBody([pod('a', '5')], '10'));
  const cache = start();
  const stream = await api.watchNumber(1);
  await cache.stop();
  expect(stream.aborted).toBe(true);
  expect(cache.get('ns1/a')).toBeDefined();
  expect(cache.status().synced).toBe(false);
});

test('an HTTP error on the watch (the type removed, 403, 500): back off, then list again', async () => {
  api.answerList(listBody([pod('a', '5')], '10'));
  const cache = start();
  (await api.watchNumber(1)).emit('ERROR', { kind: 'Status', code: 500 });
  await sleeper.pauseCount(1);
  api.answerList(httpError(404, '404 page not found\n'));
  sleeper.release();
  await sleeper.pauseCount(2);
  expect(api.lists).toHaveLength(2);
  expect(sleeper.pauses).toEqual([500, DEFAULT_TUNING.absentRecheckMs]);
  expect(cache.get('ns1/a')).toBeUndefined();
});

test('410 again and again: after two immediate relists, the next ones back off', async () => {
  api.onList = () => {
    throw httpError(410);
  };
  start();
  await sleeper.pauseCount(1);
  expect(api.lists).toHaveLength(3);
  expect(sleeper.pauses).toEqual([500]);
});

test('subscribers are told each change in order: watch events, and what a re-list changed', async () => {
  api.answerList(listBody([pod('a', '5'), pod('b', '6')], '10'));
  const cache = start();
  const seen: string[] = [];
  const name = (o: Record<string, unknown> | undefined): string =>
    String((o?.['metadata'] as { name?: string; resourceVersion?: string } | undefined)?.resourceVersion ?? '-');
  const stop = cache.subscribe((c) => seen.push(`${c.type} ${c.key} ${name(c.value)} ${name(c.previous)}`));
  const stream = await api.watchNumber(1);
  stream.emit('ADDED', pod('c', '11'));
  stream.emit('MODIFIED', pod('a', '12'));
  stream.emit('DELETED', pod('b', '13'));
  stream.emit('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '14' } });
  expect(seen).toEqual([
    // Subscribed before the first list ended: every listed object is told as added.
    'added ns1/a 5 -',
    'added ns1/b 6 -',
    'added ns1/c 11 -',
    'modified ns1/a 12 5',
    'deleted ns1/b 6 -',
  ]);
  expect(cache.values().map(name).sort()).toEqual(['11', '12']);

  // 410: the new list replaces the cache, and its differences are told.
  seen.length = 0;
  stream.emit('ERROR', { code: 410 });
  api.answerList(listBody([pod('a', '30'), pod('d', '31')], '40'));
  await api.watchNumber(2);
  expect(seen).toEqual(['modified ns1/a 30 12', 'added ns1/d 31 -', 'deleted ns1/c 11 -']);

  // A listener that throws is logged; the others and the cache go on.
  seen.length = 0;
  stop();
  cache.subscribe(() => {
    throw new Error('listener bug');
  });
  cache.subscribe((c) => seen.push(c.key));
  (await api.watchNumber(2)).emit('ADDED', pod('e', '41'));
  expect(seen).toEqual(['ns1/e']);
  expect(cache.get('ns1/e')).toBeDefined();
  expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'informer: a listener failed' }));
});
