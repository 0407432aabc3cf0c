import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CniCode, CniError, toCniError } from '../core/errors';
import { isObject } from '../core/json';
import type { Logger } from '../core/ports/logger';
import { runSkel, type PluginHandlers } from '../core/skel';
import { LATEST_VERSION } from '../core/version';
import {
  CNI_PATH,
  HEALTH_PATH,
  PROTOCOL_VERSION,
  READY_PATH,
  RECORDS_PATH,
  type CniAnswer,
  type CniCall,
} from './protocol';
import { GateFull, RequestGate } from './request-gate';
import { bindSocket, releaseSocket } from './socket';

export interface DaemonServerOptions {
  readonly socketPath: string;
  readonly plugin: PluginHandlers;
  readonly log: Logger;
  readonly maxConcurrentRequests: number;
  readonly maxQueuedRequests: number;
  readonly maxRequestBytes: number;
  /** A call's whole time in the daemon; an ADD past it is stopped and rolled back (code 11). */
  readonly requestTimeoutMs: number;
  /** How long a request's body may take to arrive (a slowly trickled request is refused). */
  readonly bodyTimeoutMs: number;
  /** Why an ADD could not succeed now, or undefined when it could (for /readyz). */
  readonly notReady: () => Promise<string | undefined>;
  /** Told how each request ended (the daemon's metrics); none when metrics are off. */
  readonly observer?: CallObserver;
  /** The records' listing for GET /v1/records (the reconcile loop's); 404 without it. */
  readonly records?: () => Promise<object>;
}

/** A call the daemon ran, as the metrics see it. */
export interface CallOutcome {
  /** CNI_COMMAND as the runtime gave it. */
  readonly command: string;
  readonly exitCode: number;
  /** The `code` of the CNI error the call printed (exit code 1), 0 on success, undefined when there is none. */
  readonly code: number | undefined;
  /** From the request read to the answer, the wait for a free slot included. */
  readonly seconds: number;
}

/** Told how each request to the daemon ended. */
export interface CallObserver {
  /** A call the daemon ran (it got a slot). */
  callFinished(outcome: CallOutcome): void;
  /** A request answered without running it (malformed, too large or slow, busy, stopping): its CNI code. */
  callRefused(code: number): void;
}

/** A call the daemon refuses before running it: an HTTP status and the CNI error the shim prints. */
class Refusal extends Error {
  override readonly name = 'Refusal';

  constructor(
    readonly status: number,
    readonly error: CniError,
  ) {
    super(error.msg);
  }
}

