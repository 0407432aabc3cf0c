import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * net.ipv4.ip_forward is one value for the whole host, and bridge `isGateway` and ptp turn it
 * on. Test files run in parallel workers, so a plain save/restore per file can restore too early
 * or restore "1" saved from another file. Instead the workers share a small record under /run:
 * the first holder saves the original value, each holder leaves a file, and the last one out
 * writes the original back. A mkdir lock makes each step atomic across processes.
 */
const SYSCTL = '/proc/sys/net/ipv4/ip_forward';
const STATE = '/run/multus-it-ip-forward';
const LOCK = `${STATE}.lock`;
const ORIGINAL = join(STATE, 'original');
let sequence = 0;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(work: () => T): T {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSafe(LOCK) ?? Date.now());
      if (age > 10_000) rmSync(LOCK, { recursive: true, force: true }); // left by a killed run
      if (Date.now() > deadline) throw new Error(`${LOCK} held for more than 10 s`);
      sleep(5);
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Holders still running (a killed run's holder files do not count). */
function liveHolders(): string[] {
  return readdirSync(STATE).filter((f) => f.startsWith('holder-') && alive(Number(f.split('-')[1])));
}

/** Registers this caller as a holder; returns the function that releases it (restoring when last). */
export function holdIpForward(): () => void {
  const holder = join(STATE, `holder-${process.pid}-${++sequence}`);
  withLock(() => {
    mkdirSync(STATE, { recursive: true });
    // A record left by a killed run still holds the true original: keep it.
    if (statSafe(ORIGINAL) === undefined) writeFileSync(ORIGINAL, readFileSync(SYSCTL, 'utf8'));
    writeFileSync(holder, '');
  });
  return () =>
    withLock(() => {
      rmSync(holder, { force: true });
      if (statSafe(ORIGINAL) === undefined || liveHolders().length > 0) return;
      writeFileSync(SYSCTL, `${readFileSync(ORIGINAL, 'utf8').trim()}\n`);
      rmSync(STATE, { recursive: true, force: true });
    });
}
