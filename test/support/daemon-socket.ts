import { request } from 'node:http';
import { connect } from 'node:net';
import type { Logger } from '../../src/core/ports/logger';
import type { PluginHandlers } from '../../src/core/skel';
import type { DaemonServerOptions } from '../../src/daemon/server';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Speaking to a multus daemon's unix socket from a test: the protocol's calls as the shim makes
 * them, and raw bytes (malformed, truncated, trickled, too large) as nobody should.
 */

/** The protocol's path and version (src/daemon/protocol.ts), written out: a test states the wire format. */
export const CNI_CALL_PATH = '/v1/cni';
export const WIRE_VERSION = 1;

/** The HTTP status and the JSON body of one exchange. */
export interface SocketAnswer {
  readonly status: number;
  /** A CniAnswer on the call path (or the refusal's); `{status}` on /healthz and /readyz. */
  readonly body: { version?: number; requestId?: string; exitCode?: number; stdout?: string; status?: string };
}

/** One HTTP request on the socket; `body` undefined sends none. Rejects when the connection fails. */
export function exchange(socketPath: string, method: string, path: string, body?: string): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-length': Buffer.byteLength(body) };
    const req = request({ socketPath, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as SocketAnswer['body'] });
        } catch {
          reject(new Error(`HTTP ${res.statusCode ?? '?'} without JSON: ${text}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** GET `path` on the socket: the HTTP status. */
export async function getStatus(socketPath: string, path: string): Promise<number> {
  return (await exchange(socketPath, 'GET', path)).status;
}

/** The body of one well-formed call, as the shim makes it (the request id also in the env, as the shim puts it). */
export function callBody(requestId: string, env: Readonly<Record<string, string>>, stdin: unknown): string {
  return JSON.stringify({
    version: WIRE_VERSION,
    requestId,
    env: { ...env, MULTUS_REQUEST_ID: requestId },
    stdin: typeof stdin === 'string' ? stdin : JSON.stringify(stdin),
  });
}

/** One well-formed call over the protocol. */
export function postCall(
  socketPath: string,
  requestId: string,
  env: Readonly<Record<string, string>>,
  stdin: unknown,
): Promise<SocketAnswer> {
  return exchange(socketPath, 'POST', CNI_CALL_PATH, callBody(requestId, env, stdin));
}

/** What came back on a raw connection: the HTTP status line's code (0 when none) and the body after the headers. */
export interface RawReply {
  readonly status: number;
  readonly body: string;
  readonly raw: string;
}

export interface RawOptions {
  /** Pause between the parts (a trickled request). */
  readonly gapMs?: number;
  /** Half-close the connection after the last part (the client has sent all it will). */
  readonly end?: boolean;
  /** Give up (and close) after this long. */
  readonly timeoutMs?: number;
}

/**
 * Writes `parts` on a fresh connection to the socket and collects what comes back until the
 * daemon closes it, a complete response (by content-length) has arrived, or `timeoutMs` passes.
 */
export function rawExchange(
  socketPath: string,
  parts: ReadonlyArray<string | Buffer>,
  options: RawOptions = {},
): Promise<RawReply> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    const got: Buffer[] = [];
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(parseReply(Buffer.concat(got).toString('utf8')));
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 30_000);
    s.on('data', (c: Buffer) => {
      got.push(c);
      if (replyComplete(Buffer.concat(got).toString('utf8'))) finish();
    });
    s.on('error', finish);
    s.on('close', finish);
    s.on('connect', () => {
      void (async () => {
        for (const part of parts) {
          if (s.destroyed || settled) return;
          s.write(part);
          if (options.gapMs !== undefined) await sleep(options.gapMs);
        }
        if (options.end === true && !s.destroyed) s.end();
      })();
    });
  });
}

function parseReply(raw: string): RawReply {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/u.exec(raw)?.[1] ?? 0);
  const at = raw.indexOf('\r\n\r\n');
  return { status, body: at < 0 ? '' : raw.slice(at + 4), raw };
}

function replyComplete(raw: string): boolean {
  const at = raw.indexOf('\r\n\r\n');
  if (at < 0) return false;
  const length = /\r\ncontent-length: (\d+)\r\n/iu.exec(raw.slice(0, at + 2))?.[1];
  return length !== undefined && Buffer.byteLength(raw.slice(at + 4)) >= Number(length);
}

/** An HTTP request's head for POST /v1/cni with `length` bytes of body to come. */
export function postHead(length: number, path = CNI_CALL_PATH): string {
  return `POST ${path} HTTP/1.1\r\nHost: multus\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
}

/** A daemon server's options for a unit test: roomy limits, always ready; `overrides` win. */
export function testServerOptions(
  socketPath: string,
  plugin: PluginHandlers,
  log: Logger,
  overrides: Partial<DaemonServerOptions> = {},
): DaemonServerOptions {
  return {
    socketPath,
    plugin,
    log,
    maxConcurrentRequests: 4,
    maxQueuedRequests: 4,
    maxRequestBytes: 64 * 1024,
    requestTimeoutMs: 60_000,
    bodyTimeoutMs: 10_000,
    notReady: () => Promise.resolve(undefined),
    ...overrides,
  };
}
