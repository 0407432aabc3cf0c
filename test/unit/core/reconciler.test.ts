import { CniError } from '../../../src/core/errors';
import type { ExecRequest } from '../../../src/core/ports/executor';
import type { CacheEntry } from '../../../src/core/ports/result-cache';
import { reconcileConfig, type ReconcileSettings } from '../../../src/core/reconcile';
import type { Reconciler } from '../../../src/core/reconciler';
import { TOKENS } from '../../../src/core/tokens';
import { defaultScript, FakeExecutor, FakeNodePods, FixedClock } from '../../support/fakes';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

const config = {
  name: 'multus',
  type: 'multus',
  cniVersion: '1.0.0',
  cniDir: '/cache',
  delegates: [
    { type: 'bridge', name: 'br', ipam: { type: 'host-local', subnet: '10.10.0.0/24' } },
    { type: 'vendor', name: 'v' },
  ],
};
const GRACE_MS = 600_000;

interface Pod {
  readonly name: string;
  readonly uid: string;
}

interface Setup extends TestContainer {
  readonly pods: FakeNodePods;
  readonly clock: FixedClock;
  readonly reconciler: Reconciler;
  settings(over?: Partial<ReconcileSettings>): ReconcileSettings;
  /** ADD of a pod's sandbox `id` (netns /var/run/netns/<id>, which exists until `netnsGone`). */
  add(id: string, pod: Pod | undefined): Promise<void>;
  netnsGone(id: string): void;
  /** A pass; its records as `containerId outcome`. */
  pass(over?: Partial<ReconcileSettings>): Promise<string[]>;
}

function setup(executor = new FakeExecutor()): Setup {
  const pods = new FakeNodePods();
  const clock = new FixedClock();
  const t = testContainer(executor, undefined, { replace: { NodePods: pods, Clock: clock } });
  const reconciler = t.container.get<Reconciler>(TOKENS.Reconciler);
  const settings = (over: Partial<ReconcileSettings> = {}): ReconcileSettings => ({
    config: reconcileConfig({ cniDir: '/cache' }),
    graceMs: GRACE_MS,
    dryRun: false,
    ...over,
  });
  return {
    ...t,
    pods,
    clock,
    reconciler,
    settings,
    async add(id, pod) {
      const netns = `/var/run/netns/${id}`;
      t.probe.files.add(netns);
      const podArgs = pod === undefined ? '' : `;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=${pod.name};K8S_POD_UID=${pod.uid}`;
      const add = await runPlugin(t.container, {
        command: 'ADD',
        config,
        containerId: id,
        netns,
        args: `IgnoreUnknown=1${podArgs}`,
      });
      expect(add.code).toBe(0);
      if (pod !== undefined)
        pods.pods.push({ namespace: 'ns1', name: pod.name, uid: pod.uid, resourceVersion: '1', annotations: {} });
    },
    netnsGone(id) {
      t.probe.files.delete(`/var/run/netns/${id}`);
    },
    async pass(over = {}) {
      const report = await reconciler.pass(settings(over), t.logger);
      return report.records.map((r) => `${r.containerId} ${r.outcome}`);
    },
  };
}

const record = (s: Setup, id: string): CacheEntry | undefined => s.cache.entries.get(`/cache/${id}-eth0`);

/** Removes a pod from the node's pods (it was deleted from the API). */
function podGone(s: Setup, name: string): void {
  s.pods.pods = s.pods.pods.filter((p) => p.name !== name);
}

/** A record of pod web-0 (sandbox c1) whose pod is gone from the API, and its netns too unless kept; no calls yet. */
async function goneRecord(s: Setup, options: { readonly keepNetns?: boolean } = {}): Promise<CacheEntry> {
  await s.add('c1', { name: 'web-0', uid: 'u1' });
  s.executor.calls.length = 0;
  podGone(s, 'web-0');
  if (options.keepNetns !== true) s.netnsGone('c1');
  return record(s, 'c1') as CacheEntry;
}