function answer(res: ServerResponse, status: number, body: CniAnswer | Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorAnswer(requestId: string, error: CniError): CniAnswer {
  const stdout = JSON.stringify(error.toJSON(LATEST_VERSION));
  return { version: PROTOCOL_VERSION, requestId, exitCode: 1, stdout };
}

/** The `code` of the CNI error a failed call printed (exit code 1), 0 for a success, undefined otherwise. */
function errorCodeOf(exitCode: number, stdout: string): number | undefined {
  if (exitCode === 0) return 0;
  if (exitCode !== 1) return undefined;
  try {
    const error: unknown = JSON.parse(stdout);
    return isObject(error) && typeof error['code'] === 'number' ? error['code'] : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the body up to `limit` bytes within `timeoutMs`; a larger or slower one is refused. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (status: number, code: number, msg: string): void => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      reject(new Refusal(status, new CniError(code, msg)));
    };
    const timer = setTimeout(
      () => fail(408, CniCode.TryAgainLater, `multus daemon: the request did not arrive within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) fail(413, CniCode.InvalidConfig, `multus daemon: the request is larger than ${limit} bytes`);
      else chunks.push(c);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => fail(400, CniCode.DecodeFailure, `multus daemon: the request broke off: ${err.message}`));
  });
}

/** The call in a request body, or a refusal saying what is wrong with it. */
function parseCall(text: string): CniCall {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new Refusal(
      400,
      new CniError(CniCode.DecodeFailure, `multus daemon: the request is not JSON: ${(err as Error).message}`),
    );
  }
  const env = isObject(body) ? body['env'] : undefined;
  const ok =
    isObject(body) &&
    body['version'] === PROTOCOL_VERSION &&
    typeof body['requestId'] === 'string' &&
    typeof body['stdin'] === 'string' &&
    isObject(env) &&
    Object.values(env).every((v) => typeof v === 'string');
  if (!ok) {
    const shape = `{"version": ${PROTOCOL_VERSION}, "requestId", "env": {…strings}, "stdin"}`;
    const msg = `multus daemon: the request must be ${shape}`;
    throw new Refusal(400, new CniError(CniCode.DecodeFailure, msg));
  }
  return body as CniCall;
}

/**
 * The daemon's server: HTTP over its unix socket (protocol.ts). Each call runs through the same
 * skeleton and plugin as the thin binary, with its own env, stdin and stop signal (aborted when
 * the shim goes away or the call outlives requestTimeoutMs), so one call's failure never touches
 * another's. Concurrency is bounded, with a bounded queue; too large, too slow or malformed
 * requests get an error answer and the server keeps serving.
 */
export class DaemonServer {
  private readonly server: Server;
  private readonly gate: RequestGate;
  private readonly running = new Set<Promise<void>>();
  private ino: number | undefined;
  private stopping = false;
  private finished = 0;

  constructor(private readonly options: DaemonServerOptions) {
    this.gate = new RequestGate(options.maxConcurrentRequests, options.maxQueuedRequests);
    this.server = createServer((req, res) => this.track(this.route(req, res)));
    // Node's own limits as a backstop for what readBody does not see (headers that never end).
    this.server.headersTimeout = options.bodyTimeoutMs;
    this.server.requestTimeout = 0;
  }

  get inFlight(): number {
    return this.gate.inFlight;
  }

  get queued(): number {
    return this.gate.queued;
  }

  /** Calls run to their end so far (answered or not). */
  get served(): number {
    return this.finished;
  }

  async start(): Promise<void> {
    this.ino = await bindSocket(this.server, this.options.socketPath);
  }

  /** Stops accepting calls, lets the running ones finish (at most `graceMs`), and removes the socket. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([...this.running]).then(() => undefined), grace]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
    if (this.ino !== undefined) await releaseSocket(this.options.socketPath, this.ino);
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    try {
      if (path === HEALTH_PATH) return answer(res, 200, { status: 'ok' });
      if (path === READY_PATH) {
        const why = await this.options.notReady();
        return answer(res, why === undefined ? 200 : 503, why === undefined ? { status: 'ready' } : { status: why });
      }
      if (path === RECORDS_PATH && req.method === 'GET' && this.options.records !== undefined)
        return answer(res, 200, { ...(await this.options.records()) });
      if (path !== CNI_PATH || req.method !== 'POST') return answer(res, 404, { status: `no ${req.method} ${path}` });
      await this.serveCall(req, res);
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal(500, toCniError(err, 'multus daemon: internal error'));
      this.options.log.warn({ status: refusal.status, code: refusal.error.code }, refusal.error.msg);
      if (path === CNI_PATH) this.options.observer?.callRefused(refusal.error.code);
      if (!res.headersSent) answer(res, refusal.status, errorAnswer('', refusal.error));
      req.resume();
    }
  }

  private async serveCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.stopping)
      throw new Refusal(503, new CniError(CniCode.TryAgainLater, 'multus daemon: stopping; try again later'));
    const call = parseCall(await readBody(req, this.options.maxRequestBytes, this.options.bodyTimeoutMs));
    const started = performance.now();
    const stop = new AbortController();
    // The shim went away (the runtime stopped it): the call stops too, as the thin binary would on SIGTERM.
    res.on('close', () => {
      if (!res.writableFinished) stop.abort(new Error('the shim went away'));
    });
    let leave: () => void;
    try {
      leave = await this.gate.enter();
    } catch (err) {
      if (!(err instanceof GateFull)) throw err;
      const msg = `multus daemon: busy (${err.message}); try again later`;
      throw new Refusal(503, new CniError(CniCode.TryAgainLater, msg));
    }
    const timer = setTimeout(
      () => stop.abort(new Error('the call outlived requestTimeoutSeconds')),
      this.options.requestTimeoutMs,
    );
    let stdout = '';
    try {
      if (stop.signal.aborted) return;
      const exitCode = await this.runCall(call, stop.signal, (text) => (stdout += text));
      const outcome = { command: call.env['CNI_COMMAND'] ?? '', exitCode, code: errorCodeOf(exitCode, stdout) };
      this.options.observer?.callFinished({ ...outcome, seconds: (performance.now() - started) / 1000 });
      answer(res, 200, { version: PROTOCOL_VERSION, requestId: call.requestId, exitCode, stdout });
    } finally {
      clearTimeout(timer);
      this.finished += 1;
      leave();
    }
  }

  private runCall(call: CniCall, signal: AbortSignal, write: (text: string) => void): Promise<number> {
    return runSkel(
      {
        env: new Map(Object.entries(call.env)),
        signal,
        readStdin: () => Promise.resolve(call.stdin),
        writeStdout: write,
      },
      () => Promise.resolve(this.options.plugin),
    );
  }
}
