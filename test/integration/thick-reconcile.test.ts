/**
 * The daemon's reconcile of its records with its node's pods (issue 13), with real parts: a
 * `multus daemon` in Kubernetes mode whose pod informer lists and watches the test API server,
 * a real ADD through the compiled multus-shim of a pod with a bridge delegate and host-local IPAM
 * in a real netns, then the pod deleted from the API without a DEL. With its netns gone too, the
 * record is deleted as its DEL would have (the lease released, the record file removed) and the
 * metrics, the log and GET /v1/records say so; with its netns still there, or in a dry run,
 * everything is left. Grace 1 s and a pass every second; every wait polls, up to 60 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordsListing } from '../../src/daemon/reconcile-loop';
import { exchange } from '../support/daemon-socket';
import { waitForAsync } from './support/fault-run';
import { podCniArgs, useKubeCluster, type PodId } from './support/kube-cluster';
import { freePort, sample, scrape } from './support/metrics';
import { createNetns, ip } from './support/net';
import { expectSuccess, MULTUS_BIN, REFERENCE_PLUGINS, type MultusCall } from './support/run-multus';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';
import { cacheFiles, leaseFiles } from './support/workspace';

const NET = 213; // 10.213.0.0/16 belongs to this file
const NAMESPACE = 'rc-ns';
const NODE = 'rc-node';
const WAIT_MS = 60_000;

/** One test's daemon: its cache and IPAM dirs, its metrics port. */
interface Node {
  readonly daemon: ThickDaemon;
  readonly port: number;
  readonly cniDir: string;
  readonly ipamDir: string;
}

/** One pod of a test: its netns name, its identity in the API server, the runtime's ADD. */
interface Pod {
  readonly ns: string;
  readonly pod: PodId;
  readonly call: MultusCall;
}

