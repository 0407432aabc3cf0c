/**
 * Thick mode under load (issue 12), compiled multus-shim and `multus daemon`. The pods are cheap
 * so the daemon, not the delegates, is what is loaded: a pod's master is host-local called as a
 * plugin (a real lease from one shared range, named after its container: no netns needed) and
 * its second delegate the shell stand-in of support/thick.ts (makes nothing).
 *
 * 1. 200 pods ADDed through the shim at once: every ADD exits 0 with its own address (the lease
 *    of each printed address names that pod's container), no two pods share one; 200 DELs at
 *    once leave no record, lock, lease or process.
 * 2. Restart under load: workers ADD and DEL pods through the shim (fallback "thin") while the
 *    daemon is SIGTERMed and a new one started on the same socket: every call ends with one CNI
 *    answer (never lost), every ADD succeeded or failed with code 11, every pod's DEL (retried
 *    on code 11, as a runtime does) leaves nothing.
 * 3. Memory: 2000 ADD/DEL cycles over the socket (4 at a time) with the stand-in as the only
 *    delegate; the daemon's VmRSS after them is at most 1.1 × its VmRSS after the first 200 (a
 *    leak check; each side is a mean of readings, see RSS_WINDOW). The figures and the time
 *    taken go to a `THICK-MEMORY: <json>` line.
 *
 * Cost, measured on the 2-core CI machine while other jobs loaded it (load 15–45): the file takes
 * 3–4 min. Test 1 is ≈ 400 shim starts at ≈ 125 ms of CPU each (the compiled shim's start-up;
 * the daemon spends ≈ 15 ms per call, its delegates ≈ 28 ms); test 3 is ≈ 14 ms of CPU per call
 * (≈ 9 the daemon's own), 48–67 s for the 2000 cycles. A cheaper shim makes test 1 cheaper.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBounded } from './support/conc-pool';
import { describeProcesses, processesWithEnv, waitFor, type SignalledRun } from './support/fault-run';
import { inSubnet } from './support/net';
import { REFERENCE_PLUGINS, type MultusCall } from './support/run-multus';
import { postCall } from '../support/daemon-socket';
import { assertThickPrerequisites, installStandIn, runShim, shimConfig, ThickDaemon } from './support/thick';
import { cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 228; // 10.228.0.0/16 belongs to this file
const SUBNET = `10.${NET}.0.0/22`;
const PODS = 200;
const CYCLES = 2000;
const FIRST_CYCLES = 200;
/** Calls over the socket at once in the memory run. */
const MEMORY_WIDTH = 4;
/**
 * VmRSS is read every SAMPLE_EVERY cycles. The collector makes it a sawtooth (90–135 MiB, a period
 * of ≈ 200 cycles here; a reading once the daemon is idle depends on whether a full collection
 * has run yet), so one reading says little: "VmRSS after the first 200" is the mean of the
 * readings over the RSS_WINDOW cycles that follow them, "after 2000" the mean over the last
 * RSS_WINDOW cycles (≈ 4 periods each). Over 6000 cycles those means stay within 103–119 MiB.
 */
const SAMPLE_EVERY = 10;
const RSS_WINDOW = 800;
const RESTART_PODS = 48;
/** Shims at once in the restart run. */
const RESTART_WIDTH = 12;

