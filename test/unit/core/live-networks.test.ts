import { parseMultusConfig } from '../../../src/core/config/multus-config';
import { CniCode, CniError } from '../../../src/core/errors';
import { LiveNetworks, nextFreeName, recordOfPod, requestedInterface } from '../../../src/core/live-networks';
import type { PodInfo } from '../../../src/core/ports/kube-client';
import type { CacheEntry } from '../../../src/core/ports/result-cache';
import { TOKENS } from '../../../src/core/tokens';
import { defaultScript, FakeExecutor } from '../../../src/testing/fakes';
import { FakeConfDir, FakeKubeClient, nadRef } from '../../support/fake-kube';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

/**
 * Live networks over fakes: a pod ADDed through the plugin (the record), then its annotation
 * changed in the fake API and one pass applied. The executor records every delegate call.
 */
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const STATUS = 'k8s.v1.cni.cncf.io/network-status';
const raw = {
  name: 'multus-net',
  type: 'multus',
  cniVersion: '1.0.0',
  kubeconfig: '/etc/kubernetes/node.kubeconfig',
  cniDir: '/var/lib/cni/multus',
  clusterNetwork: 'cluster',
};
const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_UID=uid-pod1';

interface Fixture extends TestContainer {
  readonly kube: FakeKubeClient;
  readonly live: LiveNetworks;
  /** Sets the pod's networks annotation; returns the pod as the cache would give it. */
  annotate(networks: string): PodInfo;
  apply(networks: string): ReturnType<LiveNetworks['apply']>;
  record(): CacheEntry;
  status(): string[];
}

function nad(kube: FakeKubeClient, name: string, extra: Record<string, unknown> = {}, namespace = 'ns1'): void {
  const config = { cniVersion: '1.0.0', name, type: 'bridge', bridge: `br-${name}`, ...extra };
  kube.addObject(nadRef(namespace, name), {
    metadata: { name, namespace },
    spec: { config: JSON.stringify(config) },
  });
}

async function running(networks: string, executor = new FakeExecutor()): Promise<Fixture> {
  const kube = new FakeKubeClient();
  nad(kube, 'cluster', {}, 'kube-system');
  for (const name of ['a', 'b', 'c']) nad(kube, name);
  nad(kube, 'gw', { ipam: { type: 'host-local', subnet: '10.1.0.0/24' } });
  const t = testContainer(executor, undefined, {
    replace: { KubeClientProvider: kube, ConfDirReader: new FakeConfDir() },
  });
  const annotate = (value: string): PodInfo => {
    kube.addPod('ns1', 'pod1', { ...(kube.pods.get('ns1/pod1')?.annotations ?? {}), [NETWORKS]: value });
    return kube.pods.get('ns1/pod1') as PodInfo;
  };
  annotate(networks);
  const added = await runPlugin(t.container, { command: 'ADD', config: raw, args });
  expect(added.code).toBe(0);
  const live = t.container.get<LiveNetworks>(TOKENS.LiveNetworks);
  const config = parseMultusConfig(raw);
  const record = (): CacheEntry => [...t.cache.entries.values()][0] as CacheEntry;
  return {
    ...t,
    kube,
    live,
    annotate,
    apply: (value) => live.apply(annotate(value), config, t.logger),
    record,
    status: () =>
      (
        JSON.parse(kube.pods.get('ns1/pod1')?.annotations[STATUS] ?? '[]') as Array<{ interface: string; name: string }>
      ).map((s) => `${s.interface} ${s.name}`),
  };
}

const events = (kube: FakeKubeClient): string[] => kube.events.map((e) => e.replace(/ ns1\/pod1:/u, ':'));

