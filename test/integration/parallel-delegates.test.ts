/**
 * Parallel delegates (issue 7, config key `parallelDelegates`): the compiled dist/multus, real
 * network namespaces and Debian's reference plugins (bridge, ptp, macvlan, host-local).
 *
 * The pod has 8 delegates: bridge (master, eth0, bridge <b0>), ptp ×3 (net0..net2), macvlan on
 * two different veth masters (net3, net4), and two bridges on one shared bridge <b1> (net5,
 * net6). In parallel mode all but net6 may run at once; net6 must wait for net5.
 *
 * Every delegate runs behind an event-log wrapper installed under the real plugin's name
 * (support/parallel-wrapper.ts): multus sees the real types and schedules them by their real
 * host objects, and the wrapper appends start/end lines to one log. Overlap and order are
 * asserted only as the order of those lines, never as durations. To make them deterministic,
 * a wrapper can wait on ADD for another attachment's line (`await`): net0 and net3 wait for each
 * other's start (in parallel both are found; in sequential mode net0's wait misses), and net5
 * waits for net6's start, which must miss in both modes (were net6 started beside net5, the
 * wait would find it and the order check would fail).
 *
 * The same pod shape runs sequentially and in parallel (own netns, bridges, masters, subnets
 * 10.247.<base + index>.0/24), and the two are compared: interface names, the subnet of each,
 * the stdout (master result) and the cache record, by shape. The rollback cases run in
 * parallel mode with the fault plugin (test/plugins/fault-plugin.js) behind some wrappers:
 * a delegate fails while others run, one hangs past delegateTimeoutSeconds, multus gets
 * SIGTERM or SIGKILL while two delegates hang. The last group checks what must stay ordered:
 * a plugin type multus does not know, and a macvlan whose master is a bridge that an earlier
 * attachment creates. After every case nothing is left: only lo in the pod, no host veth into
 * it, no bridge port, no ptp address on the host, no lease, no file in the cache dir, no
 * process of the pod (multus, wrappers, hung fault plugins and their children).
 *
 * This file owns the workspace tag `pd` and 10.247.0.0/16.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cleanup, expectClean } from './support/cleanup';
import { isRunning, sleep, startMultus, waitFor } from './support/fault-run';
import { ipv4Of, netnsLinkKind, netnsLinkNames } from './support/net';
import {
  expectBefore,
  NOTHING_LEFT,
  ParallelPod,
  POD,
  type Await,
  type Leftovers,
  type PodOptions,
  type RecordedAttachment,
} from './support/parallel-pod';
import { installWrappers } from './support/parallel-wrapper';
import { expectCleanSuccess, expectCniFailure, runMultus, type MultusRun } from './support/run-multus';
import { useWorkspace } from './support/workspace';

/** How long a wrapper waits for a line that should come (a partner's start in parallel mode). */
const RENDEZVOUS_MS = 5000;
/** How long net5 waits for net6's start, which must not come while net5 runs. */
const ORDER_WAIT_MS = 3000;
/**
 * The delegate timeout of the hang case. It ends net2 (which hangs for ever once the others are
 * made), but it also bounds net2's own wait for the seven others, and each of them: eight node
 * wrappers and their real plugins on two loaded cores must all be done well within it. Seconds
 * of slack, so that only the hang decides, never a race with the others' speed.
 */
const TIMEOUT_S = 10;
/**
 * A bound, not a time asserted: the failing pod's delegates get an hour's timeout, so one that
 * was not aborted beside the failed one would hang far past this; an aborted ADD ends long before,
 * however busy the machine (the hang case: TIMEOUT_S plus eight rollback DELs).
 */
const WATCHDOG_MS = 600_000;
/** The delegate timeout of the pod whose running delegates must be aborted: longer than the watchdog. */
const NEVER_S = 3600;
/** How long a process SIGKILLed a moment ago may take to be gone (polled; a bound, never a time asserted). */
const GONE_WITHIN_MS = 30_000;
const FAULT_MSG = 'injected by the fault plugin';
const IFNAMES = POD.map((a) => a.ifname);

type Mode = 'sequential' | 'parallel';