describe('thick mode under load', () => {
  const { ws, cleanup } = useWorkspace('tl', { prerequisites: assertThickPrerequisites });
  let binDir: string;

  beforeAll(() => {
    binDir = installStandIn(join(ws.dir, 'bin'));
  });

  /** State dirs of one test's pods: its own cniDir and host-local dataDir, so a test finds only its own leftovers. */
  function podDirs(tag: string): { readonly cniDir: string; readonly ipamDir: string } {
    return { cniDir: join(ws.dir, tag, 'cache'), ipamDir: join(ws.dir, tag, 'ipam') };
  }

  /** The multus config of every pod: host-local (master, its lease is the pod's address) and the stand-in. */
  function podConfig(dirs: { readonly cniDir: string; readonly ipamDir: string }): Record<string, unknown> {
    return {
      name: 'tl-pods',
      cniVersion: '1.0.0',
      cniDir: dirs.cniDir,
      logLevel: 'warn',
      delegates: [
        {
          name: 'tl-ipam',
          type: 'host-local',
          masterplugin: true,
          ipam: { type: 'host-local', subnet: SUBNET, dataDir: dirs.ipamDir },
        },
        { name: 'tl-side', type: 'stand-in' },
      ],
    };
  }

  function podCall(id: string, config: Record<string, unknown>, command: 'ADD' | 'DEL'): MultusCall {
    return {
      command,
      config,
      containerId: id,
      netns: `/var/run/netns/${id}`,
      cniPath: `${binDir}:${REFERENCE_PLUGINS}`,
    };
  }

  /** One CNI answer on stdout: exit 0 (a result for ADD, nothing for DEL), or exit 1 and a CNI error. */
  function problemOf(run: SignalledRun): string | undefined {
    if (run.signal !== null) return `killed by ${run.signal}`;
    if (run.exitCode === 0) return undefined;
    return `exit ${String(run.exitCode)}: ${run.stdout.trim()} ${run.stderr.trim().split('\n').slice(-2).join(' | ')}`;
  }

  /** The address an ADD printed (host-local's first IP), without its prefix length. */
  function addressOf(run: SignalledRun): string {
    const ips = run.json?.['ips'] as Array<{ address: string }> | undefined;
    return ips?.[0]?.address.split('/')[0] ?? '';
  }

  /** Nothing of the pods left: no record, lock or temp file, no lease, no process still holding a pod's id. */
  function leftovers(dirs: { readonly cniDir: string; readonly ipamDir: string }, ids: readonly string[]): string[] {
    const found = [
      ...cacheFiles(dirs.cniDir).map((f) => `cniDir ${f}`),
      ...leaseFiles(dirs.ipamDir).map((f) => `lease ${f}`),
    ];
    for (const id of ids) {
      const pids = processesWithEnv('CNI_CONTAINERID', id);
      if (pids.length > 0) found.push(`${id}: ${describeProcesses(pids)}`);
    }
    return found;
  }

  it(`${PODS} pods ADDed through the shim at once: each its own address; ${PODS} DELs leave nothing`, async () => {
    const daemon = await ThickDaemon.start(ws.dir, cleanup);
    const dirs = podDirs('wide');
    const config = shimConfig(podConfig(dirs), daemon, { daemonFallback: 'fail' });
    const ids = Array.from({ length: PODS }, (_, i) => `${ws.prefix}-p${i}`);

    const adds = await Promise.all(ids.map((id) => runShim(podCall(id, config, 'ADD'))));
    expect(adds.map(problemOf).filter((p) => p !== undefined)).toEqual([]);
    const addresses = adds.map(addressOf);
    expect(addresses.filter((a) => !inSubnet(a, SUBNET))).toEqual([]);
    expect(new Set(addresses).size).toBe(PODS);
    // Each answer is its own pod's: the lease of the address it printed names its container.
    const owners = addresses.map((a) => readFileSync(join(dirs.ipamDir, 'tl-ipam', a), 'utf8').split(/\s+/u)[0]);
    expect(owners).toEqual(ids);

    const dels = await Promise.all(ids.map((id) => runShim(podCall(id, config, 'DEL'))));
    expect(dels.map(problemOf).filter((p) => p !== undefined)).toEqual([]);
    expect(leftovers(dirs, ids)).toEqual([]);
    const calls = readFileSync(join(binDir, 'calls.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(ws.prefix));
    expect(calls.filter((l) => l.startsWith('ADD '))).toHaveLength(PODS);
    expect(calls.filter((l) => l.startsWith('DEL '))).toHaveLength(PODS);
    expect(await daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 240_000);

  it('restart under load: SIGTERM and a new daemon while shims call; no call lost, every pod deleted', async () => {
    const first = await ThickDaemon.start(ws.dir, cleanup);
    const dirs = podDirs('restart');
    const config = shimConfig(podConfig(dirs), first); // daemonFallback "thin" (the default)
    const ids = Array.from({ length: RESTART_PODS }, (_, i) => `${ws.prefix}-r${i}`);
    let finished = 0;
    const work = runBounded(ids, RESTART_WIDTH, async (id) => {
      const add = await runShim(podCall(id, config, 'ADD'));
      const dels: SignalledRun[] = [];
      // A DEL refused with code 11 (the daemon stopping) is retried, as a runtime does.
      do dels.push(await runShim(podCall(id, config, 'DEL')));
      while (dels.at(-1)?.exitCode !== 0 && dels.length < 5);
      finished += 1;
      return { id, add, dels };
    });

    await waitFor('a quarter of the pods', 120_000, () => (finished >= RESTART_PODS / 4 ? true : undefined));
    first.child.kill('SIGTERM');
    await waitFor('the daemon to begin stopping', 30_000, () =>
      first.logLines().some((l) => l['msg'] === 'multus daemon stopping') ? true : undefined,
    );
    const second = await ThickDaemon.start(ws.dir, cleanup, { config: { socketDir: first.socketDir } });
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const { results } = await work;

    // Every call ended with one CNI answer: an ADD succeeded (its address) or failed cleanly with code 11.
    const adds = results.map((r) => r.add);
    expect(adds.filter((a) => a.signal !== null || ![0, 1].includes(a.exitCode ?? -1))).toEqual([]);
    expect(adds.filter((a) => a.exitCode === 0 && !inSubnet(addressOf(a), SUBNET))).toEqual([]);
    expect(adds.filter((a) => a.exitCode === 1 && a.json?.['code'] !== 11).map((a) => a.stdout)).toEqual([]);
    expect(results.filter((r) => r.dels.at(-1)?.exitCode !== 0).map((r) => r.id)).toEqual([]);
    expect(leftovers(dirs, ids)).toEqual([]);
    const figures = {
      pods: RESTART_PODS,
      width: RESTART_WIDTH,
      addsOk: adds.filter((a) => a.exitCode === 0).length,
      addsCode11: adds.filter((a) => a.exitCode === 1).length,
      throughThin: [...adds, ...results.flatMap((r) => r.dels)].filter((a) => a.stderr.includes('no daemon')).length,
      delRetries: results.reduce((n, r) => n + r.dels.length - 1, 0),
    };
    process.stdout.write(`THICK-RESTART: ${JSON.stringify(figures)}\n`);
    expect(await second.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 240_000);

  it(`memory: ${CYCLES} ADD/DEL cycles; the daemon's VmRSS then ≤ 1.1 × after the first ${FIRST_CYCLES}`, async () => {
    const daemon = await ThickDaemon.start(ws.dir, cleanup);
    const cniDir = join(ws.dir, 'memory-cache');
    const stdin = {
      type: 'multus-shim',
      name: 'tl-memory',
      cniVersion: '1.0.0',
      cniDir,
      logLevel: 'warn',
      delegates: [{ name: 'tl-memory', type: 'stand-in' }],
    };
    const failures: string[] = [];
    const samples: Array<{ readonly cycle: number; readonly kib: number }> = [];
    const started = Date.now();
    await runBounded(
      Array.from({ length: CYCLES }, (_, i) => i),
      MEMORY_WIDTH,
      async (i) => {
        const id = `${ws.prefix}-m${i}`;
        for (const command of ['ADD', 'DEL']) {
          const env = {
            CNI_COMMAND: command,
            CNI_CONTAINERID: id,
            CNI_NETNS: `/var/run/netns/${id}`,
            CNI_IFNAME: 'eth0',
            CNI_PATH: binDir,
          };
          const answer = await postCall(daemon.socketPath, `${id}-${command}`, env, stdin);
          if (answer.status !== 200 || answer.body.exitCode !== 0)
            failures.push(`${id} ${command}: ${JSON.stringify(answer)}`);
        }
        if (i % SAMPLE_EVERY === 0) samples.push({ cycle: i, kib: daemon.rssKiB() });
      },
    );
    const mean = (from: number, to: number): number => {
      const inside = samples.filter((s) => s.cycle >= from && s.cycle < to).map((s) => s.kib);
      return Math.round(inside.reduce((a, b) => a + b, 0) / inside.length);
    };
    const afterFirst = mean(FIRST_CYCLES, FIRST_CYCLES + RSS_WINDOW);
    const afterAll = mean(CYCLES - RSS_WINDOW, CYCLES);
    const seconds = (Date.now() - started) / 1000;
    const figures = {
      cycles: CYCLES,
      afterFirstKiB: afterFirst,
      afterAllKiB: afterAll,
      ratio: afterAll / afterFirst,
      seconds,
    };
    process.stdout.write(`THICK-MEMORY: ${JSON.stringify(figures)}\n`);

    expect(failures).toEqual([]);
    expect(cacheFiles(cniDir)).toEqual([]);
    expect(afterAll).toBeLessThanOrEqual(1.1 * afterFirst);
    expect(await daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 300_000);
});
