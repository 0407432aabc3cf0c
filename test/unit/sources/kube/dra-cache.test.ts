import type { PodInfo } from '../../../../src/core/ports/kube-client';
import { DraCache } from '../../../../src/sources/kube/dra-cache';
import type { InformerChange } from '../../../../src/sources/kube/informer-cache';
import { FakeKubeClient } from '../../../support/fake-kube';

/** The pod informer's changes, told by the test. */
class PodChanges {
  private listener: ((change: InformerChange<PodInfo>) => void) | undefined;
  subscribe(listener: (change: InformerChange<PodInfo>) => void): () => void {
    this.listener = listener;
    return () => undefined;
  }
  delete(uid: string): void {
    const pod: PodInfo = { namespace: 'ns1', name: 'p', uid, resourceVersion: '2', annotations: {} };
    this.listener?.({ type: 'deleted', key: 'ns1/p', value: pod });
  }
}

const allocated = [{ request: 'r', driver: 'd', pool: 'p', device: 'vf-1' }];
const claimReads = (api: FakeKubeClient): number => api.calls.filter((c) => c.startsWith('getResourceClaim')).length;

test("concurrent reads of a pod's claim share one GET; the pod's deletion forgets only its claims", async () => {
  const api = new FakeKubeClient().addResourceClaim('ns1', 'c1', allocated);
  const pods = new PodChanges();
  const cache = new DraCache(() => Promise.resolve(api), pods);
  await Promise.all([cache.getResourceClaim('ns1', 'c1', 'u1'), cache.getResourceClaim('ns1', 'c1', 'u1')]);
  await cache.getResourceClaim('ns1', 'c1', 'u2');
  expect(claimReads(api)).toBe(2);
  expect(cache.claimPods).toBe(2);
  pods.delete('u1');
  expect(cache.claimPods).toBe(1);
  await cache.getResourceClaim('ns1', 'c1', 'u2');
  await cache.getResourceClaim('ns1', 'c1', 'u1');
  expect(claimReads(api)).toBe(3);
});

test('a pod without UID, or no pod informer: every read goes to the API', async () => {
  const api = new FakeKubeClient().addResourceClaim('ns1', 'c1', allocated);
  const withInformer = new DraCache(() => Promise.resolve(api), new PodChanges());
  await withInformer.getResourceClaim('ns1', 'c1', '');
  await withInformer.getResourceClaim('ns1', 'c1', '');
  const without = new DraCache(() => Promise.resolve(api), undefined);
  await without.getResourceClaim('ns1', 'c1', 'u1');
  await without.getResourceClaim('ns1', 'c1', 'u1');
  expect(claimReads(api)).toBe(4);
  expect(without.claimPods).toBe(0);
});

test('concurrent slice lists share one; a refresh replaces the kept list', async () => {
  const api = new FakeKubeClient().addResourceSlice('n1', 'd', { name: 's1', pool: 'p', devices: [] });
  const cache = new DraCache(() => Promise.resolve(api), undefined);
  await Promise.all([cache.listResourceSlices('n1', 'd'), cache.listResourceSlices('n1', 'd')]);
  api.addResourceSlice('n1', 'd', { name: 's2', pool: 'p', devices: [] });
  expect(await cache.listResourceSlices('n1', 'd')).toHaveLength(1);
  expect(await cache.listResourceSlices('n1', 'd', true)).toHaveLength(2);
  expect(await cache.listResourceSlices('n1', 'd')).toHaveLength(2);
  expect(api.calls).toEqual(['listResourceSlices n1 d', 'listResourceSlices n1 d']);
});