test('new entries are attached under free names, each recorded; network-status and events follow', async () => {
  const f = await running('a');
  f.executor.calls.length = 0;
  const outcome = await f.apply('a,b,c@data');
  expect(outcome).toEqual({ state: 'applied', attached: ['net1', 'data'], detached: [], failed: [] });
  expect(f.executor.sequence()).toEqual(['ADD bridge net1', 'ADD bridge data']);
  expect(f.record().attachments.map((a) => [a.ifname, a.state, a.selection, a.hotplug])).toEqual([
    ['eth0', 'added', undefined, undefined],
    ['net0', 'added', 'ns1/a@#0', undefined],
    ['net1', 'added', 'ns1/b@#0', true],
    ['data', 'added', 'ns1/c@data#0', true],
  ]);
  expect(f.status()).toEqual(['eth0 kube-system/cluster', 'net0 ns1/a', 'net1 ns1/b', 'data ns1/c']);
  expect(events(f.kube)).toEqual([
    expect.stringMatching(/^Normal AddedInterface: Add net1 \[10\.99\.\d+\.\d+\/24\] from ns1\/b$/u),
    expect.stringMatching(/^Normal AddedInterface: Add data \[10\.99\.\d+\.\d+\/24\] from ns1\/c$/u),
  ]);
});

test('entries no longer annotated are detached in reverse with their recorded results, the rest stay', async () => {
  const f = await running('a,b,c');
  f.executor.calls.length = 0;
  expect(await f.apply('b')).toEqual({ state: 'applied', attached: [], detached: ['net2', 'net0'], failed: [] });
  expect(f.executor.sequence()).toEqual(['DEL bridge net2', 'DEL bridge net0']);
  expect(f.executor.calls[0]?.stdin['prevResult']).toBeDefined();
  expect(f.record().attachments.map((a) => a.ifname)).toEqual(['eth0', 'net1']);
  expect(f.status()).toEqual(['eth0 kube-system/cluster', 'net1 ns1/b']);
  expect(events(f.kube)).toEqual([
    'Normal RemovedInterface: Remove net2 from ns1/c',
    'Normal RemovedInterface: Remove net0 from ns1/a',
  ]);
  // The same annotation again: nothing to do, nothing run, nothing written.
  f.executor.calls.length = 0;
  expect(await f.apply('b')).toEqual({ state: 'applied', attached: [], detached: [], failed: [] });
  expect(f.executor.calls).toEqual([]);
});

test('a failing attach is rolled back (its DEL), the record and status kept, AttachFailed with its error', async () => {
  const executor = new FakeExecutor((req) => {
    if (req.command === 'ADD' && req.stdin['name'] === 'c') throw new CniError(CniCode.TryAgainLater, 'no leases left');
    return defaultScript(req);
  });
  const f = await running('a', executor);
  executor.calls.length = 0;
  const before = f.status();
  // The failed attach's name is free again once it is rolled back: the next entry takes it.
  expect(await f.apply('a,c,b')).toEqual({ state: 'applied', attached: ['net1'], detached: [], failed: ['net1'] });
  expect(executor.sequence()).toEqual(['ADD bridge net1', 'DEL bridge net1', 'ADD bridge net1']);
  expect(f.record().attachments.map((a) => [a.ifname, a.selection])).toEqual([
    ['eth0', undefined],
    ['net0', 'ns1/a@#0'],
    ['net1', 'ns1/b@#0'],
  ]);
  expect(f.status()).toEqual([...before, 'net1 ns1/b']);
  expect(events(f.kube)[0]).toMatch(
    new RegExp(
      '^Warning AttachFailed: network "c" \\(.*type "bridge", interface net1\\): ADD failed: no leases left; ' +
        'the pod keeps what it had$',
      'u',
    ),
  );
});