describe('thick mode: the daemon reconciles its records with its node’s pods', () => {
  const fx = useKubeCluster('rc');
  const { ws, cleanup, cluster } = fx;

  beforeAll(() => assertThickPrerequisites());

  /** The daemon's listing (GET /v1/records on its socket). */
  async function listing(node: Node): Promise<RecordsListing> {
    const answer = await exchange(node.daemon.socketPath, 'GET', '/v1/records');
    if (answer.status !== 200) throw new Error(`GET /v1/records: HTTP ${answer.status}`);
    return answer.body as unknown as RecordsListing;
  }

  /** A daemon of its own for test `n` (bridge delegate, subnet 10.213.n.0/24), once its pod cache is synced. */
  async function startNode(n: number, extra: Record<string, unknown> = {}): Promise<Node> {
    const dir = join(ws.dir, `node-${n}`);
    const cniDir = join(dir, 'cache');
    const ipamDir = join(dir, 'ipam');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const bridge = `${ws.prefix}b${n}`;
    cleanup.link(bridge);
    const delegate = {
      type: 'bridge',
      name: `rc-net-${n}`,
      bridge,
      ipam: { type: 'host-local', subnet: `10.${NET}.${n}.0/24`, dataDir: ipamDir },
    };
    const config = {
      cniDir,
      kubeconfig: cluster.kubeconfig,
      nodeName: NODE,
      binDir: REFERENCE_PLUGINS,
      logLevel: 'debug',
      delegates: [delegate],
      metricsPort: port,
      reconcileIntervalSeconds: 1,
      reconcileGraceSeconds: 1,
      ...extra,
    };
    const daemon = await ThickDaemon.start(dir, cleanup, { config });
    const node = { daemon, port, cniDir, ipamDir };
    await waitForAsync('the pod cache to sync', WAIT_MS, async () => ((await listing(node)).synced ? true : undefined));
    return node;
  }

  /** A netns and a pod of the node in the API server, and the runtime's ADD of it through the shim. */
  function setUpPod(n: number, node: Node): Pod {
    const ns = `${ws.prefix}-${n}`;
    const netns = createNetns(ns, cleanup);
    const pod = { namespace: NAMESPACE, name: `pod-${n}`, uid: `uid-${n}-${process.pid}` };
    cluster.server.addPod({ ...pod, nodeName: NODE });
    cleanup.add(`pod ${pod.name}`, () => void cluster.server.removePod(pod.namespace, pod.name));
    const containerId = `${ws.prefix}-ctr-${n}`;
    const config = shimConfig({ cniVersion: '1.0.0', name: 'rc-net' }, node.daemon);
    const cniArgs = podCniArgs(pod, containerId);
    return { ns, pod, call: { command: 'ADD', config, containerId, netns, cniArgs, cniPath: REFERENCE_PLUGINS } };
  }

  /** The metric's value now (undefined: no such series yet). */
  async function metric(node: Node, name: string, labels: Record<string, string>): Promise<number | undefined> {
    return sample(await scrape(node.port), name, labels);
  }

  /** Waits until a pass judged the record `outcome` (the gauge of the last synced pass). */
  async function passSaw(node: Node, outcome: string): Promise<void> {
    await waitForAsync(`a reconcile pass with a record ${outcome}`, WAIT_MS, async () =>
      (await metric(node, 'multus_reconcile_records', { outcome })) === 1 ? true : undefined,
    );
  }

  /** Waits for two more finished passes (each sees the state as it is now). */
  async function twoMorePasses(node: Node): Promise<void> {
    const passes = async (): Promise<number> =>
      (await metric(node, 'multus_reconcile_passes_total', { result: 'done' })) ?? 0;
    const now = await passes();
    await waitForAsync('two more reconcile passes', WAIT_MS, async () =>
      (await passes()) >= now + 2 ? true : undefined,
    );
  }

  const recordFiles = (node: Node): string[] => cacheFiles(node.cniDir).filter((f) => f.endsWith('.json'));

  it(
    'a pod deleted from the API whose netns is gone: its record is deleted as its DEL would (the lease released), ' +
      'and the metrics, the log and the listing say so',
    async () => {
      const node = await startNode(1);
      const { ns, pod, call } = setUpPod(1, node);
      expectSuccess(await runShim(call));
      expect(leaseFiles(node.ipamDir)).toEqual([
        expect.stringMatching(new RegExp(`^rc-net-1/10\\.${NET}\\.1\\.`, 'u')),
      ]);
      expect(recordFiles(node)).toEqual([`${call.containerId}-eth0.json`]);
      await waitForAsync('the record listed with its pod present', WAIT_MS, async () =>
        (await listing(node)).records[0]?.outcome === 'pod_present' ? true : undefined,
      );
      const table = execFileSync(MULTUS_BIN, ['explain', '--records', '--socket', node.daemon.socketPath], {
        encoding: 'utf8',
      });
      expect(table).toContain(`${NAMESPACE}/${pod.name}`);
      expect(table).toContain('pod_present: pod rc-ns/pod-1 is on the node');

      cluster.server.removePod(pod.namespace, pod.name);
      ip(['netns', 'del', ns]);
      await waitForAsync('the record to be deleted', WAIT_MS, () =>
        Promise.resolve(recordFiles(node).length === 0 ? true : undefined),
      );
      expect(leaseFiles(node.ipamDir)).toEqual([]);
      expect(await metric(node, 'multus_reconcile_deletes_total', { result: 'deleted' })).toBe(1);
      expect(await metric(node, 'multus_delegate_execs_total', { type: 'bridge', command: 'DEL', code: '0' })).toBe(1);
      expect((await listing(node)).records).toEqual([]);
      const logged = node.daemon.logLines().find((l) => l['reason'] === 'deleted');
      expect(logged).toMatchObject({ containerId: call.containerId, ifname: 'eth0', pod: `${NAMESPACE}/${pod.name}` });
    },
    120_000,
  );

  it('a pod deleted from the API whose netns still exists: the record, its lease and the link are left', async () => {
    const node = await startNode(2);
    const { ns, pod, call } = setUpPod(2, node);
    expectSuccess(await runShim(call));
    cluster.server.removePod(pod.namespace, pod.name);
    await passSaw(node, 'kept_netns');
    await twoMorePasses(node);
    expect(recordFiles(node)).toEqual([`${call.containerId}-eth0.json`]);
    expect(leaseFiles(node.ipamDir)).toHaveLength(1);
    expect(ip(['-n', ns, 'link', 'show', 'eth0'])).toContain('eth0');
    const [record] = (await listing(node)).records;
    expect(record).toMatchObject({ action: 'keep', outcome: 'kept_netns' });
    expect(await metric(node, 'multus_delegate_execs_total', { type: 'bridge', command: 'DEL', code: '0' })).toBe(
      undefined,
    );
    // The runtime's own DEL still works, and leaves nothing.
    expectSuccess(await runShim({ ...call, command: 'DEL' }));
    expect(leaseFiles(node.ipamDir)).toEqual([]);
    expect(recordFiles(node)).toEqual([]);
  }, 120_000);

  it('dry run: a record reconcile would delete is reported (listing, metrics, log); everything is left', async () => {
    const node = await startNode(3, { reconcileDryRun: true });
    const { ns, pod, call } = setUpPod(3, node);
    expectSuccess(await runShim(call));
    cluster.server.removePod(pod.namespace, pod.name);
    ip(['netns', 'del', ns]);
    await passSaw(node, 'would_delete');
    await twoMorePasses(node);
    expect(recordFiles(node)).toEqual([`${call.containerId}-eth0.json`]);
    expect(leaseFiles(node.ipamDir)).toHaveLength(1);
    const shown = await listing(node);
    expect(shown).toMatchObject({ dryRun: true, records: [{ action: 'delete', outcome: 'pod_gone' }] });
    expect(await metric(node, 'multus_reconcile_deletes_total', { result: 'deleted' })).toBe(undefined);
    expect(node.daemon.logLines().find((l) => l['reason'] === 'would_delete')).toMatchObject({
      containerId: call.containerId,
      pod: `${NAMESPACE}/${pod.name}`,
    });
    // The runtime's DEL, late (its netns is gone), releases the lease.
    expectSuccess(await runShim({ ...call, command: 'DEL' }));
    expect(leaseFiles(node.ipamDir)).toEqual([]);
  }, 120_000);
});
