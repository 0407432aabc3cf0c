/**
 * The fault matrix (issue 4): the compiled dist/multus, real network namespaces, Debian's
 * reference plugins (bridge, ptp, host-local) and test/plugins/fault-plugin.js, a test plugin
 * that stands in front of a real plugin and fails, hangs, prints garbage or dies on demand.
 *
 * The pod has three delegates: bridge (master, eth0), ptp (net0), bridge (net1). Every cell
 * asserts the exact outcome (exit status, error code, a message naming the network, its type
 * and interface) and that nothing is left: only lo in the pod, no host veth or bridge port of
 * it, no ptp address on the host, no host-local lease, no file in the cache dir (entry or lock),
 * no process still running with the cell's container id (hung delegates and their children).
 *
 * Titles are written `case → outcome`: scripts/reliability-report.mjs turns them into the table
 * of docs/reliability.md. The API server down at ADD and at DEL is covered by
 * kube-api-down.test.ts (also in that report).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FaultCell, installFaultPlugin, POD_DELEGATES, type FaultBed, type FaultSpec } from './support/fault-cell';
import { isRunning, startMultus, waitFor, type SignalledRun } from './support/fault-run';
import { hostLink, ip, netnsLinkNames } from './support/net';
import { expectCleanSuccess, expectCniFailure, runMultus } from './support/run-multus';
import { useWorkspace } from './support/workspace';

const NET = 239; // 10.239.0.0/16 belongs to this file
const FAULT_MSG = 'injected by the fault plugin';
/**
 * The delegate timeout of the hang cells. The hanging fault plugin sleeps for ever, so only this
 * timeout ends it; but the same timeout also bounds every real plugin the cell runs (ptp's ADD,
 * the rollback DELs, the fault plugin starting node before it delegates), and those must finish
 * within it even when this file runs beside the 16-wide concurrency test on two loaded cores:
 * seconds of slack, not a race.
 */
const TIMEOUT_S = 5;
/** A hang cell's ADD takes the timeout plus the real plugins around it; more means it was not ended by the timeout. */
const HANG_ADD_BOUND_MS = (TIMEOUT_S + 8) * 1000;

/** How multus names an attachment in its errors: `network "n" (delegates[i], type "t", interface x): CMD failed`. */
function naming(position: number, type: string, command: 'ADD' | 'DEL' | 'CHECK'): string[] {
  const d = POD_DELEGATES[position] as (typeof POD_DELEGATES)[number];
  return [`network "${d.network}" (delegates[${position}], type "${type}", interface ${d.ifname}): ${command} failed`];
}

