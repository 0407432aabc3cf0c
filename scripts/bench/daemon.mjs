// Our thick mode for the benchmark: a `multus daemon` started with a temporary config and socket
// dir (stopped with SIGTERM at cleanup), its memory read from /proc, calls sent straight to its
// socket (protocol v1, src/daemon/protocol.ts) for the memory run, and the shim's stdin config.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileConfig } from './pods.mjs';
import { pluginEnv } from './proc.mjs';

const SOCKET = 'multus.sock';
const PROTOCOL_VERSION = 1;

/** Resident and peak resident set of a process, in kB (VmRSS, VmHWM of /proc/PID/status). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** One HTTP request over the unix socket; resolves {status, body}. */
function http(socketPath, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: body ? { 'content-type': 'application/json' } : {}, timeout: 120000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 120 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `<multus> daemon --config <tmp>` with its socket in a temp dir, waits (up to 30 s) for
 * /healthz. The host SIGTERMs it at cleanup.
 */
export async function startDaemon(host, multus, name, extra = {}) {
  const dir = host.dir(name);
  const socketDir = join(dir, 'run');
  mkdirSync(dir);
  const config = join(dir, 'daemon.json');
  writeFileSync(config, JSON.stringify({ socketDir, logToStderr: false, ...extra }));
  const logFile = join(dir, 'daemon.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(multus, ['daemon', '--config', config], { env: pluginEnv({}), stdio: ['ignore', fd, fd] });
  host.adopt(child);
  const socketPath = join(socketDir, SOCKET);
  for (let i = 0; i < 300; i += 1) {
    if (child.exitCode !== null) break;
    const ok = await http(socketPath, 'GET', '/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { pid: child.pid, socketDir, socketPath, config, logFile };
    await sleep(100);
  }
  throw new Error(
    `${multus} daemon did not serve ${socketPath} in 30 s: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
  );
}

/** The conflist entry a runtime gives our shim: the thin config, typed multus-shim, with the socket dir. */
export function shimConfig(delegates, { cniDir, parallel, socketDir }) {
  return JSON.stringify({
    ...JSON.parse(fileConfig(delegates, { cniDir, parallel })),
    type: 'multus-shim',
    daemonSocketDir: socketDir,
    daemonFallback: 'fail', // a daemon that is gone must fail the bench, not fall back to thin mode
  });
}

/** One CNI call straight to the daemon's socket, as the shim would send it. Throws unless it exits 0. */
export async function callDaemon(socketPath, env, stdin, requestId) {
  const body = JSON.stringify({ version: PROTOCOL_VERSION, requestId, env, stdin });
  const r = await http(socketPath, 'POST', '/v1/cni', body);
  const answer = JSON.parse(r.body);
  if (r.status !== 200 || answer.exitCode !== 0)
    throw new Error(
      `daemon ${env.CNI_COMMAND} ${requestId}: HTTP ${r.status}, exit ${answer.exitCode}: ${answer.stdout}`,
    );
}
