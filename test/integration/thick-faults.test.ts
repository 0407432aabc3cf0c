/**
 * Thick mode's faults (issue 12), with the compiled multus-shim and `multus daemon`, real network
 * namespaces and the fault-matrix pod (bridge master eth0, ptp net0, bridge net1; see
 * support/fault-cell.ts): the daemon SIGKILLed mid-ADD, the daemon absent (fallback through the
 * thin binary, or code 11 with "daemonFallback": "fail"), two daemons on one socket, a stale
 * socket, SIGTERM to the daemon with a call in flight and to the shim mid-ADD. Every cell ends
 * with nothing left of its pod (links, leases, record, lock, processes).
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultCell, installFaultPlugin, type FaultBed } from './support/fault-cell';
import { isRunning, waitFor } from './support/fault-run';
import { netnsLinkNames } from './support/net';
import { expectCleanSuccess, expectCniError, type MultusRun } from './support/run-multus';
import { getStatus, postCall, postHead, rawExchange, WIRE_VERSION, type RawOptions } from '../support/daemon-socket';
import { assertThickPrerequisites, installStandIn, runShim, shimConfig, startShim, ThickDaemon } from './support/thick';
import { cacheFiles, useWorkspace } from './support/workspace';

const NET = 227; // 10.227.0.0/16 belongs to this file

/** The shim's own note on stderr names the request: `multus-shim: request <id>: ...`. */
function expectShimNote(run: MultusRun, requestId: string, fragment: string): void {
  const notes = run.stderr.split('\n').filter((l) => l.startsWith(`multus-shim: request ${requestId}: `));
  expect(notes.join('\n')).toContain(fragment);
}

