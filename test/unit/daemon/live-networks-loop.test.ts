import { parseMultusConfig } from '../../../src/core/config/multus-config';
import type { LiveOutcome } from '../../../src/core/live-networks';
import type { PodInfo } from '../../../src/core/ports/kube-client';
import { LiveNetworksLoop } from '../../../src/daemon/live-networks-loop';
import { FakeNodePods, RecordingLogger } from '../../../src/testing/fakes';

const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const config = parseMultusConfig({ name: 'm', type: 'multus', cniVersion: '1.0.0', delegates: [{ type: 'bridge' }] });
const DONE: LiveOutcome = { state: 'applied', attached: [], detached: [], failed: [] };

const pod = (name: string, networks: string, extra: Record<string, string> = {}): PodInfo => ({
  namespace: 'ns1',
  name,
  uid: `uid-${name}`,
  resourceVersion: networks,
  annotations: { [NETWORKS]: networks, ...extra },
});

/** A LiveNetworks whose passes end when the test says: each pass is one pending promise. */
class HeldLive {
  readonly passes: string[] = [];
  private readonly waiting: Array<() => void> = [];

  apply(p: PodInfo): Promise<LiveOutcome> {
    this.passes.push(`${p.name}=${p.annotations[NETWORKS] ?? ''}`);
    return new Promise((resolve) => this.waiting.push(() => resolve(DONE)));
  }

  /** Ends the oldest pass still running. */
  async release(): Promise<void> {
    this.waiting.shift()?.();
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  }
}

function started(): { pods: FakeNodePods; live: HeldLive; loop: LiveNetworksLoop } {
  const pods = new FakeNodePods([]);
  const live = new HeldLive();
  const loop = new LiveNetworksLoop({ pods, live, config, log: new RecordingLogger() });
  loop.start();
  return { pods, live, loop };
}

test('a burst of edits during a pass becomes one more pass, with the pod as it is at its end', async () => {
  const { pods, live, loop } = started();
  pods.emit({ type: 'added', pod: pod('a', 'x') });
  for (const v of ['y', 'z', 'w']) pods.emit({ type: 'modified', pod: pod('a', v), previous: pod('a', 'x') });
  expect(live.passes).toEqual(['a=x']);
  await live.release();
  expect(live.passes).toEqual(['a=x', 'a=w']);
  await live.release();
  await loop.idle();
  expect(live.passes).toEqual(['a=x', 'a=w']);
});

test('pods are independent: a slow pass over one does not hold another', async () => {
  const { pods, live } = started();
  pods.emit({ type: 'added', pod: pod('a', 'x') });
  pods.emit({ type: 'added', pod: pod('b', 'y') });
  expect(live.passes).toEqual(['a=x', 'b=y']);
});

test('only a change of a networks annotation starts a pass; a deleted pod starts none', async () => {
  const { pods, live, loop } = started();
  const before = pod('a', 'x');
  pods.emit({
    type: 'modified',
    pod: { ...before, resourceVersion: '9', annotations: { ...before.annotations, other: '1' } },
    previous: before,
  });
  pods.emit({ type: 'deleted', pod: before });
  expect(live.passes).toEqual([]);
  pods.emit({ type: 'modified', pod: pod('a', 'x', { 'v1.multus-cni.io/default-network': 'n' }), previous: before });
  expect(live.passes).toEqual(['a=x']);
  await live.release();
  await loop.stop();
  pods.emit({ type: 'modified', pod: pod('a', 'q'), previous: before });
  expect(live.passes).toEqual(['a=x']);
});

test('pods the cache held before the loop started get a pass each (a restarted daemon finishes them)', async () => {
  const pods = new FakeNodePods([pod('a', 'x'), pod('b', 'y')]);
  const live = new HeldLive();
  const loop = new LiveNetworksLoop({ pods, live, config, log: new RecordingLogger() });
  loop.start();
  expect(live.passes).toEqual(['a=x', 'b=y']);
  await live.release();
  await live.release();
  await loop.idle();
});
