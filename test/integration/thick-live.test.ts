/**
 * Live networks (issue 13), with real parts: the compiled multus-shim and `multus daemon` with
 * `dynamicNetworks: true`, the test API server (list + watch, and events), real network
 * namespaces and Debian's bridge, ptp, tuning and host-local. A running pod's networks
 * annotation is edited in the API server, and the daemon, watching its node's pods, attaches and
 * detaches: interfaces, addresses, leases, the record, events and network-status follow.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './support/fault-run';
import { addNad, networkStatus, NETWORKS_ANNOTATION } from './support/kube-cluster';
import { forgetStateAfterTest, podCniArgs, useKubeCluster } from './support/kube-cluster';
import { createNetns, ipv4Of, netnsLinkNames } from './support/net';
import { expectSuccess } from './support/run-multus';
import { SeedPod } from './support/seed-pod';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';
import { cacheFile, leaseFiles } from './support/workspace';

const NET = 214; // 10.214.0.0/16 belongs to this file
const NAMESPACE = 'lv-ns';
const NODE = 'lv-node';
const EVENTS = { group: '', version: 'v1', plural: 'events' };

interface RunningPod {
  readonly ns: string;
  readonly name: string;
  readonly ctr: string;
  /** The runtime's DEL of the sandbox, through the shim. */
  readonly del: () => Promise<void>;
}

