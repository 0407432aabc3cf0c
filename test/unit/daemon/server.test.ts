import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { CniEnv } from '../../../src/core/cni-env';
import { CniCode, CniError } from '../../../src/core/errors';
import type { PluginHandlers } from '../../../src/core/skel';
import { DaemonServer, type DaemonServerOptions } from '../../../src/daemon/server';
import { RecordingLogger } from '../../support/fakes';
import {
  testServerOptions,
  callBody,
  exchange,
  getStatus,
  postCall,
  postHead,
  rawExchange,
  type SocketAnswer,
} from '../../support/daemon-socket';
import { useTempDir } from '../../support/temp-dir';

/** A promise with its resolve at hand: a delegate that finishes when the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Polls until `probe` holds (a condition the server reaches asynchronously). */
async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !probe(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!probe()) throw new Error(`never happened: ${what}`);
}

/**
 * A scripted plugin: ADD answers a result naming the container, unless the container's name says
 * otherwise: `hold-*` waits until released (and records its stop signal), `fail-*` fails with code 7.
 */
class ScriptedPlugin implements PluginHandlers {
  readonly seen: Array<{ command: string; containerId: string; requestId?: string; signal?: AbortSignal }> = [];
  readonly holds = new Map<string, ReturnType<typeof deferred>>();

  async add(env: CniEnv, config: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    this.seen.push({ command: 'ADD', containerId: env.containerId, requestId: env.requestId, signal });
    if (env.containerId.startsWith('fail-')) throw new CniError(CniCode.InvalidConfig, `refused ${env.containerId}`);
    if (env.containerId.startsWith('hold-')) {
      const hold = deferred();
      this.holds.set(env.containerId, hold);
      await hold.promise;
    }
    return { cniVersion: config['cniVersion'], interfaces: [{ name: env.ifname, sandbox: env.netns }], ips: [] };
  }

  async del(env: CniEnv): Promise<void> {
    this.seen.push({ command: 'DEL', containerId: env.containerId });
    return Promise.resolve();
  }

  check(): Promise<void> {
    return Promise.resolve();
  }

  gc(): Promise<void> {
    return Promise.resolve();
  }

  status(): Promise<void> {
    return Promise.resolve();
  }

  /** The call on `containerId` has reached the plugin and is held there. */
  async held(containerId: string): Promise<ReturnType<typeof deferred>> {
    await until(`${containerId} held`, () => this.holds.has(containerId));
    return this.holds.get(containerId) as ReturnType<typeof deferred>;
  }

  signalOf(containerId: string): AbortSignal | undefined {
    return this.seen.find((s) => s.containerId === containerId)?.signal;
  }
}

const env = (command: string, containerId: string): Record<string, string> => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: containerId,
  CNI_NETNS: `/var/run/netns/${containerId}`,
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
});
const CONFIG = { cniVersion: '1.0.0', name: 'n', type: 'multus', delegates: [{ type: 'x' }] };

/** The CNI error a refusal or a failed call printed. */
function cniError(answer: SocketAnswer): { code: number; msg: string } {
  expect(answer.body.exitCode).toBe(1);
  return JSON.parse(answer.body.stdout ?? '') as { code: number; msg: string };
}

