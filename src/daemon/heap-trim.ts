/**
 * A full garbage collection once a second after calls were served, none while the daemon is
 * idle. The JavaScript engine lets the heap grow far past what is live under a burst of calls
 * (each spawns delegates with pipes and streams); collecting promptly keeps the daemon's resident
 * memory near its live size. Measured (docs/thick.md, "What to watch"): 1000 pods at concurrency 8
 * peaked at 164 MiB without it and 122 MiB with it, for the same CPU per pod.
 */
export interface HeapTrimOptions {
  /** A full, synchronous collection (Bun.gc(true)); none on a runtime without one. */
  readonly collect: (() => void) | undefined;
  /** Calls served so far: a collection follows only when this moved since the last tick. */
  readonly served: () => number;
  readonly everyMs: number;
  /** Runs `run` every `ms` without keeping the process alive; returns what stops it (the clock, for tests). */
  readonly every: (run: () => void, ms: number) => () => void;
}

/** Starts the trimming; returns what stops it. */
export function startHeapTrim(options: HeapTrimOptions): () => void {
  const collect = options.collect;
  if (collect === undefined) return () => undefined;
  let seen = options.served();
  return options.every(() => {
    const now = options.served();
    if (now === seen) return;
    seen = now;
    collect();
  }, options.everyMs);
}

/** `every` on the real clock: an unref'd interval. */
export function realEvery(run: () => void, ms: number): () => void {
  const timer = setInterval(run, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** The runtime's full collection: Bun's, when the daemon runs as the compiled binary. */
export function runtimeCollect(): (() => void) | undefined {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  return bun === undefined ? undefined : () => bun.gc(true);
}
