import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { MULTUS_BIN, multusEnv, type MultusCall, type MultusRun } from './run-multus';

/**
 * Running dist/multus as a handle the fault-matrix tests can signal mid-ADD (SIGKILL, SIGTERM),
 * and looking at processes from outside: which still run, which are merely zombies.
 */

/** A finished run, with the signal that ended it (null when it exited by itself). */
export interface SignalledRun extends MultusRun {
  readonly signal: NodeJS.Signals | null;
}

export interface RunningMultus {
  readonly child: ChildProcess;
  readonly done: Promise<SignalledRun>;
}

/** Which binary a runtime runs (dist/multus by default), and stdin to send instead of the config's JSON. */
export interface StartOptions {
  readonly bin?: string;
  readonly rawStdin?: string;
}

/** Spawns multus as a runtime does (env built from scratch, config on stdin) and returns at once. */
export function startMultus(call: MultusCall, options: StartOptions = {}): RunningMultus {
  const env = multusEnv(call);
  const started = Date.now();
  const bin = options.bin ?? MULTUS_BIN;
  const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = new Promise<SignalledRun>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.stdin?.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      let json: Record<string, unknown> | undefined;
      if (stdout.trim() !== '') {
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          reject(
            new Error(
              `${bin} ${call.command}: stdout is not one JSON document: ${JSON.stringify(stdout)}\n` +
                `stderr:\n${stderr}`,
            ),
          );
          return;
        }
      }
      resolve({ exitCode, signal, stdout, stderr, json, ms: Date.now() - started });
    });
  });
  child.stdin?.end(options.rawStdin ?? JSON.stringify(call.config));
  return { child, done };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every 20 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** {@link waitFor} with a probe that asks asynchronously (an endpoint); polls every 200 ms. */
export async function waitForAsync<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** The state letter of /proc/PID/stat (R, S, D, Z, ...), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Running means present and not a zombie (a zombie has exited; only its parent's wait is pending). */
export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Pids of live processes whose environment holds `KEY=VALUE` exactly (zombies have no environment). */
export function processesWithEnv(key: string, value: string): number[] {
  const wanted = `${key}=${value}`;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/u.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (environ.split('\0').includes(wanted) && isRunning(pid)) found.push(pid);
  }
  return found.sort((a, b) => a - b);
}

/** `ps` of some pids, for failure messages. */
export function describeProcesses(pids: readonly number[]): string {
  return pids
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
      } catch {
        return `${pid} (gone)`;
      }
    })
    .join('; ');
}

/** SIGKILLs each pid (a test's safety net; by pid only, never by name). */
export function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
