import type { PodInfo } from '../../../../src/core/ports/kube-client';
import type { PodChange } from '../../../../src/core/ports/node-pods';
import { DEFAULT_TUNING, Informer } from '../../../../src/sources/kube/informer-cache';
import { InformerNodePods } from '../../../../src/sources/kube/informer-node-pods';
import { RecordingLogger } from '../../../support/fakes';
import { kubeObject, listBody, ManualSleeper, ScriptedListWatch } from '../../../support/scripted-list-watch';

/** The node's pods over a real informer against a scripted API. */
function podInformer(api: ScriptedListWatch): Informer<PodInfo> {
  const log = new RecordingLogger();
  const spec = {
    kind: 'pods',
    scope: 'node=n1',
    path: '/api/v1/pods',
    transform: (o: Record<string, unknown>): PodInfo => {
      const meta = o['metadata'] as { namespace: string; name: string; resourceVersion: string };
      return {
        namespace: meta.namespace,
        name: meta.name,
        uid: `uid-${meta.name}`,
        resourceVersion: meta.resourceVersion,
        annotations: {},
      };
    },
  };
  const tuning = { ...DEFAULT_TUNING, sleep: new ManualSleeper().sleep, now: () => 0, random: () => 0.5 };
  return new Informer(
    spec,
    () => Promise.resolve(api),
    tuning,
    () => log,
  );
}

test('until the informer is reached nothing is synced; a listener subscribed then hears each change', async () => {
  const api = new ScriptedListWatch();
  let reach: (i: Informer<PodInfo>) => void = () => undefined;
  const pods = new InformerNodePods(new Promise((resolve) => (reach = resolve)));
  const seen: PodChange[] = [];
  pods.subscribe((c) => seen.push(c));
  expect([pods.synced(), pods.list(), pods.get('ns1', 'a')]).toEqual([false, [], undefined]);

  const informer = podInformer(api);
  reach(informer);
  api.answerList(listBody([kubeObject('ns1', 'a', '5')], '10'));
  informer.start();
  const stream = await api.watchNumber(1);
  expect(pods.synced()).toBe(true);
  expect(pods.get('ns1', 'a')?.uid).toBe('uid-a');
  stream.emit('MODIFIED', kubeObject('ns1', 'a', '11'));
  expect(seen.map((c) => [c.type, c.pod.resourceVersion, c.previous?.resourceVersion])).toEqual([
    ['added', '5', undefined],
    ['modified', '11', '5'],
  ]);
  expect(pods.list().map((p) => p.name)).toEqual(['a']);
  await informer.stop();
});

test('unsubscribed listeners hear nothing; without a pod informer (no node name) nothing is synced', async () => {
  const api = new ScriptedListWatch();
  const informer = podInformer(api);
  const pods = new InformerNodePods(Promise.resolve(informer));
  await Promise.resolve();
  const seen: string[] = [];
  const stop = pods.subscribe((c) => seen.push(c.pod.name));
  api.answerList(listBody([kubeObject('ns1', 'a', '5')], '10'));
  informer.start();
  const stream = await api.watchNumber(1);
  stop();
  stream.emit('ADDED', kubeObject('ns1', 'b', '12'));
  expect(seen).toEqual(['a']);
  await informer.stop();

  const none = new InformerNodePods(Promise.resolve(undefined));
  none.subscribe(() => seen.push('never'));
  await Promise.resolve();
  expect([none.synced(), none.list()]).toEqual([false, []]);
});
