import type { CacheKey } from './result-cache';

/** A held lock. */
export interface HeldLock {
  /**
   * Records the process group of a delegate just started (several run at once in parallel
   * mode), so that whoever takes over this lock after we die (SIGKILL) kills them before
   * touching the container.
   */
  noteChild(pid: number): void;
  /** Releases the lock; safe to call twice. */
  release(): Promise<void>;
}

/**
 * One multus process at a time per container and pod interface, so an ADD and a DEL (or two
 * of either) for the same container never interleave their cache writes or delegate calls.
 * A lock whose holder died is taken over, after its delegate's process group is killed.
 */
export interface ContainerLock {
  /** Waits up to `waitMs` for the lock; then code 11 naming the holder. */
  acquire(key: CacheKey, waitMs: number): Promise<HeldLock>;
}
