import { toCniError } from '../core/errors';
import type { Logger } from '../core/ports/logger';
import type { ReconcileReport, ReconcileSettings } from '../core/reconcile';

/** What the loop drives: the core's Reconciler. */
export interface ReconcilePasses {
  pass(settings: ReconcileSettings, log: Logger, signal?: AbortSignal): Promise<ReconcileReport>;
  review(settings: ReconcileSettings): Promise<ReconcileReport>;
}

/** Told how each pass ended (the daemon's metrics). */
export interface ReconcileObserver {
  /** A pass that ran to its end (synced or not). */
  reconciled(report: ReconcileReport): void;
  /** A pass that could not run (the cache dir could not be read). */
  reconcileFailed(): void;
}

export interface ReconcileLoopOptions {
  readonly reconciler: ReconcilePasses;
  readonly settings: ReconcileSettings;
  /** Between two passes; 0: no passes at all (the listing still says what one would do). */
  readonly intervalMs: number;
  /** Between two passes while the pod cache is not synced (the first pass waits for the informer's list). */
  readonly retryMs: number;
  /** Runs `run` once after `ms` without keeping the process alive; returns what cancels it (a test's clock). */
  readonly after: (run: () => void, ms: number) => () => void;
  readonly log: Logger;
  readonly observer?: ReconcileObserver;
}

/** The listing the daemon serves at GET /v1/records: what the next pass would do with each record. */
export interface RecordsListing extends ReconcileReport {
  /** Seconds between passes; 0 when reconcile is off. */
  readonly intervalSeconds: number;
  /** When the last pass ran, if one has. */
  readonly lastPass?: string;
}

/** While the pod cache is not synced, a pass is tried this often (at most the interval). */
export const RECONCILE_RETRY_MS = 10_000;

/**
 * The periodic reconcile of the daemon's records with its node's pods: a pass at start, then one
 * every `intervalMs` (every `retryMs` while the pod cache is not synced), never two at once.
 * Each pass is reported to the observer; a pass that fails is logged and the loop goes on.
 */
export class ReconcileLoop {
  private cancel: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private lastPass: string | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: ReconcileLoopOptions) {}

  /** Starts the passes (none when the interval is 0): the first one at once. */
  start(): void {
    if (this.options.intervalMs <= 0) {
      this.options.log.info({ reconcileIntervalSeconds: 0 }, 'reconcile is off');
      return;
    }
    this.schedule(0);
  }

  /** No more passes; resolves once the one running (if any) has finished its record in hand. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.cancel?.();
    this.cancel = undefined;
    await this.running;
  }

  /** What a pass would do with each record now (it changes nothing). */
  async records(): Promise<RecordsListing> {
    const report = await this.options.reconciler.review(this.options.settings);
    const listing = { ...report, intervalSeconds: Math.max(this.options.intervalMs, 0) / 1000 };
    return this.lastPass === undefined ? listing : { ...listing, lastPass: this.lastPass };
  }

  private schedule(ms: number): void {
    if (this.stopping.signal.aborted) return;
    this.cancel = this.options.after(() => {
      this.cancel = undefined;
      this.running = this.runPass().finally(() => (this.running = undefined));
    }, ms);
  }

  private async runPass(): Promise<void> {
    const { reconciler, settings, log, observer } = this.options;
    let synced = true;
    try {
      const report = await reconciler.pass(settings, log, this.stopping.signal);
      synced = report.synced;
      this.lastPass = report.at;
      observer?.reconciled(report);
      logSummary(log, report);
    } catch (err) {
      const error = toCniError(err);
      log.warn({ code: error.code, cacheDir: settings.config.cacheDir }, `reconcile pass failed: ${error.msg}`);
      observer?.reconcileFailed();
    }
    const interval = this.options.intervalMs;
    this.schedule(synced ? interval : Math.min(interval, this.options.retryMs));
  }
}

/** One line a pass: at info when it deleted, failed or would delete something, else at debug. */
function logSummary(log: Logger, report: ReconcileReport): void {
  if (!report.synced) return;
  const counts: Record<string, number> = {};
  for (const r of report.records) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  const acted = (counts['deleted'] ?? 0) + (counts['failed'] ?? 0) + (counts['would_delete'] ?? 0) > 0;
  const fields = { records: report.records.length, ...counts, dryRun: report.dryRun };
  if (acted) log.info(fields, 'reconcile pass done');
  else log.debug(fields, 'reconcile pass done');
}

/** `after` on the real clock: an unref'd timeout. */
export function realAfter(run: () => void, ms: number): () => void {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