describe('live networks: a running pod follows its networks annotation (shim + daemon, test API server)', () => {
  const fx = useKubeCluster('lv');
  const { ws, cleanup, perFile, cluster } = fx;
  let daemon: ThickDaemon;
  let seed: SeedPod;

  beforeAll(async () => {
    assertThickPrerequisites();
    const { server } = cluster;
    seed = new SeedPod(ws, 'l', NET, 1, perFile);
    const [master, ptp, ranged] = seed.config('1.0.0')['delegates'] as Array<Record<string, unknown>>;
    const nad = (name: string, conf: Record<string, unknown> | undefined): void => {
      const { masterplugin: _m, ...rest } = conf ?? {};
      addNad(server, NAMESPACE, name, { ...rest, cniVersion: '1.0.0', name });
    };
    nad('lv-master', master);
    nad('lv-ptp', ptp);
    nad('lv-ranged', ranged);
    // A chain whose second plugin fails after the first made an interface and took a lease.
    addNad(server, NAMESPACE, 'lv-broken', {
      cniVersion: '1.0.0',
      name: 'lv-broken',
      plugins: [
        { type: 'ptp', ipam: { type: 'host-local', subnet: `10.${NET}.9.0/24`, dataDir: ws.ipamDir } },
        { type: 'tuning', sysctl: { 'net.ipv4.conf.IFNAME.no_such_key': '1' } },
      ],
    });
    const kubeconfig = server.writeKubeconfig(join(ws.dir, 'kubeconfig'));
    daemon = await ThickDaemon.start(ws.dir, perFile, {
      config: { cniDir: ws.cniDir, kubeconfig, nodeName: NODE, logLevel: 'debug', dynamicNetworks: true },
    });
    await waitFor('the pod informer watch', 60_000, () =>
      server.requests.find((r) => r.path === '/api/v1/pods' && r.query.includes('watch=true') && r.status === 200),
    );
  }, 120_000);

  /** A running pod: in the API with `networks`, ADDed through the shim into a fresh netns. */
  async function runningPod(suffix: string, networks: string): Promise<RunningPod> {
    const ns = `${ws.prefix}-${suffix}`;
    forgetStateAfterTest(ws, cleanup);
    const netns = createNetns(ns, cleanup);
    const pod = { namespace: NAMESPACE, name: `pod-${suffix}`, uid: `uid-${suffix}-${process.pid}` };
    cluster.server.addPod({ ...pod, nodeName: NODE, annotations: { [NETWORKS_ANNOTATION]: networks } });
    const ctr = `${ws.prefix}-ctr-${suffix}`;
    const call = {
      command: 'ADD' as const,
      config: shimConfig({ cniVersion: '1.0.0', name: 'lv-net' }, daemon),
      containerId: ctr,
      netns,
      cniArgs: podCniArgs(pod, ctr),
    };
    expectSuccess(await runShim(call));
    const del = async (): Promise<void> => expectSuccess(await runShim({ ...call, command: 'DEL' }));
    return { ns, name: pod.name, ctr, del };
  }

  const annotate = (name: string, networks: string): void => {
    cluster.server.updatePod(NAMESPACE, name, (p) => {
      p.metadata.annotations = { ...p.metadata.annotations, [NETWORKS_ANNOTATION]: networks };
    });
  };
  const reasons = (name: string): string[] =>
    cluster.server
      .objects(EVENTS, NAMESPACE)
      .filter((e) => (e['involvedObject'] as { name?: string }).name === name)
      .map((e) => `${String(e['reason'])}: ${String(e['message'])}`);
  const recorded = (ctr: string): string[] =>
    (
      JSON.parse(readFileSync(cacheFile(ws.cniDir, ctr), 'utf8')) as { attachments: Array<{ ifname: string }> }
    ).attachments.map((a) => a.ifname);
  const statusOf = (name: string): string[] =>
    (networkStatus(cluster.server, NAMESPACE, name) ?? []).map((s) => `${s.interface} ${s.name}`);

  it('1 → 3 → 1 networks: interfaces, addresses, leases, record, events and network-status follow', async () => {
    const { ns, name, ctr } = await runningPod('a', 'lv-master');
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']);

    annotate(name, 'lv-master,lv-ptp,lv-ranged');
    await waitFor(
      'net0 and net1 in the pod',
      60_000,
      () => (netnsLinkNames(ns).length === 4 && statusOf(name).length === 3) || undefined,
    );
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
    expect(ipv4Of(ns, 'net0')[0]).toMatch(new RegExp(`^10\\.${NET}\\.2\\.`, 'u'));
    expect(ipv4Of(ns, 'net1')[0]).toMatch(new RegExp(`^10\\.${NET}\\.3\\.`, 'u'));
    expect(leaseFiles(ws.ipamDir)).toHaveLength(3);
    expect(recorded(ctr)).toEqual(['eth0', 'net0', 'net1']);
    expect(statusOf(name)).toEqual([
      `eth0 ${NAMESPACE}/lv-master`,
      `net0 ${NAMESPACE}/lv-ptp`,
      `net1 ${NAMESPACE}/lv-ranged`,
    ]);
    expect(reasons(name)).toEqual([
      expect.stringMatching(/^AddedInterface: Add net0 \[10\.214\.2\.\d+\/24\] from lv-ns\/lv-ptp$/u),
      expect.stringMatching(/^AddedInterface: Add net1 \[10\.214\.3\.\d+\/24\] from lv-ns\/lv-ranged$/u),
    ]);

    annotate(name, 'lv-master');
    await waitFor(
      'net0 and net1 gone',
      60_000,
      () => (netnsLinkNames(ns).length === 2 && statusOf(name).length === 1) || undefined,
    );
    expect(leaseFiles(ws.ipamDir)).toHaveLength(1);
    expect(recorded(ctr)).toEqual(['eth0']);
    expect(statusOf(name)).toEqual([`eth0 ${NAMESPACE}/lv-master`]);
    expect(reasons(name).slice(2)).toEqual([
      `RemovedInterface: Remove net1 from ${NAMESPACE}/lv-ranged`,
      `RemovedInterface: Remove net0 from ${NAMESPACE}/lv-ptp`,
    ]);
  }, 180_000);

  it('a delegate failing mid-chain: rolled back, the pod keeps what it had; AttachFailed says why', async () => {
    const { ns, name, ctr, del } = await runningPod('b', 'lv-master');
    annotate(name, 'lv-master,lv-broken,lv-ptp@data');
    await waitFor('the attach of lv-ptp', 60_000, () => statusOf(name).length === 2 || undefined);
    expect(netnsLinkNames(ns)).toEqual(['data', 'eth0', 'lo']);
    expect(recorded(ctr)).toEqual(['eth0', 'data']);
    expect(leaseFiles(ws.ipamDir).filter((f) => f.includes(`10.${NET}.9.`))).toEqual([]);
    const said = reasons(name);
    expect(said).toContainEqual(
      expect.stringMatching(/^AttachFailed: network "lv-broken" .*tuning.*; the pod keeps what it had$/u),
    );
    expect(said).toContainEqual(expect.stringMatching(/^AddedInterface: Add data \[/u));

    // The sandbox's DEL removes everything, the attached interface included.
    await del();
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(existsSync(cacheFile(ws.cniDir, ctr))).toBe(false);
  }, 180_000);

  it('a burst of 10 edits ends in the state of the last one', async () => {
    const { ns, name, ctr, del } = await runningPod('c', 'lv-master');
    const edits = ['lv-master,lv-ptp', 'lv-master,lv-ranged', 'lv-master,lv-ptp,lv-ranged', 'lv-master'];
    for (let i = 0; i < 9; i += 1) annotate(name, edits[i % edits.length] as string);
    annotate(name, 'lv-master,lv-ranged@last');
    await waitFor('the last edit applied', 60_000, () =>
      statusOf(name).join() === `eth0 ${NAMESPACE}/lv-master,last ${NAMESPACE}/lv-ranged` ? true : undefined,
    );
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'last', 'lo']);
    expect(recorded(ctr)).toEqual(['eth0', 'last']);
    expect(leaseFiles(ws.ipamDir)).toHaveLength(2);
    await del();
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
  }, 180_000);

  it('reports the time from an annotation edit to the interface in the pod (median of 20; not asserted)', async () => {
    const { ns, name, del } = await runningPod('d', 'lv-master');
    const took: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = performance.now();
      annotate(name, 'lv-master,lv-ptp');
      await waitFor('net0 up', 60_000, () => (netnsLinkNames(ns).includes('net0') ? true : undefined));
      took.push(performance.now() - started);
      annotate(name, 'lv-master');
      await waitFor('net0 gone', 60_000, () => (netnsLinkNames(ns).includes('net0') ? undefined : true));
    }
    const sorted = [...took].sort((a, b) => a - b);
    const median = ((sorted[9] as number) + (sorted[10] as number)) / 2;
    const figures = {
      runs: 20,
      medianMs: Math.round(median),
      minMs: Math.round(sorted[0] as number),
      maxMs: Math.round(sorted[19] as number),
    };
    process.stdout.write(`LIVE-LATENCY: ${JSON.stringify(figures)}\n`);
    expect(took).toHaveLength(20);
    await del();
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
  }, 300_000);

  it('dynamicNetworks without a kubeconfig: the daemon exits 1 saying what it needs', async () => {
    const daemonWithout = await ThickDaemon.start(ws.dir, cleanup, {
      config: { cniDir: ws.cniDir, dynamicNetworks: true },
      wait: false,
    });
    expect(await daemonWithout.exited).toEqual({ code: 1, signal: null });
    expect(daemonWithout.stderr()).toContain('dynamicNetworks: true needs the pods of this node: set kubeconfig');
  }, 60_000);

  it('a daemon killed mid-attach: the next daemon rolls the attach back from the record, then converges', async () => {
    // A node of its own, so that the file's daemon leaves this pod to the one killed and the one after it.
    const node = 'lv-node-2';
    const binDir = join(ws.dir, 'slow-bin');
    mkdirSync(binDir, { mode: 0o755, recursive: true });
    // ptp, slowly: the daemon is killed while it runs (it runs on: it is its own process group).
    writeFileSync(join(binDir, 'lv-slow'), '#!/bin/sh\nsleep 2\nexec /usr/lib/cni/ptp\n', { mode: 0o755 });
    addNad(cluster.server, NAMESPACE, 'lv-slow', {
      cniVersion: '1.0.0',
      name: 'lv-slow',
      type: 'lv-slow',
      ipam: { type: 'host-local', subnet: `10.${NET}.8.0/24`, dataDir: ws.ipamDir },
    });
    const kubeconfig = cluster.server.writeKubeconfig(join(ws.dir, 'kubeconfig-2'));
    const config = { cniDir: ws.cniDir, kubeconfig, nodeName: node, binDir, dynamicNetworks: true, logLevel: 'debug' };
    const first = await ThickDaemon.start(ws.dir, cleanup, { config });
    const ns = `${ws.prefix}-e`;
    forgetStateAfterTest(ws, cleanup);
    const netns = createNetns(ns, cleanup);
    const pod = { namespace: NAMESPACE, name: 'pod-e', uid: `uid-e-${process.pid}` };
    cluster.server.addPod({ ...pod, nodeName: node, annotations: { [NETWORKS_ANNOTATION]: 'lv-master' } });
    const ctr = `${ws.prefix}-ctr-e`;
    const call = {
      command: 'ADD' as const,
      config: shimConfig({ cniVersion: '1.0.0', name: 'lv-net' }, first),
      containerId: ctr,
      netns,
      cniArgs: podCniArgs(pod, ctr),
    };
    expectSuccess(await runShim(call));

    annotate(pod.name, 'lv-master,lv-slow');
    const pending = (): boolean => readFileSync(cacheFile(ws.cniDir, ctr), 'utf8').includes('"state": "pending"');
    await waitFor('the attach recorded as pending', 60_000, () => (pending() ? true : undefined));
    expect(await first.signal('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await ThickDaemon.start(ws.dir, cleanup, { config });
    await waitFor('the attach done again', 60_000, () => (statusOf(pod.name).length === 2 ? true : undefined)).catch(
      (err: unknown) => {
        // What the daemons said, for whoever reads the failure.
        const said = [first, second].map((d) => d.logLines().map((l) => `${String(l['msg'])} ${JSON.stringify(l)}`));
        throw new Error(
          `${String(err)}\nfirst daemon:\n${said[0]?.join('\n')}\nsecond daemon:\n${said[1]?.join('\n')}`,
        );
      },
    );
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
    expect(recorded(ctr)).toEqual(['eth0', 'net0']);
    expect(pending()).toBe(false);
    // One lease per interface: the killed attach's (its plugin ran on after the kill) was released.
    expect(leaseFiles(ws.ipamDir)).toHaveLength(2);
    expect(second.logLines().map((l) => l['msg'])).toContain('live networks: rolled back an interrupted attach');

    expectSuccess(
      await runShim({ ...call, config: shimConfig({ cniVersion: '1.0.0', name: 'lv-net' }, second), command: 'DEL' }),
    );
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(await second.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 180_000);
});