test('refused and told: an interface the pod has, a default-route, another default network', async () => {
  const f = await running('a');
  f.executor.calls.length = 0;
  const json = JSON.stringify([
    { name: 'a' },
    { name: 'b', interface: 'net0' },
    { name: 'gw', 'default-route': ['10.1.0.1'] },
  ]);
  expect(await f.apply(json)).toEqual({ state: 'applied', attached: [], detached: [], failed: ['net0', 'net1'] });
  expect(f.executor.calls.filter((c) => c.command === 'ADD')).toEqual([]);
  expect(events(f.kube)).toEqual([
    expect.stringMatching(/^Warning AttachFailed: ns1\/b \(.*\): interface net0 is already in the pod$/u),
    expect.stringMatching(/^Warning AttachFailed: ns1\/gw \(.*\): default-route needs the runtime/u),
  ]);
  f.kube.events.length = 0;
  f.kube.addPod('ns1', 'pod1', {
    ...f.kube.pods.get('ns1/pod1')?.annotations,
    'v1.multus-cni.io/default-network': 'ns1/c',
  });
  await f.apply('a');
  expect(events(f.kube)).toEqual([
    expect.stringMatching(
      /^Warning NetworkChangeRefused: the pod's default network is now ns1\/c, but it runs on kube-system\/cluster/u,
    ),
  ]);
});

test('an annotation that cannot be planned changes nothing: one AttachFailed with the planner errors', async () => {
  const f = await running('a');
  f.executor.calls.length = 0;
  expect(await f.apply('a,missing')).toEqual({
    state: 'applied',
    attached: [],
    detached: [],
    failed: ['(annotation)'],
  });
  expect(f.executor.calls).toEqual([]);
  expect(events(f.kube)).toEqual([
    expect.stringMatching(/^Warning AttachFailed: the networks annotation cannot be applied: .*missing/u),
  ]);
});

test('a pending attach left by a stopped daemon is deleted and dropped before the annotation is applied', async () => {
  const f = await running('a');
  const entry = f.record();
  const master = entry.attachments[0] as CacheEntry['attachments'][number];
  const stale = {
    ...master,
    index: 9,
    ifname: 'net7',
    master: false,
    state: 'pending' as const,
    hotplug: true,
    result: undefined,
  };
  const key = { dir: raw.cniDir, containerId: entry.containerId, ifname: entry.ifname };
  await f.cache.save(key, { ...entry, attachments: [...entry.attachments, stale] });
  f.executor.calls.length = 0;
  expect(await f.apply('a')).toEqual({ state: 'applied', attached: [], detached: [], failed: [] });
  expect(f.executor.sequence()).toEqual(['DEL bridge net7']);
  expect(f.record().attachments.map((a) => a.ifname)).toEqual(['eth0', 'net0']);
});

test('a pod without a record here (not ADDed on this node, or another UID) is left alone', async () => {
  const f = await running('a');
  const other = { ...(f.kube.pods.get('ns1/pod1') as PodInfo), uid: 'uid-replaced' };
  expect(await f.live.apply(other, parseMultusConfig(raw), f.logger)).toEqual({
    state: 'no-record',
    attached: [],
    detached: [],
    failed: [],
  });
});

test('helpers: the requested interface of a key, the next free name, the newest record of a pod', () => {
  expect([requestedInterface('ns/a@data#0'), requestedInterface('ns/a@#1')]).toEqual(['data', undefined]);
  expect(nextFreeName(new Set(['eth0', 'net0', 'net2']), 0)).toBe('net1');
  expect(nextFreeName(new Set(['net1']), 1)).toBe('net2');
  const entry = (id: string, createdAt: string, cniArgs: string): CacheEntry =>
    ({ containerId: id, createdAt, cniArgs, attachments: [] }) as unknown as CacheEntry;
  const pod = { namespace: 'ns1', name: 'p', uid: 'u1', resourceVersion: '1', annotations: {} };
  const entries = [
    entry('old', '2026-01-01T00:00:00Z', 'K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p'),
    entry('new', '2026-02-01T00:00:00Z', 'K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p;K8S_POD_UID=u1'),
    entry('other-uid', '2026-03-01T00:00:00Z', 'K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p;K8S_POD_UID=u2'),
  ];
  expect(recordOfPod(entries, pod)?.containerId).toBe('new');
});