describe('thick mode faults: the fault-matrix pod through multus-shim and multus daemon', () => {
  const { ws, cleanup, perFile } = useWorkspace('tf', { prerequisites: assertThickPrerequisites });
  let bed: FaultBed;
  let cells = 0;

  beforeAll(() => {
    const bridges = [`${ws.prefix}b0`, `${ws.prefix}b1`] as const;
    bridges.forEach((b) => perFile.link(b));
    bed = { ws, binDir: installFaultPlugin(ws), bridges, net: NET };
    installStandIn(bed.binDir);
  });

  function newCell(): { cell: FaultCell; call: { containerId: string; netns: string } } {
    cells += 1;
    const cell = new FaultCell(bed, `c${cells}`, cleanup);
    return { cell, call: { containerId: cell.containerId, netns: cell.netnsPath } };
  }

  const requestId = (what: string): Record<string, string> => ({ MULTUS_REQUEST_ID: `tf-${what}-${process.pid}` });

  describe('the daemon SIGKILLed mid-ADD (delegate 2 hangs after making its interface)', () => {
    it.each([
      { then: 'DEL through a restarted daemon (the stale socket is replaced)', restart: true },
      { then: 'DEL with the daemon still absent (through the thin binary)', restart: false },
    ])('→ the shim answers code 11 and exits; $then leaves nothing', async ({ restart }) => {
      const daemon = await ThickDaemon.start(ws.dir, cleanup);
      const { cell, call } = newCell();
      const conf = cell.config({ faults: { 1: { on: 'ADD', do: 'hang', delegateFirst: true } } });
      const config = shimConfig(conf, daemon);
      const running = startShim({ ...call, config, command: 'ADD', extraEnv: requestId('kill-add') });
      const pids = await waitFor('delegate 2 to hang', 30_000, () =>
        cell.hangPids().length === 2 ? cell.hangPids() : undefined,
      );
      expect(await daemon.signal('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

      const add = await running.done;
      expect(expectCniError(add, 11).msg).toContain('the call may be partly done, and DEL undoes it');
      expectShimNote(add, `tf-kill-add-${process.pid}`, 'was lost');
      expect(existsSync(daemon.socketPath)).toBe(true); // stale: nobody listens
      expect(pids.filter(isRunning)).toEqual(pids); // the orphaned delegate still runs
      expect(netnsLinkNames(cell.ns)).toEqual(['eth0', 'lo', 'net0']);

      if (restart) {
        const next = await ThickDaemon.start(ws.dir, cleanup, { config: { socketDir: daemon.socketDir } });
        expect(next.stderr()).not.toContain('another multus daemon');
      }
      const del = await runShim({ ...call, config, command: 'DEL', extraEnv: requestId('del') });
      expectCleanSuccess(del);
      expect(del.stdout).toBe('');
      if (!restart) expectShimNote(del, `tf-del-${process.pid}`, 'no daemon');
      expect(pids.filter(isRunning)).toEqual([]);
      await cell.expectNothingLeft();
    });
  });

  describe('no daemon at all', () => {
    it('fallback: ADD and DEL run through the thin binary beside the shim; stderr names the request', async () => {
      const { cell, call } = newCell();
      const config = { ...cell.config(), type: 'multus-shim', daemonSocketDir: join(ws.dir, 'no-daemon') };
      const add = await runShim({ ...call, config, command: 'ADD', extraEnv: requestId('fb-add') });
      expectCleanSuccess(add);
      expectShimNote(add, `tf-fb-add-${process.pid}`, 'no daemon');
      expectShimNote(add, `tf-fb-add-${process.pid}`, 'running the call through');
      expect(add.json?.['cniVersion']).toBe('1.0.0');
      expect(netnsLinkNames(cell.ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
      expect(cell.cachedStates()).toEqual(['added', 'added', 'added']);

      const del = await runShim({ ...call, config, command: 'DEL', extraEnv: requestId('fb-del') });
      expectCleanSuccess(del);
      expectShimNote(del, `tf-fb-del-${process.pid}`, 'no daemon');
      await cell.expectNothingLeft();
    });

    it('"daemonFallback": "fail" → code 11 at once, and nothing is run', async () => {
      const { cell, call } = newCell();
      const config = {
        ...cell.config({ recorded: [0, 1, 2] }),
        type: 'multus-shim',
        daemonSocketDir: join(ws.dir, 'no-daemon'),
        daemonFallback: 'fail',
      };
      for (const command of ['ADD', 'DEL'] as const) {
        const run = await runShim({ ...call, config, command, extraEnv: requestId('fail') });
        expect(expectCniError(run, 11).msg).toContain('multus daemon unavailable');
        expectShimNote(run, `tf-fail-${process.pid}`, 'daemonFallback is "fail"');
      }
      expect(cell.calls()).toEqual([]); // no delegate was called
      await cell.expectNothingLeft();
    });
  });

  it('two daemons on one socket: the second exits non-zero saying so, the first keeps serving', async () => {
    const first = await ThickDaemon.start(ws.dir, cleanup);
    const inode = statSync(first.socketPath).ino;
    const second = await ThickDaemon.start(ws.dir, cleanup, { config: { socketDir: first.socketDir }, wait: false });
    expect(await second.exited).toEqual({ code: 1, signal: null });
    expect(second.stderr()).toContain(`another multus daemon is serving ${first.socketPath}`);

    expect(statSync(first.socketPath).ino).toBe(inode);
    expect(await getStatus(first.socketPath, '/healthz')).toBe(200);
    const { cell, call } = newCell();
    const config = shimConfig(cell.config(), first, { daemonFallback: 'fail' });
    expectCleanSuccess(await runShim({ ...call, config, command: 'ADD' }));
    expectCleanSuccess(await runShim({ ...call, config, command: 'DEL' }));
    await cell.expectNothingLeft();
    expect(await first.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM to the daemon, a call in flight: the call finishes, the daemon exits 0, its socket is gone', async () => {
    const daemon = await ThickDaemon.start(ws.dir, cleanup);
    const { cell, call } = newCell();
    const conf = {
      name: 'tf-held',
      cniVersion: '1.0.0',
      cniDir: cell.cniDir,
      binDir: bed.binDir,
      delegates: [{ name: 'held', type: 'stand-in', hold: true }],
    };
    const config = shimConfig(conf, daemon, { daemonFallback: 'fail' });
    const running = startShim({ ...call, config, command: 'ADD' });
    await waitFor('the held ADD to start', 30_000, () =>
      existsSync(join(bed.binDir, `started-${call.containerId}`)) ? true : undefined,
    );
    daemon.child.kill('SIGTERM');
    await waitFor('the daemon to begin stopping', 30_000, () =>
      daemon.logLines().some((l) => l['msg'] === 'multus daemon stopping') ? true : undefined,
    );
    // Stopping: no new call is taken (the shim answers code 11 with fallback "fail"), the held one goes on.
    const refused = await runShim({ ...call, containerId: `${call.containerId}-x`, config, command: 'ADD' });
    expectCniError(refused, 11);
    expect(daemon.running).toBe(true);

    writeFileSync(join(bed.binDir, `release-${call.containerId}`), '');
    const add = await running.done;
    expectCleanSuccess(add);
    expect(add.json).toEqual(expect.objectContaining({ cniVersion: '1.0.0' }));
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(daemon.socketPath)).toBe(false);

    // The pod is there to delete: through the thin binary, the daemon being gone.
    expectCleanSuccess(await runShim({ ...call, config: { ...config, daemonFallback: 'thin' }, command: 'DEL' }));
    expect(cacheFiles(cell.cniDir)).toEqual([]);
  });

  it('SIGTERM to the shim mid-ADD: the daemon stops the ADD and rolls it back, nothing left', async () => {
    const daemon = await ThickDaemon.start(ws.dir, cleanup);
    const { cell, call } = newCell();
    const config = shimConfig(cell.config({ faults: { 1: { on: 'ADD', do: 'hang', delegateFirst: true } } }), daemon);
    const running = startShim({ ...call, config, command: 'ADD', extraEnv: requestId('term') });
    const pids = await waitFor('delegate 2 to hang', 30_000, () =>
      cell.hangPids().length === 2 ? cell.hangPids() : undefined,
    );
    running.child.kill('SIGTERM');
    expect((await running.done).signal).toBe('SIGTERM');

    // The daemon saw the shim go: it kills the hung delegate, rolls back and removes the record.
    await waitFor('the rollback', 30_000, () =>
      pids.every((p) => !isRunning(p)) && cacheFiles(cell.cniDir).length === 0 ? true : undefined,
    );
    await cell.expectNothingLeft();
    const own = daemon.logLines().filter((l) => l['requestId'] === `tf-term-${process.pid}`);
    expect(own.map((l) => l['msg'])).toContainEqual(expect.stringContaining('ADD failed'));
    expect(daemon.running).toBe(true);
    expect(await daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  describe('malformed requests on the socket: an error answer each, and the daemon serves the next call', () => {
    let daemon: ThickDaemon;

    beforeAll(async () => {
      daemon = await ThickDaemon.start(ws.dir, perFile, { config: { bodyTimeoutSeconds: 1 } });
    }, 60_000);

    const call = (extra: Record<string, unknown> = {}): string =>
      JSON.stringify({
        version: WIRE_VERSION,
        requestId: 'tf-raw',
        env: { CNI_COMMAND: 'VERSION' },
        stdin: '',
        ...extra,
      });
    const tenMiB = Buffer.alloc(10 * 1024 * 1024, 'x');

    /** One malformed request: what is sent; the answer: an HTTP status and, where the protocol has one, a CNI code. */
    const row = (
      what: string,
      parts: Array<string | Buffer>,
      status: number,
      code?: number,
      options?: RawOptions,
    ): { title: string; parts: Array<string | Buffer>; status: number; code?: number; options?: RawOptions } => ({
      title: `${what} → HTTP ${status}${code === undefined ? '' : ` with a CNI error of code ${code}`}`,
      parts,
      status,
      code,
      options,
    });
    const post = (body: string): string[] => [postHead(Buffer.byteLength(body)), body];

    it.each([
      row('garbage bytes (not HTTP)', ['\u0000\u0001\u0002 not http\r\n\r\n'], 400),
      row('a body that is not JSON', post('{{{{{{{'), 400, 6),
      row('a call of protocol version 2', post(call({ version: 2 })), 400, 6),
      row('a JSON body that is not a call (no env)', post(call({ env: undefined })), 400, 6),
      row('a truncated body, then the client closes its side', [postHead(1000), '{"version":1'], 400, undefined, {
        end: true,
      }),
      row('a truncated body, the connection left open', [postHead(1000), '{"version":1'], 408, 11),
      row('a 10 MB body', [postHead(tenMiB.length), tenMiB], 413, 7),
      row(
        'a body trickled slower than the body timeout (1 s)',
        [postHead(40), ...Array<string>(40).fill(' ')],
        408,
        11,
        {
          gapMs: 200,
        },
      ),
      row('an unknown path', ['GET /v2/cni HTTP/1.1\r\nHost: multus\r\n\r\n'], 404),
      row('GET on the call path', ['GET /v1/cni HTTP/1.1\r\nHost: multus\r\n\r\n'], 404),
    ])('$title', async ({ parts, options, status, code }) => {
      const reply = await rawExchange(daemon.socketPath, parts, { timeoutMs: 20_000, ...options });
      expect(reply.status).toBe(status);
      if (code !== undefined) {
        const answer = JSON.parse(reply.body) as { version: number; exitCode: number; stdout: string };
        expect(answer).toEqual(expect.objectContaining({ version: WIRE_VERSION, exitCode: 1 }));
        expect(JSON.parse(answer.stdout)).toEqual(expect.objectContaining({ code, msg: expect.any(String) }));
      }

      // The next good call is served: a DEL of a container the daemon never saw.
      const env = {
        CNI_COMMAND: 'DEL',
        CNI_CONTAINERID: 'tf-raw',
        CNI_NETNS: '',
        CNI_IFNAME: 'eth0',
        CNI_PATH: bed.binDir,
      };
      const stdin = {
        cniVersion: '1.0.0',
        name: 'tf-raw',
        type: 'multus-shim',
        cniDir: join(ws.dir, 'raw-cache'),
        binDir: bed.binDir,
        delegates: [{ name: 'raw', type: 'stand-in' }],
      };
      const good = await postCall(daemon.socketPath, 'tf-raw-good', env, stdin);
      expect(good).toEqual({
        status: 200,
        body: { version: WIRE_VERSION, requestId: 'tf-raw-good', exitCode: 0, stdout: '' },
      });
      expect(daemon.running).toBe(true);
    });
  });
});
