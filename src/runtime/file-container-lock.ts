import { writeFileSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../core/errors';
import type { ContainerLock, HeldLock } from '../core/ports/container-lock';
import type { CacheKey } from '../core/ports/result-cache';

const POLL_MS = 20;
const EMPTY_LOCK_GRACE_MS = 1000;
const ORPHAN_KILL_WAIT_MS = 2000;

interface Holder {
  readonly pid: number;
  /** The process group of the delegate the holder was running, if any. */
  readonly child: number | undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Kills an orphaned delegate's process group and waits (bounded) until its leader is gone. */
async function killOrphan(pgid: number): Promise<void> {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return;
  }
  for (let waited = 0; waited < ORPHAN_KILL_WAIT_MS && alive(pgid); waited += POLL_MS) await sleep(POLL_MS);
}

/**
 * A lock file per container and interface beside the cache entry (`<id>-<ifname>.lock`, 0600),
 * created exclusively, holding the owner's pid and the process group of the delegate it runs.
 * A lock whose owner is gone is stale (the owner was killed): its delegate, which runs detached
 * and would outlive it, is killed first, then the lock is taken over.
 */
export class FileContainerLock implements ContainerLock {
  async acquire(key: CacheKey, waitMs: number): Promise<HeldLock> {
    const file = join(key.dir, `${key.containerId}-${key.ifname}.lock`);
    await fs.mkdir(key.dir, { recursive: true, mode: 0o700 }).catch((err: Error) => {
      throw new CniError(CniCode.IoFailure, `cannot create cache dir ${key.dir}: ${err.message}`);
    });
    for (let waited = 0; ; waited += POLL_MS) {
      const holder = await this.tryCreate(file);
      if (holder === 'created') return this.held(file);
      // No pid yet: a holder between creating and writing the file, or one killed right there.
      const stale = holder === 'unknown' ? waited >= EMPTY_LOCK_GRACE_MS : !alive(holder.pid);
      if (stale) {
        if (holder !== 'unknown' && holder.child !== undefined) await killOrphan(holder.child);
        await fs.rm(file, { force: true });
        continue;
      }
      if (waited >= waitMs) {
        const who = holder === 'unknown' ? '' : ` (pid ${holder.pid})`;
        throw new CniError(
          CniCode.TryAgainLater,
          `container ${key.containerId} interface ${key.ifname} is being set up or torn down by another multus process${who}; try again later`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Creates the lock file, or says who holds it. */
  private async tryCreate(file: string): Promise<'created' | 'unknown' | Holder> {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return 'created';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CniError(CniCode.IoFailure, `cannot create lock file ${file}: ${(err as Error).message}`);
      }
    }
    const [pid, child] = (await fs.readFile(file, 'utf8').catch(() => '')).trim().split(/\s+/u).map((n) => Number.parseInt(n, 10));
    if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return 'unknown';
    return { pid, child: child !== undefined && Number.isInteger(child) && child > 0 ? child : undefined };
  }

  private held(file: string): HeldLock {
    let released = false;
    return {
      noteChild: (pid: number) => {
        if (!released) writeFileSync(file, `${process.pid} ${pid}\n`, { mode: 0o600 });
      },
      release: async () => {
        if (released) return;
        released = true;
        await fs.rm(file, { force: true });
      },
    };
  }
}
