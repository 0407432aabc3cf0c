import 'reflect-metadata';
import { CniError } from '../../../src/core/errors';
import type { Logger } from '../../../src/core/ports/logger';
import { reconcileConfig, type ReconcileReport, type ReconcileSettings } from '../../../src/core/reconcile';
import { ReconcileLoop, type ReconcileObserver, type ReconcilePasses } from '../../../src/daemon/reconcile-loop';
import { RecordingLogger } from '../../support/fakes';

/** The loop's timer, driven by the test: each scheduled run waits until `fire`. */
class ManualTimer {
  pending: Array<{ run: () => void; ms: number }> = [];

  readonly after = (run: () => void, ms: number): (() => void) => {
    const slot = { run, ms };
    this.pending.push(slot);
    return () => (this.pending = this.pending.filter((s) => s !== slot));
  };

  /** Runs the next scheduled run; its delay. */
  fire(): number {
    const next = this.pending.shift();
    if (next === undefined) throw new Error('nothing scheduled');
    next.run();
    return next.ms;
  }
}

const settings: ReconcileSettings = { config: reconcileConfig({ cniDir: '/cache' }), graceMs: 0, dryRun: false };

function report(synced: boolean, at = '2026-01-02T03:04:05.000Z'): ReconcileReport {
  return { at, synced, dryRun: false, graceSeconds: 0, cacheDir: '/cache', records: [] };
}

/** A reconciler whose passes answer from `answers` in turn (the last one again when they run out). */
class ScriptedPasses implements ReconcilePasses {
  passes = 0;
  signals: Array<AbortSignal | undefined> = [];
  constructor(private readonly answers: Array<ReconcileReport | Error>) {}
  async pass(_s: ReconcileSettings, _log: Logger, signal?: AbortSignal): Promise<ReconcileReport> {
    this.signals.push(signal);
    const answer = this.answers[Math.min(this.passes, this.answers.length - 1)] as ReconcileReport | Error;
    this.passes += 1;
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async review(): Promise<ReconcileReport> {
    return report(true);
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function loop(passes: ReconcilePasses, timer: ManualTimer, observer?: ReconcileObserver, intervalMs = 300_000) {
  const log = new RecordingLogger();
  const l = new ReconcileLoop({
    reconciler: passes,
    settings,
    intervalMs,
    retryMs: 10_000,
    after: timer.after,
    log,
    ...(observer === undefined ? {} : { observer }),
  });
  return { loop: l, log };
}

describe('ReconcileLoop', () => {
  test('a pass at start, then every interval; every retryMs while the pod cache is not synced', async () => {
    const timer = new ManualTimer();
    const passes = new ScriptedPasses([report(false), report(false), report(true)]);
    const reports: ReconcileReport[] = [];
    const { loop: l } = loop(passes, timer, { reconciled: (r) => reports.push(r), reconcileFailed: () => undefined });
    l.start();
    expect(timer.fire()).toBe(0);
    await flush();
    expect(timer.fire()).toBe(10_000);
    await flush();
    expect(timer.fire()).toBe(10_000);
    await flush();
    expect(timer.pending.map((p) => p.ms)).toEqual([300_000]);
    expect(passes.passes).toBe(3);
    expect(reports.map((r) => r.synced)).toEqual([false, false, true]);
  });

  test('a failing pass is logged and counted; the loop goes on', async () => {
    const timer = new ManualTimer();
    const passes = new ScriptedPasses([new CniError(5, 'cannot read cache dir /cache'), report(true)]);
    let failed = 0;
    const { loop: l, log } = loop(passes, timer, { reconciled: () => undefined, reconcileFailed: () => (failed += 1) });
    l.start();
    timer.fire();
    await flush();
    expect(failed).toBe(1);
    expect(log.lines.find((line) => line.level === 'warn')?.msg).toBe(
      'reconcile pass failed: cannot read cache dir /cache',
    );
    expect(timer.pending.map((p) => p.ms)).toEqual([300_000]);
  });

  test('interval 0: no pass at all; the listing still answers', async () => {
    const timer = new ManualTimer();
    const passes = new ScriptedPasses([report(true)]);
    const { loop: l } = loop(passes, timer, undefined, 0);
    l.start();
    expect(timer.pending).toEqual([]);
    await expect(l.records()).resolves.toMatchObject({ synced: true, intervalSeconds: 0 });
    await expect(l.records()).resolves.not.toHaveProperty('lastPass');
    expect(passes.passes).toBe(0);
  });

  test('the listing says when the last pass ran', async () => {
    const timer = new ManualTimer();
    const { loop: l } = loop(new ScriptedPasses([report(true, '2026-05-06T07:08:09.000Z')]), timer);
    l.start();
    timer.fire();
    await flush();
    await expect(l.records()).resolves.toMatchObject({ intervalSeconds: 300, lastPass: '2026-05-06T07:08:09.000Z' });
  });

  test('stop: nothing more is scheduled, and the running pass is told to stop and waited for', async () => {
    const timer = new ManualTimer();
    let finish: (r: ReconcileReport) => void = () => undefined;
    let seen: AbortSignal | undefined;
    const held: ReconcilePasses = {
      pass: (_s, _l, signal) => {
        seen = signal;
        return new Promise((resolve) => (finish = resolve));
      },
      review: () => Promise.resolve(report(true)),
    };
    const { loop: l } = loop(held, timer);
    l.start();
    timer.fire();
    let stopped = false;
    const stopping = l.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    expect(seen?.aborted).toBe(true);
    finish(report(true));
    await stopping;
    expect(timer.pending).toEqual([]);
  });
});
