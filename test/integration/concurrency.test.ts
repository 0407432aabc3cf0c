/**
 * Concurrency: many dist/multus processes at once, as kubelet starts them for a node full of
 * pods. Every pod has the same three delegates (bridge master eth0, ptp net0, bridge net1) on two
 * shared bridges and three shared host-local ranges (one network name and dataDir each), one
 * shared cniDir, and its own network namespace.
 *
 * 1. 200 ADDs, 16 at a time, then all 200 pods alive at once: every ADD exits 0 and no address of
 *    a range is held by two pods; then 200 DELs, 16 at a time: every DEL exits 0 and nothing is
 *    left (cache, lock and temp files, leases, links, host veths, bridge ports, addresses, netns).
 *    The figures go to dist/concurrency.json and a `CONCURRENCY: <json>` line.
 * 2. The same 200 pairs interleaved: each of 16 workers runs ADD, reads the pod, DEL, so ADDs and
 *    DELs of different pods overlap; no address is held by two pods whose lifetimes overlap.
 * 3. An ADD and a DEL of the SAME container started together: both exit 0 and the pod is in one
 *    of the two documented states (the DEL waited and removed everything; or the DEL ran first
 *    and the ADD then made the whole pod) — never half of one; a final DEL leaves nothing.
 * 4. multus SIGKILLed mid-ADD, then 8 ADDs and DELs of that container at once: the lock is taken
 *    over by one process at a time (a test plugin logs overlapping calls), the crashed ADD's
 *    orphaned delegate is killed, all exit 0, a final DEL leaves nothing.
 * 5. KNOWN BUG: a temp record left by a multus killed between writing and renaming it is never
 *    removed (fails until fixed).
 *
 * Bounded in count (200 pairs, 16 wide) and by a generous jest timeout; no time is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Cleanup, expectClean } from './support/cleanup';
import {
  deleteNetns,
  duplicateHoldings,
  type Holding,
  podAddresses,
  podLeftovers,
  remainingNetns,
  SharedPodNetwork,
} from './support/conc-pods';
import { LOCK_PROBE_TYPE, overlappingCalls, waitForLockedChild, writeLockProbe } from './support/conc-lock';
import { runBounded, runningInGroup, runSettled, type SettledRun, startMultus } from './support/conc-pool';
import { createNetns, netnsLinkNames } from './support/net';
import { assertIntegrationPrerequisites, type MultusCall } from './support/run-multus';
import { cacheFile, cacheFiles, createWorkspace, leaseFiles, type Workspace } from './support/workspace';

const NET = 240; // 10.240.0.0/16 belongs to this file
const PAIRS = 200;
const CONCURRENCY = 16;
/** A bound for a hang, never a time asserted: 400 processes take minutes when the machine is heavily loaded. */
const TIMEOUT_MS = 900_000;
const FIGURES_FILE = join(__dirname, '..', '..', 'dist', 'concurrency.json');

interface Pod {
  readonly index: number;
  readonly ns: string;
  readonly netns: string;
  readonly containerId: string;
}

/** The figures of one run, as dist/concurrency.json reports them. */
interface Figures {
  readonly pairs: number;
  readonly concurrency: number;
  readonly wallMs: number;
  readonly adds: number;
  readonly dels: number;
  readonly failures: number;
  readonly duplicateAddresses: number;
  readonly leaks: number;
}