describe('Reconciler', () => {
  test('a record whose pod is on the node is kept', async () => {
    const s = setup();
    await s.add('c1', { name: 'web-0', uid: 'u1' });
    s.executor.calls.length = 0;
    s.netnsGone('c1');
    await s.clock.sleep(GRACE_MS * 2);
    expect(await s.pass()).toEqual(['c1 pod_present']);
    expect(s.executor.calls).toEqual([]);
    expect(record(s, 'c1')).toBeDefined();
  });

  test('pod gone less than the grace: waiting; past it, netns gone: deleted as its DEL would', async () => {
    const s = setup();
    const added = await goneRecord(s);
    expect(await s.pass()).toEqual(['c1 waiting_grace']);
    await s.clock.sleep(GRACE_MS - 1000);
    expect(await s.pass()).toEqual(['c1 waiting_grace']);
    expect(s.executor.calls).toEqual([]);
    await s.clock.sleep(1000);
    s.lock.events.length = 0;
    expect(await s.pass()).toEqual(['c1 deleted']);
    // Each attachment's DEL, in reverse, with its recorded result and the record's container, netns and pod.
    expect(s.executor.sequence()).toEqual(['DEL vendor net0', 'DEL bridge eth0']);
    expect(s.executor.calls.map((c) => [c.command, c.type, c.stdin['prevResult']])).toEqual([
      ['DEL', 'vendor', added.attachments[1]?.result],
      ['DEL', 'bridge', added.attachments[0]?.result],
    ]);
    for (const call of s.executor.calls) {
      expect(call.env).toMatchObject({
        CNI_CONTAINERID: 'c1',
        CNI_NETNS: '/var/run/netns/c1',
        CNI_PATH: '/opt/cni/bin',
        CNI_ARGS: expect.stringContaining('K8S_POD_NAME=web-0'),
      });
    }
    expect(s.lock.events).toEqual(['acquire c1-eth0', 'release c1-eth0']);
    expect(record(s, 'c1')).toBeUndefined();
  });

  test('a pod gone past the grace whose netns still exists is kept, and deleted once it is gone', async () => {
    const s = setup();
    await goneRecord(s, { keepNetns: true });
    expect(await s.pass({ graceMs: 0 })).toEqual(['c1 kept_netns']);
    expect(s.executor.calls).toEqual([]);
    expect(record(s, 'c1')).toBeDefined();
    s.netnsGone('c1');
    expect(await s.pass({ graceMs: 0 })).toEqual(['c1 deleted']);
  });

  test('a pod of the same name with another UID is another pod: the record’s pod is gone', async () => {
    const s = setup();
    await s.add('c1', { name: 'web-0', uid: 'u1' });
    await s.add('c2', { name: 'web-0', uid: 'u2' }); // recreated: same name, new UID
    podGone(s, 'web-0');
    s.pods.pods.push({ namespace: 'ns1', name: 'web-0', uid: 'u2', resourceVersion: '2', annotations: {} });
    s.netnsGone('c1');
    expect(await s.pass({ graceMs: 0 })).toEqual(['c1 deleted', 'c2 pod_present']);
    expect(record(s, 'c2')).toBeDefined();
  });

  test('nothing at all happens while the pod cache is not synced', async () => {
    const s = setup();
    await goneRecord(s);
    s.pods.isSynced = false;
    const report = await s.reconciler.pass(s.settings({ graceMs: 0 }), s.logger);
    expect(report).toMatchObject({ synced: false, records: [] });
    expect(s.executor.calls).toEqual([]);
    expect(record(s, 'c1')).toBeDefined();
    // The grace starts with the first synced pass that sees the pod gone.
    s.pods.isSynced = true;
    expect(await s.pass()).toEqual(['c1 waiting_grace']);
  });

  test('a record that names no pod is never touched', async () => {
    const s = setup();
    await s.add('c1', undefined);
    s.executor.calls.length = 0;
    s.netnsGone('c1');
    expect(await s.pass({ graceMs: 0 })).toEqual(['c1 no_pod']);
    expect(s.executor.calls).toEqual([]);
  });

  test('dry run: reported, nothing changed', async () => {
    const s = setup();
    const before = await goneRecord(s);
    expect(await s.pass({ graceMs: 0, dryRun: true })).toEqual(['c1 would_delete']);
    expect(s.executor.calls).toEqual([]);
    expect(s.lock.events.filter((e) => e.includes('c1')).length).toBe(2); // the ADD's own acquire and release
    expect(record(s, 'c1')).toEqual(before);
    const warned = s.logger.lines.find((l) => l.msg?.includes('would delete'));
    expect(warned).toMatchObject({
      level: 'warn',
      obj: { containerId: 'c1', ifname: 'eth0', pod: 'ns1/web-0', reason: 'would_delete' },
    });
  });

  test('a failing DEL keeps the record with its new states, reported failed; the next pass retries', async () => {
    let fail = true;
    const script = (req: ExecRequest): unknown => {
      if (req.command === 'DEL' && req.type === 'bridge' && fail) throw new CniError(11, 'busy');
      return defaultScript(req);
    };
    const s = setup(new FakeExecutor(script));
    await goneRecord(s);
    const report = await s.reconciler.pass(s.settings({ graceMs: 0 }), s.logger);
    expect(report.records[0]).toMatchObject({ outcome: 'failed', error: { code: 11 } });
    expect(record(s, 'c1')?.attachments.map((a) => a.state)).toEqual(['added', 'deleted']);
    expect(s.logger.lines.find((l) => l.obj && (l.obj as { reason?: string }).reason === 'failed')).toMatchObject({
      level: 'warn',
      obj: { containerId: 'c1', code: 11 },
    });
    fail = false;
    s.executor.calls.length = 0;
    expect(await s.pass({ graceMs: 0 })).toEqual(['c1 deleted']);
    expect(s.executor.sequence()).toEqual(['DEL bridge eth0']);
    expect(record(s, 'c1')).toBeUndefined();
  });

  test('review says what a pass would do, and starts no grace period', async () => {
    const s = setup();
    await s.add('c1', { name: 'web-0', uid: 'u1' });
    await s.add('c2', { name: 'web-1', uid: 'u2' });
    podGone(s, 'web-0');
    s.netnsGone('c1');
    const listing = await s.reconciler.review(s.settings());
    expect(listing.records.map((r) => [r.containerId, r.action, r.outcome, r.pod?.name])).toEqual([
      ['c1', 'keep', 'waiting_grace', 'web-0'],
      ['c2', 'keep', 'pod_present', 'web-1'],
    ]);
    expect(listing.records[0]?.attachments).toEqual([
      { network: 'br', type: 'bridge', ifname: 'eth0', state: 'added' },
      { network: 'v', type: 'vendor', ifname: 'net0', state: 'added' },
    ]);
    await s.clock.sleep(GRACE_MS);
    expect((await s.reconciler.review(s.settings())).records[0]?.outcome).toBe('waiting_grace');
    expect(await s.pass()).toEqual(['c1 waiting_grace', 'c2 pod_present']);
    await s.clock.sleep(GRACE_MS);
    expect((await s.reconciler.review(s.settings())).records[0]).toMatchObject({
      action: 'delete',
      outcome: 'pod_gone',
      goneSince: '2026-01-02T03:14:05.000Z',
    });
    expect(record(s, 'c1')).toBeDefined();
  });

  test('a pod that comes back before the grace ends starts a new grace when it goes again', async () => {
    const s = setup();
    await s.add('c1', { name: 'web-0', uid: 'u1' });
    s.netnsGone('c1');
    const pod = s.pods.pods[0];
    podGone(s, 'web-0');
    expect(await s.pass()).toEqual(['c1 waiting_grace']);
    s.pods.pods.push(pod as (typeof s.pods.pods)[number]);
    await s.clock.sleep(GRACE_MS);
    expect(await s.pass()).toEqual(['c1 pod_present']);
    podGone(s, 'web-0');
    expect(await s.pass()).toEqual(['c1 waiting_grace']);
  });
});
