/**
 * A full garbage collection once the daemon has gone quiet after serving calls, or, during a
 * burst that never goes quiet, after each second of serving. The JavaScript engine lets the heap
 * grow far past what is live under a burst of calls (each spawns delegates with pipes and
 * streams); collecting keeps the daemon's resident memory near its live size. A full collection
 * stops the daemon for 15–130 ms (measured on 2 cores, docs/thick.md "What to watch"), so it
 * waits for a quiet moment instead of landing in the middle of a pod's ADD: collecting once a
 * second regardless put that pause into about one call in two of a pod arriving every second.
 */
export interface HeapTrimOptions {
  /** A full, synchronous collection (Bun.gc(true)); none on a runtime without one. */
  readonly collect: (() => void) | undefined;
  /** Calls served so far: a collection follows only when this moved since the last one. */
  readonly served: () => number;
  /** Calls being served now. */
  readonly inFlight: () => number;
  readonly everyMs: number;
  /** Ticks without a call, served or in flight, before the daemon counts as quiet. */
  readonly quietTicks: number;
  /** During a burst that never goes quiet: ticks in which calls were served, between two collections. */
  readonly burstTicks: number;
  /** Runs `run` every `ms` without keeping the process alive; returns what stops it (the clock, for tests). */
  readonly every: (run: () => void, ms: number) => () => void;
}

/**
 * The daemon's settings: a tick every 250 ms; quiet after 1 s; in a burst, after each second of
 * serving (as often as before quiet moments were waited for, so a burst's memory stays as low).
 */
export const HEAP_TRIM_DEFAULTS = { everyMs: 250, quietTicks: 4, burstTicks: 4 } as const;

/** Starts the trimming; returns what stops it. */
export function startHeapTrim(options: HeapTrimOptions): () => void {
  const collect = options.collect;
  if (collect === undefined) return () => undefined;
  let collectedAt = options.served();
  let lastSeen = collectedAt;
  let quiet = 0;
  let servingTicks = 0;
  return options.every(() => {
    const served = options.served();
    const serving = served !== lastSeen;
    lastSeen = served;
    quiet = serving || options.inFlight() > 0 ? 0 : quiet + 1;
    if (serving) servingTicks += 1;
    if (served === collectedAt) return;
    if (quiet < options.quietTicks && servingTicks < options.burstTicks) return;
    collectedAt = served;
    servingTicks = 0;
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
