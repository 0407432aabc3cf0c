// Process helpers for the benchmark: timed synchronous runs (one at a time, nothing else on
// the event loop, so the clock measures the child alone) and asynchronous runs for the
// concurrency phase.
import { spawn, spawnSync } from 'node:child_process';

/** Thrown when a child was killed by a signal (Ctrl-C reaches the whole process group). */
export class Interrupted extends Error {}

/** The environment every plugin call gets: PATH (multus runs `ip`, `nsenter`) and the CNI_* given. */
export function pluginEnv(env) {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env };
}

function failure(bin, env, r) {
  const out = `${r.stdout ?? ''}`.trim().slice(0, 2000);
  const err = `${r.stderr ?? ''}`.trim().slice(0, 2000);
  return new Error(`${bin} ${env.CNI_COMMAND ?? ''} ${env.CNI_IFNAME ?? ''} exited ${r.status}: ${out} ${err}`.trim());
}

/** Runs a plugin once with its config on stdin; returns the wall time in ms. Throws on failure. */
export function timed(bin, env, stdin, args = []) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, args, { env: pluginEnv(env), input: stdin, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.signal) throw new Interrupted(`${bin} killed by ${r.signal}`);
  if (r.error) throw r.error;
  if (r.status !== 0) throw failure(bin, env, r);
  return ms;
}

/** Runs a command for its side effect; throws with its stderr on failure. */
export function sh(cmd, args, { input, allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.signal) throw new Interrupted(`${cmd} killed by ${r.signal}`);
  if (!allowFail && (r.error || r.status !== 0))
    throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  return r;
}

/** The asynchronous twin of timed(), for concurrent pods. */
export function timedAsync(bin, env, stdin) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, [], { env: pluginEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.stdin.on('error', () => {}); // a plugin that exits without reading stdin: EPIPE
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (signal) reject(new Interrupted(`${bin} killed by ${signal}`));
      else if (status !== 0) reject(failure(bin, env, { status, stdout, stderr }));
      else resolve(ms);
    });
    child.stdin.end(stdin);
  });
}

/** Yields to the event loop, so that signal handlers run between measurements. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));
