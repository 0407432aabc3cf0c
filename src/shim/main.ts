import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { REQUEST_ID_ENV } from '../core/cni-env';
import { versionReply } from '../core/skel';
import { DEFAULT_SOCKET_DIR, FALLBACK_LOG_NAME, SOCKET_NAME } from '../core/config/shim-keys';
import { CNI_PATH, PROTOCOL_VERSION, type CniAnswer, type CniCall } from '../daemon/protocol';

/**
 * multus-shim: what a runtime execs in thick mode. It reads the env and stdin, answers VERSION
 * itself, sends every other call to the daemon over its unix socket, prints the daemon's answer
 * and exits with its code. When the daemon is not there it runs the call through the thin
 * binary (or, with `"daemonFallback": "fail"`, answers code 11). It loads nothing else: its
 * start-up is paid on every pod operation.
 */

interface ShimSettings {
  readonly socketPath: string;
  readonly fallback: 'thin' | 'fail';
  readonly thinPath: string;
  readonly timeoutMs: number;
  readonly cniVersion: string;
}

/** Connection errors that mean "no daemon here": the call never reached one. */
const NOT_THERE = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ENOTDIR', 'EACCES']);

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function settingsOf(stdin: string): ShimSettings {
  let conf: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(stdin);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      conf = parsed as Record<string, unknown>;
  } catch {
    // The daemon (or the thin binary) reports what is wrong with the config.
  }
  const text = (key: string): string | undefined => (typeof conf[key] === 'string' ? conf[key] : undefined);
  const dir = text('daemonSocketDir') ?? DEFAULT_SOCKET_DIR;
  const seconds = typeof conf['daemonTimeoutSeconds'] === 'number' ? conf['daemonTimeoutSeconds'] : 660;
  return {
    socketPath: join(dir, SOCKET_NAME),
    fallback: text('daemonFallback') === 'fail' ? 'fail' : 'thin',
    thinPath: text('thinPath') ?? join(dirname(process.execPath), 'multus'),
    timeoutMs: seconds * 1000,
    cniVersion: text('cniVersion') ?? '1.1.0',
  };
}

function out(text: string): void {
  writeSync(1, text.endsWith('\n') ? text : `${text}\n`);
}

function note(requestId: string, text: string): void {
  writeSync(2, `multus-shim: request ${requestId}: ${text}\n`);
}

/**
 * One line in the socket's dir per call the daemon did not get, for its metrics. Best effort: no
 * dir (no daemon ever ran here) or a full disk must not fail the call.
 */
function recordFallback(settings: ShimSettings, requestId: string, action: 'thin' | 'fail'): void {
  const line = `${new Date().toISOString()} ${requestId} ${process.env['CNI_COMMAND'] ?? '-'} ${action}\n`;
  try {
    appendFileSync(join(dirname(settings.socketPath), FALLBACK_LOG_NAME), line, { mode: 0o600 });
  } catch {
    // the call matters more than its count
  }
}

/** Code 11 (try again later): the runtime retries the call. */
function tryAgain(settings: ShimSettings, msg: string): number {
  out(JSON.stringify({ cniVersion: settings.cniVersion, code: 11, msg }));
  return 1;
}

type Outcome = { readonly answer: CniAnswer } | { readonly absent: string } | { readonly lost: string };

function callDaemon(settings: ShimSettings, call: CniCall): Promise<Outcome> {
  return new Promise((resolve) => {
    let connected = false;
    const body = JSON.stringify(call);
    const req = request(
      {
        socketPath: settings.socketPath,
        path: CNI_PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: settings.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ answer: JSON.parse(Buffer.concat(chunks).toString('utf8')) as CniAnswer });
          } catch {
            resolve({ lost: `the daemon answered HTTP ${res.statusCode ?? '?'} without a CNI answer` });
          }
        });
        res.on('error', (err) => resolve({ lost: `the daemon's answer broke off: ${err.message}` }));
      },
    );
    req.on('socket', (s) => s.on('connect', () => (connected = true)));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${settings.timeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && NOT_THERE.has(err.code ?? '')) resolve({ absent: `${settings.socketPath}: ${err.code}` });
      else resolve({ lost: `the connection to the daemon at ${settings.socketPath} was lost: ${err.message}` });
    });
    req.end(body);
  });
}

/** Runs the call through the thin binary, as if the runtime had exec'd it; SIGTERM is passed on. */
function runThin(settings: ShimSettings, stdin: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(settings.thinPath, [], { env, stdio: ['pipe', 'inherit', 'inherit'] });
    const forward = (): void => void child.kill('SIGTERM');
    process.on('SIGTERM', forward);
    child.on('error', (err) =>
      resolve(tryAgain(settings, `daemon unavailable and ${settings.thinPath}: ${err.message}`)),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15)));
    child.stdin.end(stdin);
  });
}

async function main(): Promise<number> {
  const stdin = readStdin();
  if (process.env['CNI_COMMAND'] === 'VERSION') {
    out(JSON.stringify(versionReply(stdin)));
    return 0;
  }
  const settings = settingsOf(stdin);
  const given = process.env[REQUEST_ID_ENV];
  const requestId =
    given !== undefined && /^[A-Za-z0-9._-]{1,64}$/u.test(given) ? given : randomBytes(6).toString('hex');
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('CNI_') && e[1] !== undefined),
  );
  const outcome = await callDaemon(settings, {
    version: PROTOCOL_VERSION,
    requestId,
    env: { ...env, [REQUEST_ID_ENV]: requestId },
    stdin,
  });
  if ('answer' in outcome) {
    if (outcome.answer.stdout !== '') out(outcome.answer.stdout);
    return outcome.answer.exitCode;
  }
  if ('lost' in outcome) {
    note(requestId, outcome.lost);
    return tryAgain(settings, `multus daemon: ${outcome.lost}; the call may be partly done, and DEL undoes it`);
  }
  if (settings.fallback === 'fail') {
    note(requestId, `no daemon (${outcome.absent}); daemonFallback is "fail"`);
    recordFallback(settings, requestId, 'fail');
    return tryAgain(settings, `multus daemon unavailable (${outcome.absent}); try again later`);
  }
  note(requestId, `no daemon (${outcome.absent}); running the call through ${settings.thinPath}`);
  recordFallback(settings, requestId, 'thin');
  return runThin(settings, stdin, { ...process.env, [REQUEST_ID_ENV]: requestId });
}

void main().then((code) => process.exit(code));