describe('DaemonServer', () => {
  const dir = useTempDir('multus-daemon-server-');
  let plugin: ScriptedPlugin;
  let log: RecordingLogger;
  let server: DaemonServer | undefined;
  let socket: string;

  async function start(options: Partial<DaemonServerOptions> = {}): Promise<DaemonServer> {
    plugin = new ScriptedPlugin();
    log = new RecordingLogger();
    socket = join(dir(), 'run', 'multus.sock');
    server = new DaemonServer(testServerOptions(socket, plugin, log, options));
    await server.start();
    return server;
  }

  const call = (command: string, containerId: string, requestId = `r-${containerId}`): Promise<SocketAnswer> =>
    postCall(socket, requestId, env(command, containerId), CONFIG);

  afterEach(async () => {
    for (const hold of plugin?.holds.values() ?? []) hold.resolve();
    await server?.stop(1000);
    server = undefined;
  });

  test("a call runs through the skeleton and the plugin with the call's own env and stdin", async () => {
    await start();
    const answer = await call('ADD', 'c1', 'req-1');
    expect(answer).toEqual({
      status: 200,
      body: {
        version: 1,
        requestId: 'req-1',
        exitCode: 0,
        stdout: JSON.stringify({
          cniVersion: '1.0.0',
          interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/c1' }],
          ips: [],
        }),
      },
    });
    expect(plugin.seen).toEqual([expect.objectContaining({ command: 'ADD', containerId: 'c1', requestId: 'req-1' })]);
    expect((await call('DEL', 'c1')).body).toEqual(expect.objectContaining({ exitCode: 0, stdout: '' }));
  });

  test("a failing call: HTTP 200, exit 1 and the plugin's CNI error as stdout", async () => {
    await start();
    const answer = await call('ADD', 'fail-1');
    expect(answer.status).toBe(200);
    expect(cniError(answer)).toEqual(expect.objectContaining({ code: 7, msg: 'refused fail-1' }));
  });

  test('VERSION is answered without the plugin', async () => {
    await start();
    const answer = await postCall(socket, 'v', { CNI_COMMAND: 'VERSION' }, '');
    expect(answer.body.exitCode).toBe(0);
    expect(JSON.parse(answer.body.stdout ?? '')).toEqual(
      expect.objectContaining({ supportedVersions: expect.any(Array) }),
    );
    expect(plugin.seen).toEqual([]);
  });

  test.each([
    { what: 'not JSON', body: '{"version": 1,', code: CniCode.DecodeFailure },
    {
      what: 'protocol version 2',
      body: callBody('r', env('ADD', 'c'), CONFIG).replace('"version":1', '"version":2'),
      code: 6,
    },
    {
      what: 'env values not strings',
      body: JSON.stringify({ version: 1, requestId: 'r', env: { A: 1 }, stdin: '' }),
      code: 6,
    },
    { what: 'stdin missing', body: JSON.stringify({ version: 1, requestId: 'r', env: {} }), code: 6 },
  ])(
    'a malformed call ($what) → 400 with a CNI error of code $code; the next call is served',
    async ({ body, code }) => {
      await start();
      const answer = await exchange(socket, 'POST', '/v1/cni', body);
      expect(answer.status).toBe(400);
      expect(cniError(answer).code).toBe(code);
      expect(plugin.seen).toEqual([]);
      expect((await call('ADD', 'next')).body.exitCode).toBe(0);
    },
  );

  test('a body over maxRequestBytes → 413, code 7; the next call is served', async () => {
    await start({ maxRequestBytes: 2048 });
    const big = callBody('r', env('ADD', 'big'), { ...CONFIG, pad: 'x'.repeat(4096) });
    const answer = await exchange(socket, 'POST', '/v1/cni', big);
    expect(answer.status).toBe(413);
    expect(cniError(answer).code).toBe(CniCode.InvalidConfig);
    expect((await call('ADD', 'next')).body.exitCode).toBe(0);
  });

  test('a body slower than bodyTimeoutMs → 408, code 11; the next call is served', async () => {
    await start({ bodyTimeoutMs: 200 });
    const reply = await rawExchange(socket, [postHead(100), '{"version"'], { timeoutMs: 10_000 });
    expect(reply.status).toBe(408);
    expect(JSON.parse((JSON.parse(reply.body) as { stdout: string }).stdout)).toEqual(
      expect.objectContaining({ code: CniCode.TryAgainLater }),
    );
    expect((await call('ADD', 'next')).body.exitCode).toBe(0);
  });

  test('unknown paths and methods → 404', async () => {
    await start();
    expect(await getStatus(socket, '/v2/cni')).toBe(404);
    expect(await getStatus(socket, '/v1/cni')).toBe(404);
  });

  test('GET /v1/records answers the listing; 404 without one, or for another method', async () => {
    await start();
    expect(await getStatus(socket, '/v1/records')).toBe(404);
    await server?.stop(1000);
    await start({ records: () => Promise.resolve({ synced: true, records: [] }) });
    expect(await exchange(socket, 'GET', '/v1/records')).toEqual({ status: 200, body: { synced: true, records: [] } });
    expect(await getStatus(socket, '/v1/records?x=1')).toBe(200);
    expect((await exchange(socket, 'POST', '/v1/records', '{}')).status).toBe(404);
  });

  test('GET /v1/records whose listing fails: 500 with the CNI error, and the server goes on', async () => {
    await start({ records: () => Promise.reject(new CniError(CniCode.IoFailure, 'cannot read cache dir /c')) });
    const answer = await exchange(socket, 'GET', '/v1/records');
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body.stdout ?? '')).toMatchObject({ code: 5, msg: 'cannot read cache dir /c' });
    expect(await getStatus(socket, '/healthz')).toBe(200);
  });

  test('/healthz answers 200; /readyz 503 with the reason until ready, then 200', async () => {
    let why: string | undefined = 'readiness indicator file /x does not exist';
    await start({ notReady: () => Promise.resolve(why) });
    expect(await getStatus(socket, '/healthz')).toBe(200);
    expect(await exchange(socket, 'GET', '/readyz')).toEqual({ status: 503, body: { status: why } });
    why = undefined;
    expect((await exchange(socket, 'GET', '/readyz')).status).toBe(200);
  });

  test('busy: with every slot taken and the queue full, a call → 503, code 11; a freed slot serves again', async () => {
    await start({ maxConcurrentRequests: 1, maxQueuedRequests: 1 });
    const held = call('ADD', 'hold-1');
    const hold = await plugin.held('hold-1');
    const queued = call('ADD', 'queued');
    await until('one call queued', () => server?.queued === 1);

    const busy = await call('ADD', 'refused');
    expect(busy.status).toBe(503);
    expect(cniError(busy).code).toBe(CniCode.TryAgainLater);

    hold.resolve();
    expect((await held).body.exitCode).toBe(0);
    expect((await queued).body.exitCode).toBe(0);
    expect(plugin.seen.map((s) => s.containerId)).toEqual(['hold-1', 'queued']);
  });

  test("the call's stop signal is aborted when the client goes away", async () => {
    await start();
    const client = connect(socket);
    const body = callBody('gone', env('ADD', 'hold-gone'), CONFIG);
    client.write(`${postHead(Buffer.byteLength(body))}${body}`);
    await plugin.held('hold-gone');
    const signal = plugin.signalOf('hold-gone');
    expect(signal?.aborted).toBe(false);
    client.destroy();
    await until('the signal aborted', () => signal?.aborted === true);
    expect(server?.inFlight).toBe(1); // the plugin decides how to stop (it rolls back), then the slot is freed
    plugin.holds.get('hold-gone')?.resolve();
    await until('the slot freed', () => server?.inFlight === 0);
  });

  test('a call past requestTimeoutMs has its stop signal aborted', async () => {
    await start({ requestTimeoutMs: 100 });
    const answer = call('ADD', 'hold-slow');
    await plugin.held('hold-slow');
    const signal = plugin.signalOf('hold-slow');
    await until('the signal aborted', () => signal?.aborted === true);
    plugin.holds.get('hold-slow')?.resolve();
    expect((await answer).status).toBe(200);
  });

  test('stop drains: no new call is taken, the one in flight is answered, the socket file goes', async () => {
    await start();
    const inFlight = call('ADD', 'hold-drain');
    const hold = await plugin.held('hold-drain');
    const stopped = (server as DaemonServer).stop(30_000);
    await expect(call('ADD', 'late')).rejects.toThrow();
    expect(existsSync(socket)).toBe(true);

    hold.resolve();
    expect((await inFlight).body).toEqual(expect.objectContaining({ exitCode: 0, requestId: 'r-hold-drain' }));
    await stopped;
    expect(existsSync(socket)).toBe(false);
    expect(plugin.seen.map((s) => s.containerId)).toEqual(['hold-drain']);
    server = undefined;
  });

  test('stop gives up on a call that outlives the grace period and still removes the socket file', async () => {
    await start();
    const stuck = call('ADD', 'hold-stuck').catch((err: NodeJS.ErrnoException) => err.code);
    await plugin.held('hold-stuck');
    await (server as DaemonServer).stop(100);
    expect(existsSync(socket)).toBe(false);
    expect(await stuck).toBe('ECONNRESET'); // its connection was closed: the shim answers code 11
    server = undefined;
  });
});
