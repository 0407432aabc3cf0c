import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { MULTUS_BIN, multusEnv, type MultusCall, type MultusRun, runMultus } from './run-multus';

/** What a bounded run did: every task's value in input order, how many ran at once at most, and how long it took. */
export interface BoundedRun<R> {
  readonly results: R[];
  readonly maxInFlight: number;
  readonly wallMs: number;
}

/**
 * Runs `task` for every item with at most `limit` tasks in flight (a fixed pool of workers that
 * take the next item), and measures the highest number in flight: the concurrency actually
 * reached, so a test can show it ran as wide as it claims and never wider.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<BoundedRun<R>> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        results[i] = await task(items[i] as T, i);
      } finally {
        inFlight -= 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return { results, maxInFlight, wallMs: Date.now() - started };
}

/**
 * One multus run as the concurrency tests keep it: a run that could not even be read (spawn error, stdout not one JSON
 * document) is a failure too, never an exception that stops the others.
 */
export interface SettledRun {
  readonly command: MultusCall['command'];
  readonly containerId: string;
  readonly exitCode: number | null;
  readonly json: Record<string, unknown> | undefined;
  /** Why it failed, for the assertion message; undefined on exit 0. */
  readonly problem: string | undefined;
  /** Date.now() when the process was spawned and when it was seen to exit. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export async function runSettled(call: MultusCall): Promise<SettledRun> {
  const startedAt = Date.now();
  let run: MultusRun;
  try {
    run = await runMultus(call);
  } catch (err) {
    return {
      command: call.command,
      containerId: call.containerId,
      exitCode: null,
      json: undefined,
      problem: (err as Error).message,
      startedAt,
      endedAt: Date.now(),
    };
  }
  const problem =
    run.exitCode === 0 ? undefined : `exit ${String(run.exitCode)}: ${run.stdout.trim()} ${lastLines(run.stderr, 3)}`;
  return {
    command: call.command,
    containerId: call.containerId,
    exitCode: run.exitCode,
    json: run.json,
    problem,
    startedAt,
    endedAt: Date.now(),
  };
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** A multus process started by the test itself, to be killed mid-run (SIGKILL: a crash, as the runtime sees one). */
export interface StartedMultus {
  readonly child: ChildProcess;
  /** Resolves with the exit code, or null when killed by a signal. */
  readonly exited: Promise<number | null>;
}

/** Starts dist/multus with the env a runtime passes (as runMultus does) without waiting for it. */
export function startMultus(call: MultusCall): StartedMultus {
  const env = multusEnv(call);
  const child = spawn(MULTUS_BIN, [], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(JSON.stringify(call.config));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  return { child, exited };
}

/**
 * The pids of a process group's members that still run (zombies do not count: PID 1 on this VM
 * reaps slowly, so a killed delegate can stay a zombie for a while), read from /proc.
 */
export function runningInGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command: state, ppid, pgrp, ...
    const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}