/** The awaits of the correctness pods (the same in both modes). */
const CORRECTNESS_AWAITS: Readonly<Record<number, readonly Await[]>> = {
  1: [{ event: 'start', ifname: 'net3', ms: RENDEZVOUS_MS }],
  4: [{ event: 'start', ifname: 'net0', ms: RENDEZVOUS_MS }],
  6: [{ event: 'start', ifname: 'net6', ms: ORDER_WAIT_MS }],
};

/** How multus names an attachment in its errors. */
function naming(index: number): string {
  const a = POD[index] as (typeof POD)[number];
  return `network "${a.network}" (delegates[${index}], type "${a.type}", interface ${a.ifname}): ADD failed`;
}

/** `start CMD x`, `end CMD x 0` for each ifname in turn: one delegate at a time, each succeeding. */
function oneAtATime(command: 'ADD' | 'DEL', ifnames: readonly string[]): string[] {
  return ifnames.flatMap((n) => [`start ${command} ${n}`, `end ${command} ${n} 0`]);
}

/**
 * DEL with parallelDelegates: each attachment's DEL once, in reverse of ADD's order where two share
 * a host object (net6 on net5's bridge: net6's DEL ends before net5's starts); `alone` (a plugin
 * type multus does not know) waits for every DEL after it in the pod and runs before any before it.
 */
function expectParallelDels(lines: readonly string[], alone?: string): void {
  expect(startsAndEnds(lines).sort()).toEqual(oneAtATime('DEL', IFNAMES).sort());
  expectBefore(lines, 'end DEL net6', 'start DEL net5');
  if (alone === undefined) return;
  const at = (IFNAMES as readonly string[]).indexOf(alone);
  for (const later of IFNAMES.slice(at + 1)) expectBefore(lines, `end DEL ${later}`, `start DEL ${alone}`);
  for (const earlier of IFNAMES.slice(0, at)) expectBefore(lines, `end DEL ${alone}`, `start DEL ${earlier}`);
}

/** Start and end lines only (the wrapper's found/missed lines left out). */
function startsAndEnds(lines: readonly string[]): string[] {
  return lines.filter((l) => l.startsWith('start ') || l.startsWith('end '));
}

/** Runs multus ADD, failing the test (not hanging it) when the ADD outlives `WATCHDOG_MS`. */
async function addWithWatchdog(
  config: Record<string, unknown>,
  call: { containerId: string; netns: string },
): Promise<MultusRun> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<'watchdog'>((resolve) => {
    timer = setTimeout(() => resolve('watchdog'), WATCHDOG_MS);
  });
  const outcome = await Promise.race([runMultus({ ...call, config, command: 'ADD' }), watchdog]).finally(() =>
    clearTimeout(timer),
  );
  if (outcome === 'watchdog') {
    throw new Error(
      `ADD still running ${WATCHDOG_MS} ms after it started: the failure did not end it (were the delegates ` +
        `running beside the failed one not aborted?)`,
    );
  }
  return outcome;
}