describe('fault matrix: a 3-delegate pod (bridge, ptp, bridge) through dist/multus', () => {
  const { ws, cleanup, perFile } = useWorkspace('fm');
  let bed: FaultBed;
  let cellCount = 0;

  beforeAll(() => {
    const bridges = [`${ws.prefix}b0`, `${ws.prefix}b1`] as const;
    bridges.forEach((b) => perFile.link(b));
    bed = { ws, binDir: installFaultPlugin(ws), bridges, net: NET };
  });

  /** A fresh cell: netns, container id and state dirs of its own. */
  function newCell(): { cell: FaultCell; call: { containerId: string; netns: string } } {
    cellCount += 1;
    const cell = new FaultCell(bed, `c${cellCount}`, cleanup);
    return { cell, call: { containerId: cell.containerId, netns: cell.netnsPath } };
  }

  async function addAll(
    cell: FaultCell,
    call: { containerId: string; netns: string },
    config: Record<string, unknown>,
  ): Promise<void> {
    expectCleanSuccess(await runMultus({ ...call, config, command: 'ADD' }));
    expect(netnsLinkNames(cell.ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
    expect(cell.cachedStates()).toEqual(['added', 'added', 'added']);
  }

  describe('ADD fails at delegate k', () => {
    test.each([
      { k: 1, position: 0, real: 'bridge', ifname: 'eth0' },
      { k: 2, position: 1, real: 'ptp', ifname: 'net0' },
      { k: 3, position: 2, real: 'bridge', ifname: 'net1' },
    ])(
      'delegate $k of 3 ($real, $ifname) fails on ADD → exit 1, code 11 and its message naming it, rolled back, ' +
        'nothing left',
      async ({ position }) => {
        const { cell, call } = newCell();
        const fault: FaultSpec = { on: 'ADD', do: 'fail', code: 11, msg: FAULT_MSG };
        const add = await runMultus({
          ...call,
          config: cell.config({ faults: { [position]: fault } }),
          command: 'ADD',
        });

        const error = expectCniFailure(add, 11, [...naming(position, 'fault', 'ADD'), FAULT_MSG]);
        expect(error.cniVersion).toBe('1.0.0');
        expect(error.details).toBeUndefined(); // every rollback DEL succeeded
        // The failing delegate was itself DELeted in the rollback (it may have made something).
        expect(cell.callSummary()).toEqual([
          `ADD ${POD_DELEGATES[position]?.ifname}`,
          `DEL ${POD_DELEGATES[position]?.ifname}`,
        ]);
        // The delegates before it really ran: the master's bridge exists when k > 1.
        if (position > 0) expect(hostLink(bed.bridges[0])).toBeDefined();
        await cell.expectNothingLeft();
      },
    );
  });

  describe('a delegate misbehaves after making its interface (delegate 2 of 3, ptp, net0)', () => {
    test.each<{ title: string; fault: FaultSpec; code: number; mentions: string[] }>([
      {
        title: 'prints output that is not JSON → exit 1, code 102 naming it, rolled back, nothing left',
        fault: { do: 'garbage' },
        code: 102,
        mentions: ['plugin "fault" ADD printed output that is not JSON', 'this is not JSON {'],
      },
      {
        title: 'prints an empty result on ADD (exit 0) → exit 1, code 102 naming it, rolled back, nothing left',
        fault: { do: 'empty' },
        code: 102,
        mentions: ['the plugin printed nothing on ADD'],
      },
      {
        title:
          'prints a result of an unknown cniVersion → exit 1, code 1 naming it and the version, rolled back, ' +
          'nothing left',
        fault: { do: 'unknown-version' },
        code: 1,
        mentions: ['unsupported CNI version "9.9.9"'],
      },
      {
        title:
          'prints an error JSON with exit status 0 → exit 1 with its code (7) and message, rolled back, nothing left',
        fault: { do: 'error-exit0', code: 7, msg: FAULT_MSG },
        code: 7,
        mentions: [FAULT_MSG],
      },
      {
        title: 'is killed by SIGKILL → exit 1, code 100 naming it and the signal, rolled back, nothing left',
        fault: { do: 'die', signal: 'SIGKILL' },
        code: 100,
        mentions: ['plugin "fault" ADD was killed by signal SIGKILL'],
      },
      {
        title: 'is killed by SIGTERM → exit 1, code 100 naming it and the signal, rolled back, nothing left',
        fault: { do: 'die', signal: 'SIGTERM' },
        code: 100,
        mentions: ['plugin "fault" ADD was killed by signal SIGTERM'],
      },
    ])('delegate 2 of 3 $title', async ({ fault, code, mentions }) => {
      const { cell, call } = newCell();
      const add = await runMultus({
        ...call,
        config: cell.config({ faults: { 1: { on: 'ADD', delegateFirst: true, ...fault } } }),
        command: 'ADD',
      });

      expectCniFailure(add, code, [...naming(1, 'fault', 'ADD'), ...mentions]);
      expect(cell.callSummary()).toEqual(['ADD net0', 'DEL net0']);
      await cell.expectNothingLeft();
    });
  });

  describe(`a delegate hangs (delegateTimeoutSeconds: ${TIMEOUT_S})`, () => {
    test.each([
      { when: 'before doing anything', delegateFirst: false },
      { when: 'after making its interface', delegateFirst: true },
    ])(
      'delegate 2 of 3 (ptp) hangs on ADD $when → exit 1, code 106 naming it and the timeout, its process group ' +
        'killed, rolled back, nothing left',
      async ({ delegateFirst }) => {
        const { cell, call } = newCell();
        const config = cell.config({
          delegateTimeoutSeconds: TIMEOUT_S,
          faults: { 1: { on: 'ADD', do: 'hang', delegateFirst } },
        });
        const add = await runMultus({ ...call, config, command: 'ADD' });

        expectCniFailure(add, 106, [
          ...naming(1, 'fault', 'ADD'),
          `plugin "fault" ADD timed out after ${TIMEOUT_S} s; its process group was killed`,
        ]);
        expect(add.ms).toBeLessThan(HANG_ADD_BOUND_MS);
        const pids = cell.hangPids();
        expect(pids).toHaveLength(2); // the plugin and the child it started
        expect(pids.filter(isRunning)).toEqual([]);
        expect(cell.callSummary()).toEqual(['ADD net0', 'DEL net0']);
        await cell.expectNothingLeft();
      },
    );

    it(
      'delegate 2 of 3 (ptp) hangs on DEL once → DEL exit 1, code 106 naming it, the record kept for a retry; the ' +
        'retried DEL → exit 0, nothing left',
      async () => {
        const { cell, call } = newCell();
        const config = cell.config({
          delegateTimeoutSeconds: TIMEOUT_S,
          faults: { 1: { on: 'DEL', do: 'hang', times: 1 } },
        });
        await addAll(cell, call, config);

        const del = await runMultus({ ...call, config, command: 'DEL' });
        expectCniFailure(del, 106, [...naming(1, 'fault', 'DEL'), `plugin "fault" DEL timed out after ${TIMEOUT_S} s`]);
        expect(cell.hangPids().filter(isRunning)).toEqual([]);
        // Nothing lost: the other two are deleted, the one that timed out stays recorded.
        expect(cell.cachedStates()).toEqual(['deleted', 'added', 'deleted']);
        expect(netnsLinkNames(cell.ns)).toEqual(['lo', 'net0']);

        expectCleanSuccess(await runMultus({ ...call, config, command: 'DEL' }));
        expect(cell.callSummary()).toEqual(['ADD net0', 'DEL net0', 'DEL net0']);
        await cell.expectNothingLeft();
      },
    );
  });

  describe('DEL failures keep what is left recorded', () => {
    it(
      'delegate 2 of 3 (ptp) fails on DEL once → DEL exit 1 with its code (11) naming it, the record kept; the ' +
        'retried DEL → exit 0, nothing left',
      async () => {
        const { cell, call } = newCell();
        const config = cell.config({ faults: { 1: { on: 'DEL', do: 'fail', code: 11, msg: FAULT_MSG, times: 1 } } });
        await addAll(cell, call, config);

        const del = await runMultus({ ...call, config, command: 'DEL' });
        expectCniFailure(del, 11, [...naming(1, 'fault', 'DEL'), FAULT_MSG]);
        expect(cell.cachedStates()).toEqual(['deleted', 'added', 'deleted']);

        expectCleanSuccess(await runMultus({ ...call, config, command: 'DEL' }));
        await cell.expectNothingLeft();
      },
    );

    it(
      "delegate 3 of 3 fails on ADD and the rollback DEL of delegate 2 fails once → exit 1 with delegate 3's " +
        "code, details naming the rollback failure, the record kept; the runtime's DEL → exit 0, nothing left",
      async () => {
        const { cell, call } = newCell();
        const config = cell.config({
          faults: {
            1: { on: 'DEL', do: 'fail', code: 11, msg: 'rollback DEL refused', times: 1 },
            2: { on: 'ADD', do: 'fail', code: 11, msg: FAULT_MSG },
          },
        });
        const add = await runMultus({ ...call, config, command: 'ADD' });
        const error = expectCniFailure(add, 11, [...naming(2, 'fault', 'ADD'), FAULT_MSG]);
        expect(error.details).toContain(`${naming(1, 'fault', 'DEL')[0]}: rollback DEL refused`);
        expect(error.details).toContain("stay recorded for the runtime's DEL");
        expect(cell.cachedStates()).toEqual(['deleted', 'added', 'deleted']);

        expectCleanSuccess(await runMultus({ ...call, config, command: 'DEL' }));
        await cell.expectNothingLeft();
      },
    );
  });

  describe('multus itself is stopped mid-ADD', () => {
    it(
      'multus SIGKILLed after delegate 1 succeeded, while delegate 2 hangs (after making its interface), then DEL ' +
        '→ DEL exit 0, everything removed, the orphaned delegate killed',
      async () => {
        const { cell, call } = newCell();
        const config = cell.config({ faults: { 1: { on: 'ADD', do: 'hang', delegateFirst: true } } });
        const running = startMultus({ ...call, config, command: 'ADD' });
        const pids = await waitFor('delegate 2 to hang', 60_000, () =>
          cell.hangPids().length === 2 ? cell.hangPids() : undefined,
        );
        running.child.kill('SIGKILL');
        const add: SignalledRun = await running.done;
        expect(add.signal).toBe('SIGKILL');
        expect(add.stdout).toBe('');

        // What the runtime's DEL finds: the orphan still running, eth0 and net0 made, the record and the dead holder's
        // lock.
        expect(pids.filter(isRunning)).toEqual(pids);
        expect(netnsLinkNames(cell.ns)).toEqual(['eth0', 'lo', 'net0']);
        expect(cell.cachedStates()).toEqual(['added', 'pending', 'pending']);
        expect(existsSync(join(cell.cniDir, `${cell.containerId}-eth0.lock`))).toBe(true);

        const del = await runMultus({ ...call, config, command: 'DEL' });
        expectCleanSuccess(del);
        expect(del.stdout).toBe('');
        expect(pids.filter(isRunning)).toEqual([]);
        await cell.expectNothingLeft();
      },
    );

    it(
      'multus SIGKILLed by delegate 3 itself after making its interface (delegates 1 and 2 done), then DEL → DEL ' +
        'exit 0, everything removed, the orphaned delegate killed',
      async () => {
        const { cell, call } = newCell();
        const config = cell.config({ faults: { 2: { on: 'ADD', do: 'kill-parent-then-hang', delegateFirst: true } } });
        const add = await startMultus({ ...call, config, command: 'ADD' }).done;
        expect(add.signal).toBe('SIGKILL');
        const pids = cell.hangPids();
        expect(pids).toHaveLength(2);
        expect(pids.filter(isRunning)).toEqual(pids);
        expect(netnsLinkNames(cell.ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
        expect(cell.cachedStates()).toEqual(['added', 'added', 'pending']);

        expectCleanSuccess(await runMultus({ ...call, config, command: 'DEL' }));
        expect(pids.filter(isRunning)).toEqual([]);
        await cell.expectNothingLeft();
      },
    );

    it(
      'multus SIGKILLed while delegate 2 hangs, then the runtime retries ADD for the same container → exit 0, the ' +
        'orphan killed and the half-made attachments deleted first, the pod up; DEL → nothing left',
      async () => {
        const { cell, call } = newCell();
        const hanging = cell.config({ faults: { 1: { on: 'ADD', do: 'hang', delegateFirst: true, times: 1 } } });
        const running = startMultus({ ...call, config: hanging, command: 'ADD' });
        const pids = await waitFor('delegate 2 to hang', 60_000, () =>
          cell.hangPids().length === 2 ? cell.hangPids() : undefined,
        );
        running.child.kill('SIGKILL');
        expect((await running.done).signal).toBe('SIGKILL');

        // The same config again: the fault fired once and now lets the real ptp plugin through.
        const retry = await runMultus({ ...call, config: hanging, command: 'ADD' });
        expectCleanSuccess(retry);
        expect(pids.filter(isRunning)).toEqual([]);
        expect(netnsLinkNames(cell.ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
        expect(cell.cachedStates()).toEqual(['added', 'added', 'added']);
        // ADD (hung), then the stale record's DEL of net0, then the retried ADD.
        expect(cell.callSummary()).toEqual(['ADD net0', 'DEL net0', 'ADD net0']);

        expectCleanSuccess(await runMultus({ ...call, config: hanging, command: 'DEL' }));
        await cell.expectNothingLeft();
      },
    );

    it(
      'SIGTERM to multus while delegate 2 hangs → exit 1, code 11 naming the delegate and SIGTERM, its process ' +
        'group killed, rolled back, nothing left',
      async () => {
        const { cell, call } = newCell();
        const config = cell.config({ faults: { 1: { on: 'ADD', do: 'hang', delegateFirst: true } } });
        const running = startMultus({ ...call, config, command: 'ADD' });
        const pids = await waitFor('delegate 2 to hang', 60_000, () =>
          cell.hangPids().length === 2 ? cell.hangPids() : undefined,
        );
        running.child.kill('SIGTERM');
        const add = await running.done;

        expect([add.signal, add.exitCode]).toEqual([null, 1]);
        expect(pids.filter(isRunning)).toEqual([]);
        expect(cell.callSummary()).toEqual(['ADD net0', 'DEL net0']);
        await cell.expectNothingLeft();
        // Code 11, as when the stop lands between two delegates (orchestrator `cancelled()`), not
        // 100: the runtime must see "try again later" whichever delegate was running.
        expectCniFailure(add, 11, [...naming(1, 'fault', 'ADD'), 'multus received SIGTERM']);
      },
    );
  });

  describe('DEL in odd situations', () => {
    it('DEL twice after a good ADD → both exit 0, nothing left after the first', async () => {
      const { cell, call } = newCell();
      const config = cell.config({ recorded: [1] });
      await addAll(cell, call, config);

      const first = await runMultus({ ...call, config, command: 'DEL' });
      expectCleanSuccess(first);
      expect(first.stdout).toBe('');
      await cell.expectNothingLeft();
      const second = await runMultus({ ...call, config, command: 'DEL' });
      expectCleanSuccess(second);
      expect(second.stdout).toBe('');
      await cell.expectNothingLeft();
    });

    it('DEL without ADD → exit 0, nothing made, nothing left', async () => {
      const { cell, call } = newCell();
      const config = cell.config({ recorded: [1] });
      const del = await runMultus({ ...call, config, command: 'DEL' });
      expectCleanSuccess(del);
      expect(del.stdout).toBe('');
      // Without a record, the configured delegates get a best-effort DEL (IPAM leases would be released).
      expect(cell.callSummary()).toEqual(['DEL net0']);
      await cell.expectNothingLeft();
    });

    it('DEL with the netns gone after a good ADD → exit 0, leases and record removed, nothing left', async () => {
      const { cell, call } = newCell();
      const config = cell.config();
      await addAll(cell, call, config);
      ip(['netns', 'del', cell.ns]);

      const del = await runMultus({ ...call, config, command: 'DEL' });
      expectCleanSuccess(del);
      expect(del.stdout).toBe('');
      await cell.expectNothingLeft();
    });
  });

  describe('CHECK', () => {
    test.each([
      { k: 1, position: 0, type: 'bridge', ifname: 'eth0' },
      { k: 2, position: 1, type: 'ptp', ifname: 'net0' },
      { k: 3, position: 2, type: 'bridge', ifname: 'net1' },
    ])(
      "CHECK after delegate $k's interface ($type, $ifname) was removed by hand → exit 1, code 999 (from the " +
        'plugin) naming it; DEL then → exit 0, nothing left',
      async ({ position, type, ifname }) => {
        const { cell, call } = newCell();
        const config = cell.config();
        await addAll(cell, call, config);
        expectCleanSuccess(await runMultus({ ...call, config, command: 'CHECK' }));

        ip(['-n', cell.ns, 'link', 'del', ifname]);
        const check = await runMultus({ ...call, config, command: 'CHECK' });
        expectCniFailure(check, 999, [...naming(position, type, 'CHECK'), ifname]);

        expectCleanSuccess(await runMultus({ ...call, config, command: 'DEL' }));
        await cell.expectNothingLeft();
      },
    );
  });
});
