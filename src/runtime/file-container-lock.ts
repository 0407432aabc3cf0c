import { readFileSync, writeFileSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../core/errors';
import type { ContainerLock, HeldLock } from '../core/ports/container-lock';
import type { CacheKey } from '../core/ports/result-cache';

const POLL_MS = 20;
const EMPTY_LOCK_GRACE_MS = 1000;
const ORPHAN_KILL_WAIT_MS = 2000;

/** A process as the lock records it: pid and start time, so a reused pid is not mistaken for it. */
interface Proc {
  readonly pid: number;
  readonly start: string;
}

interface Holder {
  readonly owner: Proc;
  /** The delegates (their process group leaders) the owner started: several at once in parallel mode. */
  readonly children: readonly Proc[];
}

/** State and start time from /proc/<pid>/stat (fields 3 and 22), or undefined when there is no such process. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function startOf(pid: number): string {
  return procStat(pid)?.start ?? '0';
}

/** Running (not a zombie) and the same process that was recorded (same start time). */
function alive(proc: Proc): boolean {
  const stat = procStat(proc.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.start === proc.start;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Kills an orphaned delegate's process group, if its leader is still that delegate, and waits (bounded) until it is
 * gone.
 */
async function killOrphan(child: Proc): Promise<void> {
  if (!alive(child)) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let waited = 0; waited < ORPHAN_KILL_WAIT_MS && alive(child); waited += POLL_MS) await sleep(POLL_MS);
}

function parseProc(pid: string | undefined, start: string | undefined): Proc | undefined {
  const n = Number.parseInt(pid ?? '', 10);
  return Number.isInteger(n) && n > 0 && start !== undefined && start !== '' ? { pid: n, start } : undefined;
}

/**
 * A lock file per container and interface beside the cache entry (`<id>-<ifname>.lock`, 0600),
 * created exclusively, holding the owner (pid and start time) and the delegate it runs. A lock
 * whose owner is gone (killed; a zombie counts as gone) is stale: its delegate, which runs
 * detached and would outlive it, is killed first (only if it is still that process), then the
 * lock is taken over. One process at a time takes a stale lock over (`<lock>.takeover`), so two
 * waiters never both remove it and both hold it.
 */
export class FileContainerLock implements ContainerLock {
  /** This process as a lock records it; read once (a daemon takes thousands of locks). */
  private readonly self = `${process.pid} ${startOf(process.pid)}`;

  async acquire(key: CacheKey, waitMs: number): Promise<HeldLock> {
    const file = join(key.dir, `${key.containerId}-${key.ifname}.lock`);
    await fs.mkdir(key.dir, { recursive: true, mode: 0o700 }).catch((err: Error) => {
      throw new CniError(CniCode.IoFailure, `cannot create cache dir ${key.dir}: ${err.message}`);
    });
    let emptyFor = 0;
    for (let waited = 0; ; waited += POLL_MS) {
      const holder = await this.tryCreate(file);
      if (holder === 'created') return this.held(file);
      if (holder === 'gone') continue;
      // No owner yet: one between creating and writing the file, or one killed right there.
      emptyFor = holder === 'unknown' ? emptyFor + POLL_MS : 0;
      const stale = holder === 'unknown' ? emptyFor > EMPTY_LOCK_GRACE_MS : !alive(holder.owner);
      if (stale && (await this.takeOver(file, holder))) continue;
      if (waited >= waitMs) {
        const who = holder === 'unknown' ? '' : ` (pid ${holder.owner.pid})`;
        throw new CniError(
          CniCode.TryAgainLater,
          `container ${key.containerId} interface ${key.ifname} is being set up or torn down by another multus ` +
            `process${who}; try again later`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Removes a stale lock if it still holds what we judged stale; false when another process is at it. */
  private async takeOver(file: string, seen: 'unknown' | Holder): Promise<boolean> {
    const guard = `${file}.takeover`;
    try {
      await fs.writeFile(guard, `${this.self}\n`, { flag: 'wx', mode: 0o600 });
    } catch {
      const [pid, start] = (await fs.readFile(guard, 'utf8').catch(() => '')).trim().split(/\s+/u);
      const taker = parseProc(pid, start);
      if (taker === undefined || !alive(taker)) await fs.rm(guard, { force: true });
      return false;
    }
    try {
      const now = await this.read(file);
      if (JSON.stringify(now) !== JSON.stringify(seen)) return true;
      if (now !== 'unknown' && now !== undefined) await Promise.all(now.children.map(killOrphan));
      await fs.rm(file, { force: true });
      return true;
    } finally {
      await fs.rm(guard, { force: true });
    }
  }

  /** Creates the lock file, or says who holds it ('gone': it vanished meanwhile, try again). */
  private async tryCreate(file: string): Promise<'created' | 'gone' | 'unknown' | Holder> {
    try {
      await fs.writeFile(file, `${this.self}\n`, { flag: 'wx', mode: 0o600 });
      return 'created';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CniError(CniCode.IoFailure, `cannot create lock file ${file}: ${(err as Error).message}`);
      }
    }
    return (await this.read(file)) ?? 'gone';
  }

  /** The holder recorded in a lock file; 'unknown' while it is empty; undefined when it is gone. */
  private async read(file: string): Promise<'unknown' | Holder | undefined> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const [pid, start, ...rest] = text.trim().split(/\s+/u);
    const owner = parseProc(pid, start);
    if (owner === undefined) return 'unknown';
    const children: Proc[] = [];
    for (let i = 0; i + 1 < rest.length; i += 2) {
      const child = parseProc(rest[i], rest[i + 1]);
      if (child !== undefined) children.push(child);
    }
    return { owner, children };
  }

  private held(file: string): HeldLock {
    let released = false;
    const record = [this.self];
    return {
      // Every delegate started is kept (a finished one is harmless: takeover checks start times).
      noteChild: (pid: number) => {
        if (released) return;
        record.push(`${pid} ${startOf(pid)}`);
        writeFileSync(file, `${record.join(' ')}\n`, { mode: 0o600 });
      },
      release: async () => {
        if (released) return;
        released = true;
        await fs.rm(file, { force: true });
      },
    };
  }
}