describe('concurrency: multus processes sharing bridges, host-local ranges and the cniDir', () => {
  const perFile = new Cleanup();
  let ws: Workspace;
  let network: SharedPodNetwork;
  let waveFigures: (Figures & Record<string, unknown>) | undefined;
  let interleavedFigures: (Figures & Record<string, unknown>) | undefined;

  beforeAll(() => {
    assertIntegrationPrerequisites();
    ws = createWorkspace('cc', perFile);
    network = new SharedPodNetwork(ws, NET, perFile);
  });

  afterAll(() => expectClean(perFile.runAll()));

  /** `n` pods, each with its own netns (registered for deletion). */
  function makePods(tag: string, n: number): Pod[] {
    return Array.from({ length: n }, (_v, index) => {
      const ns = `${ws.prefix}-${tag}${index}`;
      return { index, ns, netns: createNetns(ns, perFile), containerId: `${ws.prefix}-${tag}${index}` };
    });
  }

  function call(pod: Pod, command: MultusCall['command']): MultusCall {
    return {
      command,
      config: network.config(),
      containerId: pod.containerId,
      netns: pod.netns,
      cniArgs:
        `IgnoreUnknown=1;K8S_POD_NAMESPACE=cc-ns;K8S_POD_NAME=pod-${pod.index};` +
        `K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
    };
  }

  /**
   * The pod's address in each range, as holdings from `from` to `to`; a pod that does not have
   * exactly one IPv4 address on each of eth0, net0, net1 (or whose eth0 differs from the ADD's
   * printed result) is a problem.
   */
  async function holdingsOf(pod: Pod, add: SettledRun, from: number, problems: string[]): Promise<Holding[]> {
    const byIf = await podAddresses(pod.ns);
    const holdings: Holding[] = [];
    for (const range of network.ranges) {
      const addresses = byIf[range.ifname] ?? [];
      if (addresses.length !== 1) {
        problems.push(
          `${pod.containerId}: ${range.ifname} has ${JSON.stringify(addresses)}, links ` +
            `${JSON.stringify(Object.keys(byIf))}`,
        );
        continue;
      }
      holdings.push({
        network: range.network,
        address: addresses[0] as string,
        containerId: pod.containerId,
        from,
        to: Number.POSITIVE_INFINITY,
      });
    }
    const printed = ((add.json?.['ips'] as Array<{ address?: string }> | undefined) ?? [])[0]?.address?.split('/')[0];
    const eth0 = byIf['eth0']?.[0];
    if (printed !== eth0)
      problems.push(`${pod.containerId}: ADD printed ${String(printed)} but eth0 has ${String(eth0)}`);
    return holdings;
  }

  function failed(runs: readonly SettledRun[]): SettledRun[] {
    return runs.filter((r) => r.exitCode !== 0);
  }

  function describeFailures(runs: readonly SettledRun[]): string[] {
    return runs.slice(0, 5).map((r) => `${r.command} ${r.containerId}: ${r.problem ?? ''}`);
  }

  function writeFigures(): void {
    const figures = {
      ...(waveFigures ?? {}),
      ...(interleavedFigures === undefined ? {} : { interleaved: interleavedFigures }),
    };
    mkdirSync(dirname(FIGURES_FILE), { recursive: true });
    writeFileSync(FIGURES_FILE, `${JSON.stringify(figures, undefined, 2)}\n`);
  }

  it(
    `${PAIRS} ADDs then ${PAIRS} DELs, ${CONCURRENCY} processes at a time: all exit 0, no address held twice, ` +
      `nothing left`,
    async () => {
      const pods = makePods('p', PAIRS);
      const names = pods.map((p) => p.ns);

      const adds = await runBounded(pods, CONCURRENCY, (pod) => runSettled(call(pod, 'ADD')));
      // All pods are alive now: every address of a range must be distinct.
      const interfaceProblems: string[] = [];
      const holdings: Holding[] = [];
      for (const pod of pods) {
        const add = adds.results[pod.index] as SettledRun;
        if (add.exitCode === 0) holdings.push(...(await holdingsOf(pod, add, add.endedAt, interfaceProblems)));
      }
      const clashes = duplicateHoldings(holdings);
      const leases = leaseFiles(ws.ipamDir);
      const expectedLeases = holdings.map((h) => `${h.network}/${h.address}`).sort();
      const inspectMs = Date.now() - adds.results.reduce((latest, r) => Math.max(latest, r.endedAt), 0);

      const dels = await runBounded(pods, CONCURRENCY, (pod) => runSettled(call(pod, 'DEL')));
      const leftovers = podLeftovers(ws, network, names);
      deleteNetns(names);
      const netnsLeft = remainingNetns(names);

      const failures = [...failed(adds.results), ...failed(dels.results)];
      waveFigures = {
        pairs: PAIRS,
        concurrency: Math.max(adds.maxInFlight, dels.maxInFlight),
        // The multus runs only: the ADD wave plus the DEL wave, not the test's own reading of the pods in between.
        wallMs: adds.wallMs + dels.wallMs,
        adds: adds.results.length - failed(adds.results).length,
        dels: dels.results.length - failed(dels.results).length,
        failures: failures.length,
        duplicateAddresses: clashes.length,
        leaks: leftovers.length + netnsLeft.length,
        mode: 'all ADDs (pods alive together), then all DELs',
        addWallMs: adds.wallMs,
        delWallMs: dels.wallMs,
        inspectMs,
        addressesChecked: holdings.length,
      };
      writeFigures();
      console.log(`CONCURRENCY: ${JSON.stringify(waveFigures)}`);

      expect(adds.maxInFlight).toBe(CONCURRENCY);
      expect(dels.maxInFlight).toBe(CONCURRENCY);
      expect(describeFailures(failures)).toEqual([]);
      expect(interfaceProblems).toEqual([]);
      expect(holdings).toHaveLength(PAIRS * network.ranges.length);
      expect(clashes.map((c) => c.map((h) => `${h.network} ${h.address} ${h.containerId}`))).toEqual([]);
      expect(leases).toEqual(expectedLeases);
      expect(leftovers).toEqual([]);
      expect(netnsLeft).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    `${PAIRS} pairs interleaved (ADD, read the pod, DEL), ${CONCURRENCY} at a time: all exit 0, no address held ` +
      `by two live pods, nothing left`,
    async () => {
      const pods = makePods('i', PAIRS);
      const names = pods.map((p) => p.ns);
      const interfaceProblems: string[] = [];
      const runs = await runBounded(pods, CONCURRENCY, async (pod) => {
        const add = await runSettled(call(pod, 'ADD'));
        const holdings = add.exitCode === 0 ? await holdingsOf(pod, add, add.endedAt, interfaceProblems) : [];
        const del = await runSettled(call(pod, 'DEL'));
        // Held at least from the ADD's exit until the DEL was started.
        return { add, del, holdings: holdings.map((h) => ({ ...h, to: del.startedAt })) };
      });
      const adds = runs.results.map((r) => r.add);
      const dels = runs.results.map((r) => r.del);
      const holdings = runs.results.flatMap((r) => r.holdings);
      const clashes = duplicateHoldings(holdings);
      const leftovers = podLeftovers(ws, network, names);
      deleteNetns(names);
      const netnsLeft = remainingNetns(names);

      const failures = [...failed(adds), ...failed(dels)];
      interleavedFigures = {
        pairs: PAIRS,
        concurrency: runs.maxInFlight,
        wallMs: runs.wallMs,
        adds: adds.length - failed(adds).length,
        dels: dels.length - failed(dels).length,
        failures: failures.length,
        duplicateAddresses: clashes.length,
        leaks: leftovers.length + netnsLeft.length,
        mode: 'each worker: ADD, read the pod, DEL (ADDs and DELs of different pods overlap)',
        addressesChecked: holdings.length,
      };
      writeFigures();
      console.log(`CONCURRENCY-INTERLEAVED: ${JSON.stringify(interleavedFigures)}`);

      expect(runs.maxInFlight).toBe(CONCURRENCY);
      expect(describeFailures(failures)).toEqual([]);
      expect(interfaceProblems).toEqual([]);
      expect(holdings).toHaveLength(PAIRS * network.ranges.length);
      expect(
        clashes.map((c) => c.map((h) => `${h.network} ${h.address} ${h.containerId} [${h.from}, ${h.to}]`)),
      ).toEqual([]);
      expect(leftovers).toEqual([]);
      expect(netnsLeft).toEqual([]);
    },
    TIMEOUT_MS,
  );

  /**
   * The whole pod (eth0, net0, net1, its record with every attachment added, its 3 leases), nothing of it, or a
   * description of the half state.
   */
  function podState(pod: Pod): string {
    const links = netnsLinkNames(pod.ns);
    const record = cacheFiles(ws.cniDir).filter((f) => f.startsWith(`${pod.containerId}-`));
    const leases = leaseFiles(ws.ipamDir);
    const ownLeases = leases.filter(
      (l) => readFileSync(join(ws.ipamDir, l), 'utf8').split(/\s+/u)[0] === pod.containerId,
    );
    const leftovers = podLeftovers(ws, network, [pod.ns]);
    if (links.join() === 'lo' && record.length === 0 && leftovers.length === 0) return 'nothing';
    if (
      links.join() === 'eth0,lo,net0,net1' &&
      record.join() === `${pod.containerId}-eth0.json` &&
      ownLeases.length === 3 &&
      leases.length === 3
    ) {
      const entry = JSON.parse(readFileSync(cacheFile(ws.cniDir, pod.containerId), 'utf8')) as {
        attachments: Array<{ state: string }>;
      };
      if (entry.attachments.map((a) => a.state).join() === 'added,added,added') return 'pod';
    }
    return (
      `half: links ${links.join()}, cniDir ${record.join()}, leases ${leases.join()} (own ${ownLeases.length}), ` +
      `leftovers ${leftovers.join('; ')}`
    );
  }

  it(
    'an ADD and a DEL of the same container started together: both exit 0, the pod is whole or gone (never ' +
      'half), a final DEL leaves nothing',
    async () => {
      // DEL started this many ms after the ADD (negative: before), so both orders get their chance.
      const delOffsetsMs = [-20, -5, 0, 0, 0, 0, 5, 10, 20, 40, 80];
      const pods = makePods('r', delOffsetsMs.length);
      const outcomes: string[] = [];
      for (const [i, offset] of delOffsetsMs.entries()) {
        const pod = pods[i] as Pod;
        const later = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
        const [add, del] = await Promise.all([
          later(-offset).then(() => runSettled(call(pod, 'ADD'))),
          later(offset).then(() => runSettled(call(pod, 'DEL'))),
        ]);
        const state = podState(pod);
        const finalDel = await runSettled(call(pod, 'DEL'));
        const after = podState(pod);
        outcomes.push(
          `offset ${offset} ms: ADD ${String(add.exitCode)}, DEL ${String(del.exitCode)}, then ${state}; final ` +
            `DEL ${String(finalDel.exitCode)}, then ${after}`,
        );
        expect({ offset, add: add.problem, del: del.problem, finalDel: finalDel.problem }).toEqual({
          offset,
          add: undefined,
          del: undefined,
          finalDel: undefined,
        });
        expect(['pod', 'nothing']).toContain(state);
        expect(after).toBe('nothing');
      }
      console.log(`CONCURRENCY-SAME-CONTAINER: ${JSON.stringify(outcomes)}`);
      deleteNetns(pods.map((p) => p.ns));
      expect(remainingNetns(pods.map((p) => p.ns))).toEqual([]);
    },
    TIMEOUT_MS,
  );

  /*
   * The lock's stale takeover: a waiter that finds the lock of a dead holder kills the holder's
   * orphaned delegate and takes the lock over. Before 2af56bd every waiter that had read the same
   * stale content removed the file by name, so a later removal deleted the lock an earlier waiter
   * had just created, and several processes held it at once (this test saw up to four DELs of one
   * container running together, in the first round of most runs). It must stay one at a time.
   */
  it(
    'after multus is SIGKILLed mid-ADD, 8 ADDs and DELs of that container started together run their delegates ' +
      'one at a time; a final DEL leaves nothing',
    async () => {
      const binDir = join(ws.dir, 'lock-bin');
      const log = join(ws.dir, 'lock-probe.log');
      writeLockProbe(binDir, log, 0.1);
      const rounds = 6;
      const found: string[] = [];
      const [pod] = makePods('k', 1) as [Pod];
      for (let round = 0; round < rounds && found.length === 0; round++) {
        const containerId = `${ws.prefix}-k${round}`;
        const config = (hang: boolean): Record<string, unknown> => ({
          name: 'cc-lock',
          type: 'multus',
          cniVersion: '1.0.0',
          cniDir: ws.cniDir,
          binDir,
          logLevel: 'silent',
          delegates: [{ name: 'cc-lock-probe', type: LOCK_PROBE_TYPE, ...(hang ? { hang: true } : {}) }],
        });
        const base = { containerId, netns: pod.netns, cniPath: binDir };
        writeFileSync(log, '');
        // The crash: multus killed while its delegate runs; the delegate's group is in the lock file.
        const victim = startMultus({ ...base, command: 'ADD', config: config(true) });
        const held = await waitForLockedChild(join(ws.cniDir, `${containerId}-eth0.lock`), 10_000);
        perFile.add(`orphan delegate group ${held.child}`, () => {
          if (runningInGroup(held.child).length > 0) process.kill(-held.child, 'SIGKILL');
        });
        victim.child.kill('SIGKILL');
        await victim.exited;

        const commands: Array<'ADD' | 'DEL'> = ['ADD', 'DEL', 'ADD', 'DEL', 'DEL', 'ADD', 'DEL', 'ADD'];
        const runs = await Promise.all(
          commands.map((command) => runSettled({ ...base, command, config: config(false) })),
        );
        const finalDel = await runSettled({ ...base, command: 'DEL', config: config(false) });
        const overlaps = overlappingCalls(log);
        if (overlaps.length > 0) found.push(`round ${round}: ${overlaps.join('; ')}`);
        for (const r of [...runs, finalDel])
          if (r.exitCode !== 0) found.push(`round ${round}: ${r.command} ${r.problem ?? ''}`);
        // The crashed ADD's delegate was killed by whoever took the lock over.
        expect(runningInGroup(held.child)).toEqual([]);
      }
      expect(found).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
    TIMEOUT_MS,
  );

  /*
   * KNOWN BUG (src/runtime/file-result-cache.ts): a save writes `<id>-<ifname>.json.<pid>.tmp`,
   * then renames it over the record. multus SIGKILLed between the two (seen here: a crashed ADD
   * left `…-eth0.json.<pid>.tmp` and no record) leaves the temp file for ever: no later ADD, DEL
   * or GC of the container looks at it (GC lists `*.json` only). Under the container's lock a temp
   * file of the same container written by another pid can only be such a leftover. This test
   * puts one there as the crash would and fails until the container's next ADD/DEL removes it.
   */
  it("a temp record left by a multus killed mid-write is gone after the container's next ADD and DEL", async () => {
    const [pod] = makePods('t', 1) as [Pod];
    const binDir = join(ws.dir, 'tmp-bin');
    writeLockProbe(binDir, join(ws.dir, 'tmp-probe.log'), 0);
    const dead = spawnSync('true').pid;
    mkdirSync(ws.cniDir, { recursive: true, mode: 0o700 });
    const leftover = `${cacheFile(ws.cniDir, pod.containerId)}.${dead}.tmp`;
    writeFileSync(leftover, '{"kind":"multus-ts/attachments","version":1,"contai', { mode: 0o600 });
    const config = {
      name: 'cc-tmp',
      type: 'multus',
      cniVersion: '1.0.0',
      cniDir: ws.cniDir,
      binDir,
      delegates: [{ type: LOCK_PROBE_TYPE }],
    };
    const base = { config, containerId: pod.containerId, netns: pod.netns, cniPath: binDir };

    const add = await runSettled({ ...base, command: 'ADD' });
    const del = await runSettled({ ...base, command: 'DEL' });

    expect([add.problem, del.problem]).toEqual([undefined, undefined]);
    expect(cacheFiles(ws.cniDir).filter((f) => f.startsWith(`${pod.containerId}-`))).toEqual([]);
  });
});