describe(
  'parallel delegates: an 8-delegate pod (bridge master, ptp ×3, macvlan on two masters, two bridges on one ' +
    'bridge) through dist/multus',
  () => {
    const { ws } = useWorkspace('pd');
    let binDir: string;
    let podCount = 0;

    beforeAll(() => {
      binDir = installWrappers(ws).binDir;
    });

    /** A fresh pod with its own subnets 10.247.<10·n + index>.0/24. */
    function newPod(suffix: string, cleanup: Cleanup): ParallelPod {
      podCount += 1;
      return new ParallelPod(ws, binDir, suffix, podCount * 10, cleanup);
    }

    describe('the same pod sequentially and with parallelDelegates: true', () => {
      const cleanup = new Cleanup();

      interface Observed {
        readonly pod: ParallelPod;
        readonly add: MultusRun;
        readonly links: string[];
        readonly kinds: Record<string, string | undefined>;
        /** ifname → the attachment indexes whose subnets hold its IPv4 addresses. */
        readonly subnets: Record<string, Array<number | undefined>>;
        readonly record: RecordedAttachment[] | undefined;
        readonly addLines: string[];
        readonly del: MultusRun;
        readonly delLines: string[];
        readonly left: Leftovers;
      }

      const seen: Partial<Record<Mode, Observed>> = {};

      function observed(mode: Mode): Observed {
        const o = seen[mode];
        if (o === undefined) throw new Error(`the ${mode} pod was not observed (see the beforeAll error)`);
        return o;
      }

      async function observe(mode: Mode): Promise<Observed> {
        const pod = newPod(mode === 'sequential' ? 's' : 'p', cleanup);
        const config = pod.config({ parallel: mode === 'parallel', awaits: CORRECTNESS_AWAITS });
        const add = await runMultus({ ...pod.call(), config, command: 'ADD' });
        expectCleanSuccess(add);
        const links = netnsLinkNames(pod.ns);
        const kinds = Object.fromEntries(IFNAMES.map((n) => [n, netnsLinkKind(pod.ns, n).kind]));
        const subnets = Object.fromEntries(
          IFNAMES.map((n) => [n, ipv4Of(pod.ns, n).map((a) => pod.indexOfAddress(a))]),
        );
        const record = pod.recorded();
        const addLines = pod.eventLines('ADD');
        const del = await runMultus({ ...pod.call(), config, command: 'DEL' });
        expectCleanSuccess(del);
        return {
          pod,
          add,
          links,
          kinds,
          subnets,
          record,
          addLines,
          del,
          delLines: pod.eventLines('DEL'),
          left: await pod.leftovers(),
        };
      }

      // Two 8-delegate pods, each ADD and DEL with its waits: minutes on a heavily loaded machine.
      beforeAll(async () => {
        seen.sequential = await observe('sequential');
        seen.parallel = await observe('parallel');
      }, 300_000);

      afterAll(() => expectClean(cleanup.runAll()));

      it(
        'ADD in both modes → exit 0; the pod holds eth0 and net0..net6, each of the same kind and on its own ' +
          "attachment's subnet, the same in both",
        () => {
          const expected = {
            links: ['eth0', 'lo', ...IFNAMES.slice(1)].sort(),
            kinds: Object.fromEntries(POD.map((a) => [a.ifname, a.kind])),
            subnets: Object.fromEntries(POD.map((a, i) => [a.ifname, [i]])),
          };
          for (const mode of ['sequential', 'parallel'] as const) {
            const { links, kinds, subnets } = observed(mode);
            expect({ mode, links, kinds, subnets }).toEqual({ mode, ...expected });
          }
        },
      );

      it(
        "the stdout of ADD is the master's result (bridge, eth0, its subnet only), of the same shape in both " +
          'modes',
        () => {
          const seq = observed('sequential');
          const par = observed('parallel');
          const shape = seq.pod.normalize(seq.add.json);
          expect(par.pod.normalize(par.add.json)).toEqual(shape);
          // The master's result: its bridge, the host veth and eth0 in the pod; addresses of subnet 0
          // only (no other attachment sets a default route, so the seed's rule changes nothing).
          expect(shape).toEqual({
            cniVersion: '1.0.0',
            interfaces: [
              { name: '<b0>', mac: '<mac>' },
              { name: '<veth>', mac: '<mac>' },
              { name: 'eth0', mac: '<mac>', sandbox: '<netns>' },
            ],
            ips: [{ address: `10.247.<0>.2/24`, gateway: `10.247.<0>.1`, interface: 2 }],
          });
        },
      );

      it(
        'the cache record after ADD lists the 8 attachments in config order, all added, with the same networks, ' +
          'ifnames, types and results in both modes',
        () => {
          const expected = POD.map((a, i) => ({
            index: i,
            network: a.network,
            type: a.type,
            ifname: a.ifname,
            master: i === 0,
            origin: `delegates[${i}]`,
            cniVersion: '1.0.0',
            state: 'added',
          }));
          const view = (o: Observed): unknown[] =>
            (o.record ?? []).map(({ index, network, type, ifname, master, origin, cniVersion, state }) => ({
              index,
              network,
              type,
              ifname,
              master,
              origin,
              cniVersion,
              state,
            }));
          const seq = observed('sequential');
          const par = observed('parallel');
          expect(view(seq)).toEqual(expected);
          expect(view(par)).toEqual(expected);
          expect(par.record?.map((a) => par.pod.normalize(a.result))).toEqual(
            seq.record?.map((a) => seq.pod.normalize(a.result)),
          );
        },
      );

      it(
        "sequential: each ADD starts after the previous one ended (net0's wait for net3 misses, net3 finds net0 " +
          'long started); DEL runs in reverse, one at a time',
        () => {
          const { addLines, delLines } = observed('sequential');
          expect(startsAndEnds(addLines)).toEqual(oneAtATime('ADD', IFNAMES));
          expect(addLines.filter((l) => l.startsWith('found ') || l.startsWith('missed '))).toEqual([
            'missed ADD net0 <start ADD net3>',
            'found ADD net3 <start ADD net0>',
            'missed ADD net5 <start ADD net6>',
          ]);
          expect(delLines).toEqual(oneAtATime('DEL', [...IFNAMES].reverse()));
        },
      );

      it(
        'parallel: independent attachments overlap (net0 and net3 each start before the other ends); the two on one ' +
          "bridge keep their order (net5 ends before net6 starts; net5's wait for net6 misses); DEL likewise, in " +
          "reverse (net6's DEL ends before net5's starts)",
        () => {
          const { addLines, delLines } = observed('parallel');
          // Each attachment ran its ADD exactly once and succeeded.
          expect(startsAndEnds(addLines).sort()).toEqual(oneAtATime('ADD', IFNAMES).sort());
          expect(addLines.filter((l) => l.startsWith('found ') || l.startsWith('missed ')).sort()).toEqual(
            [
              'found ADD net0 <start ADD net3>',
              'found ADD net3 <start ADD net0>',
              'missed ADD net5 <start ADD net6>',
            ].sort(),
          );
          expectBefore(addLines, 'start ADD net0', 'end ADD net3');
          expectBefore(addLines, 'start ADD net3', 'end ADD net0');
          expectBefore(addLines, 'end ADD net5', 'start ADD net6');
          expectParallelDels(delLines);
        },
      );

      it(
        'DEL in both modes → exit 0, empty stdout; nothing left: only lo, no host veth or bridge port, no ptp ' +
          'address, no lease, no cache or lock file, no process',
        () => {
          for (const mode of ['sequential', 'parallel'] as const) {
            const { del, left } = observed(mode);
            expect({ mode, stdout: del.stdout, left }).toEqual({ mode, stdout: '', left: NOTHING_LEFT });
          }
        },
      );
    });

    describe('rollback with parallelDelegates: true', () => {
      const cleanup = new Cleanup(); // per test
      afterEach(() => expectClean(cleanup.runAll()));

      async function expectHangGone(pod: ParallelPod): Promise<void> {
        const pids = pod.hangPids();
        expect(pids).toHaveLength(2); // the hanging fault plugin and its child
        for (let waited = 0; pids.some(isRunning) && waited < GONE_WITHIN_MS; waited += 50) await sleep(50);
        expect(pids.filter(isRunning)).toEqual([]);
      }

      it(
        'net1 fails on ADD while the others run (net3 after it already made, net2 hanging, net5 busy on the ' +
          'shared bridge) → exit 1, code 11 naming net1; the running ones are aborted, net6 never starts; all 8 ' +
          'rolled back in reverse, nothing left',
        async () => {
          const pod = newPod('f', cleanup);
          const options: PodOptions = {
            parallel: true,
            delegateTimeoutSeconds: NEVER_S,
            faults: {
              2: { on: 'ADD', do: 'fail', code: 11, msg: FAULT_MSG },
              3: { on: 'ADD', do: 'hang', delegateFirst: true },
            },
            awaits: {
              // net1 fails only once net3 (after it) is made, net5 runs and net2 hangs.
              2: [
                { event: 'end', ifname: 'net3', ms: 60_000 },
                { event: 'start', ifname: 'net5', ms: 60_000 },
                { hangIn: pod.faultDir, ms: 60_000 },
              ],
              // net5 waits for a line that never comes: it is still running when net1 fails.
              6: [{ event: 'start', ifname: 'none', ms: 120_000 }],
            },
          };
          const add = await addWithWatchdog(pod.config(options), pod.call());

          const error = expectCniFailure(add, 11, [naming(2), FAULT_MSG]);
          expect(error.details).toBeUndefined(); // every rollback DEL succeeded
          const lines = pod.eventLines();
          const addLines = pod.eventLines('ADD');
          expect(addLines.filter((l) => l.startsWith('found ') || l.startsWith('missed '))).toEqual([
            'found ADD net1 <end ADD net3>',
            'found ADD net1 <start ADD net5>',
            'found ADD net1 <hang>',
          ]);
          expectBefore(lines, 'end ADD net3 0', 'end ADD net1 1');
          // Aborted while running: started, never ended. net6 shares net5's bridge: never started.
          expect(addLines.filter((l) => /^(start|end) ADD (net2|net5|net6)\b/u.test(l))).toEqual(
            expect.arrayContaining(['start ADD net2', 'start ADD net5']),
          );
          expect(addLines.filter((l) => /^(start|end) ADD (net2|net5|net6)\b/u.test(l))).toHaveLength(2);
          // The rollback: after every ADD line, all 8 DELeted (in reverse where they share a host
          // object), including net3 and net4 (after the failed one) and net6 (never started).
          const firstDel = lines.findIndex((l) => l.startsWith('start DEL'));
          expectParallelDels(lines.slice(firstDel));
          expect(lines.slice(0, firstDel).every((l) => !l.includes(' DEL '))).toBe(true);
          expect(
            pod
              .faultCalls()
              .map((c) => `${c.command} ${c.ifname} ${c.fault ?? '-'}`)
              .sort(),
          ).toEqual(['ADD net1 fail', 'ADD net2 hang', 'DEL net1 -', 'DEL net2 -']);
          await expectHangGone(pod);
          expect(await pod.leftovers()).toEqual(NOTHING_LEFT);
        },
        WATCHDOG_MS + 120_000,
      );

      it(
        `net2 hangs after making its interface while the others complete (net3..net6 after it too) → killed at ` +
          `delegateTimeoutSeconds ${TIMEOUT_S}, exit 1, code 106 naming net2; all 8 rolled back in reverse, nothing ` +
          `left`,
        async () => {
          const pod = newPod('h', cleanup);
          const others = IFNAMES.filter((n) => n !== 'net2');
          const options: PodOptions = {
            parallel: true,
            delegateTimeoutSeconds: TIMEOUT_S,
            faults: { 3: { on: 'ADD', do: 'hang', delegateFirst: true } },
            // net2 hangs only once every other attachment is made.
            awaits: { 3: others.map((ifname) => ({ event: 'end', ifname, ms: 60_000 })) },
          };
          const add = await addWithWatchdog(pod.config(options), pod.call());

          const error = expectCniFailure(add, 106, [naming(3), `timed out after ${TIMEOUT_S} s`]);
          expect(error.details).toBeUndefined();
          const lines = pod.eventLines();
          const firstDel = lines.findIndex((l) => l.startsWith('start DEL'));
          const addLines = lines.slice(0, firstDel);
          expect(addLines.filter((l) => l.startsWith('found ') || l.startsWith('missed '))).toEqual(
            others.map((n) => `found ADD net2 <end ADD ${n}>`),
          );
          // Every other attachment was made (before and after net2); net2 never ended; the shared bridge kept its
          // order.
          expect(startsAndEnds(addLines).sort()).toEqual([...oneAtATime('ADD', others), 'start ADD net2'].sort());
          expectBefore(addLines, 'end ADD net5', 'start ADD net6');
          // All 8 rolled back (in reverse where they share a host object).
          expectParallelDels(lines.slice(firstDel));
          expect(pod.faultCalls().map((c) => `${c.command} ${c.ifname} ${c.fault ?? '-'}`)).toEqual([
            'ADD net2 hang',
            'DEL net2 -',
          ]);
          await expectHangGone(pod);
          expect(await pod.leftovers()).toEqual(NOTHING_LEFT);
        },
        WATCHDOG_MS + 120_000,
      );
    });
    describe(
      'multus itself stopped mid-ADD with parallelDelegates: ' + 'true, while net1 and net2 hang (the other six made)',
      () => {
        const cleanup = new Cleanup(); // per test
        afterEach(() => expectClean(cleanup.runAll()));

        const HANGING = [2, 3] as const;

        /** net1 and net2 hang after making their interfaces, once the other six are made. */
        function twoHangs(_pod: ParallelPod): PodOptions {
          const others = IFNAMES.filter((n) => n !== 'net1' && n !== 'net2');
          const awaits = others.map((ifname): Await => ({ event: 'end', ifname, ms: 60_000 }));
          return {
            parallel: true,
            faults: {
              2: { on: 'ADD', do: 'hang', delegateFirst: true },
              3: { on: 'ADD', do: 'hang', delegateFirst: true },
            },
            awaits: { 2: awaits, 3: awaits },
          };
        }

        /**
         * Starts the ADD and returns once both hanging fault plugins (and their children) run and the other six are
         * recorded as added.
         */
        async function startHanging(
          pod: ParallelPod,
          config: Record<string, unknown>,
        ): Promise<{ running: ReturnType<typeof startMultus>; pids: number[] }> {
          const running = startMultus({ ...pod.call(), config, command: 'ADD' });
          const sixAdded = (): boolean => pod.recorded()?.filter((a) => a.state === 'added').length === 6;
          const pids = await waitFor('net1 and net2 to hang, the others recorded', 60_000, () =>
            pod.hangPids().length === 4 && sixAdded() ? pod.hangPids() : undefined,
          );
          expect(pids.filter(isRunning)).toEqual(pids);
          return { running, pids };
        }

        it(
          'SIGTERM to multus → exit 1, code 11 naming one of the two hanging delegates and SIGTERM; both process ' +
            'groups killed; all 8 rolled back in reverse, nothing left',
          async () => {
            const pod = newPod('t', cleanup);
            const { running, pids } = await startHanging(pod, pod.config(twoHangs(pod)));
            running.child.kill('SIGTERM');
            const add = await running.done;

            expect([add.signal, add.exitCode]).toEqual([null, 1]);
            const error = expectCniFailure(add, 11, ['multus received SIGTERM']);
            expect(HANGING.map((i) => error.msg.includes(naming(i)))).toContain(true);
            expect(pids.filter(isRunning)).toEqual([]);
            const lines = pod.eventLines();
            const firstDel = lines.findIndex((l) => l.startsWith('start DEL'));
            expect(startsAndEnds(lines.slice(0, firstDel)).sort()).toEqual(
              [
                ...oneAtATime(
                  'ADD',
                  IFNAMES.filter((n) => n !== 'net1' && n !== 'net2'),
                ),
                'start ADD net1',
                'start ADD net2',
              ].sort(),
            );
            expectParallelDels(lines.slice(firstDel));
            expect(await pod.leftovers()).toEqual(NOTHING_LEFT);
          },
        );

        it(
          "multus SIGKILLed, then the runtime's DEL → DEL exit 0, both orphaned delegates (their process groups) " +
            'killed, everything removed, nothing left',
          async () => {
            const pod = newPod('k', cleanup);
            const config = pod.config(twoHangs(pod));
            const { running, pids } = await startHanging(pod, config);
            running.child.kill('SIGKILL');
            const add = await running.done;
            expect(add.signal).toBe('SIGKILL');
            expect(add.stdout).toBe('');

            // What the runtime's DEL finds: both orphans still running, six attachments recorded as
            // added, and the dead holder's lock naming one delegate (a process group leader: a wrapper).
            expect(pids.filter(isRunning)).toEqual(pids);
            expect(pod.recorded()?.map((a) => a.state)).toEqual([
              'added',
              'added',
              'pending',
              'pending',
              'added',
              'added',
              'added',
              'added',
            ]);
            const lock = readFileSync(join(pod.cniDir, `${pod.containerId}-eth0.lock`), 'utf8')
              .trim()
              .split(/\s+/u);
            const lockChild = Number(lock[2]);
            const lockNames =
              `pid ${lockChild}, the ${pod.events().find((e) => e.pid === lockChild)?.ifname ?? '?'} wrapper, ` +
              `${isRunning(lockChild) ? 'running' : 'ended'}`;

            const del = await runMultus({ ...pod.call(), config, command: 'DEL' });
            expectCleanSuccess(del);
            expect(del.stdout).toBe('');
            // Every delegate the killed multus left running is killed, not only the one its lock names.
            for (let waited = 0; pids.some(isRunning) && waited < GONE_WITHIN_MS; waited += 50) await sleep(50);
            expect({ orphansRunning: pids.filter(isRunning), lockNamed: lockNames }).toEqual({
              orphansRunning: [],
              lockNamed: lockNames,
            });
            expect(await pod.leftovers()).toEqual(NOTHING_LEFT);
          },
        );
      },
    );
    describe('what parallelDelegates: true must keep in order', () => {
      const cleanup = new Cleanup(); // per test
      afterEach(() => expectClean(cleanup.runAll()));

      /** How long a wrapper waits for a start that must not come while it runs. */
      const MUST_MISS_MS = 2000;

      it(
        'an attachment of a type multus does not know (net2 as `vendor`, ptp behind it) runs alone: all before ' +
          'it end before it starts, it ends before any after it starts (waits for it and by it miss) → exit 0, ' +
          'recorded as vendor; DEL → nothing left',
        async () => {
          const pod = newPod('v', cleanup);
          const config = pod.config({
            parallel: true,
            vendor: [3],
            awaits: {
              2: [{ event: 'start', ifname: 'net2', ms: MUST_MISS_MS }],
              3: [{ event: 'start', ifname: 'net3', ms: MUST_MISS_MS }],
            },
          });
          const add = await runMultus({ ...pod.call(), config, command: 'ADD' });
          expectCleanSuccess(add);

          const lines = pod.eventLines('ADD');
          expect(lines.filter((l) => l.startsWith('found ') || l.startsWith('missed '))).toEqual([
            'missed ADD net1 <start ADD net2>',
            'missed ADD net2 <start ADD net3>',
          ]);
          for (const before of ['eth0', 'net0', 'net1']) expectBefore(lines, `end ADD ${before}`, 'start ADD net2');
          for (const after of ['net3', 'net4', 'net5', 'net6'])
            expectBefore(lines, 'end ADD net2', `start ADD ${after}`);
          expect(startsAndEnds(lines).sort()).toEqual(oneAtATime('ADD', IFNAMES).sort());
          expect(netnsLinkNames(pod.ns)).toEqual(['eth0', 'lo', ...IFNAMES.slice(1)].sort());
          expect(pod.recorded()?.map((a) => `${a.ifname} ${a.type} ${a.state}`)).toEqual(
            POD.map((a, i) => `${a.ifname} ${i === 3 ? 'vendor' : a.type} added`),
          );

          const del = await runMultus({ ...pod.call(), config, command: 'DEL' });
          expectCleanSuccess(del);
          expectParallelDels(pod.eventLines('DEL'), 'net2');
          expect(await pod.leftovers()).toEqual(NOTHING_LEFT);
        },
      );

      it.each(['sequential', 'parallel'] as const)(
        "%s: a macvlan whose master is the bridge an earlier attachment creates (net3 on eth0's bridge <b0>) " +
          'starts after that bridge attachment ended (its wait for net3 misses) → exit 0, net3 a macvlan on <b0>; ' +
          'DEL → nothing left',
        async (mode) => {
          const pod = newPod(mode === 'sequential' ? 'a' : 'b', cleanup);
          const config = pod.config({
            parallel: mode === 'parallel',
            masters: { 4: pod.bridges[0] },
            awaits: { 0: [{ event: 'start', ifname: 'net3', ms: MUST_MISS_MS }] },
          });
          const add = await runMultus({ ...pod.call(), config, command: 'ADD' });
          const lines = pod.eventLines('ADD');
          // Both attachments name the host device <b0>: one as `bridge`, one as `master`.
          expect({
            exitCode: add.exitCode,
            stdout: add.exitCode === 0 ? '(a result)' : add.stdout,
            waits: lines.filter((l) => l.startsWith('missed ') || l.startsWith('found ')),
          }).toEqual({
            exitCode: 0,
            stdout: '(a result)',
            waits: ['missed ADD eth0 <start ADD net3>'],
          });
          expectBefore(lines, 'end ADD eth0', 'start ADD net3');
          expect(netnsLinkKind(pod.ns, 'net3').kind).toBe('macvlan');

          expectCleanSuccess(await runMultus({ ...pod.call(), config, command: 'DEL' }));
          expect(await pod.leftovers()).toEqual(NOTHING_LEFT);
        },
      );
    });
  },
);
