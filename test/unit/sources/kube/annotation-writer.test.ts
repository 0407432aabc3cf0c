import { CniCode, CniError } from '../../../../src/core/errors';
import { AnnotationWriter } from '../../../../src/sources/kube/annotation-writer';
import { FakeKubeClient } from '../../../support/fake-kube';
import { RecordingLogger } from '../../../support/fakes';
import { ManualSleeper } from '../../../support/scripted-list-watch';

/** The daemon's annotation writes: kept while the API is unavailable, in order, newest wins. */
let api: FakeKubeClient;
let sleeper: ManualSleeper;
let log: RecordingLogger;
let writer: AnnotationWriter;

const DOWN = new CniError(CniCode.TryAgainLater, 'Kubernetes API https://fake-apiserver unreachable');

beforeEach(() => {
  api = new FakeKubeClient().addPod('ns1', 'p');
  sleeper = new ManualSleeper();
  log = new RecordingLogger();
  writer = new AnnotationWriter(
    () => Promise.resolve(api),
    { backoffMs: 1000, maxBackoffMs: 4000, maxPending: 2, sleep: sleeper.sleep },
    () => log,
  );
});
afterEach(() => writer.close());

const annotation = (): string | undefined => api.pods.get('ns1/p')?.annotations['status'];

/** Lets the writer's background retry run until `done` holds (it only waits on the sleeper). */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

test('the API up: written at once, nothing kept', async () => {
  await writer.write('ns1', 'p', 'status', 'v1');
  expect(annotation()).toBe('v1');
  expect(writer.waiting).toBe(0);
});

test('kept while down with doubling pauses (capped); a newer direct write wins over the kept one', async () => {
  api.failWith = DOWN;
  await writer.write('ns1', 'p', 'status', 'old');
  expect(writer.waiting).toBe(1);
  for (let n = 1; n <= 4; n++) {
    await sleeper.pauseCount(n);
    sleeper.release();
  }
  await sleeper.pauseCount(5);
  expect(sleeper.pauses).toEqual([1000, 2000, 4000, 4000, 4000]);
  api.failWith = undefined;
  await writer.write('ns1', 'p', 'status', 'new');
  expect(writer.waiting).toBe(0);
  sleeper.release();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  expect(annotation()).toBe('new');
  // The first try, four retries while down, the new write; the old value is never sent again.
  expect(api.calls).toHaveLength(6);
});

test('a kept write lands once the API answers; a pod gone meanwhile is dropped, not an error', async () => {
  api.addPod('ns1', 'gone');
  api.failWith = DOWN;
  await writer.write('ns1', 'p', 'status', 'v1');
  await writer.write('ns1', 'gone', 'status', 'v1');
  api.pods.delete('ns1/gone');
  api.failWith = undefined;
  await sleeper.pauseCount(1);
  sleeper.release();
  await settle(() => writer.waiting === 0);
  expect(annotation()).toBe('v1');
  expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
    ['warn', 'Kubernetes API unavailable: annotation kept, written once the API answers'],
    ['warn', 'Kubernetes API unavailable: annotation kept, written once the API answers'],
    ['info', 'kept annotation written'],
    ['info', 'kept annotation not written: the pod is gone'],
  ]);
});

test('beyond maxPending, or any failure but code 11, the write fails as in thin mode', async () => {
  api.addPod('ns1', 'q').addPod('ns1', 'r');
  api.failWith = DOWN;
  await writer.write('ns1', 'p', 'status', 'v');
  await writer.write('ns1', 'q', 'status', 'v');
  await expect(writer.write('ns1', 'r', 'status', 'v')).rejects.toBe(DOWN);
  api.failWith = new CniError(CniCode.KubernetesAccessDenied, 'forbidden');
  await expect(writer.write('ns1', 'p', 'other', 'v')).rejects.toMatchObject({ code: 104 });
  await writer.close();
  expect(writer.waiting).toBe(0);
  expect(log.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'annotation writes dropped at shutdown' });
});
