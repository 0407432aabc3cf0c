import { CniCode, CniError, toCniError } from '../../core/errors';
import type { KubeClient } from '../../core/ports/kube-client';
import type { Logger } from '../../core/ports/logger';

/** Timing of the background retries; tests pass a sleep they control. */
export interface AnnotationWriterTuning {
  /** First pause before retrying writes the API could not take; doubles up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Writes kept for later at most; beyond, a write the API cannot take fails as in thin mode. */
  readonly maxPending: number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface PendingWrite {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly value: string;
}

/**
 * The daemon's pod annotation writes (network-status). A write the API cannot take now (code
 * 11: unreachable, timed out, 5xx) does not fail the ADD as it does in thin mode: the daemon
 * outlives the outage, so it keeps the value and writes it in the background once the API
 * answers, unless a newer write of the same annotation replaced it or the pod is gone (105).
 * Without this a node could not start a pod while the API server is down, even with the pod and
 * its networks cached. Writes of one annotation are sent one at a time, in order, so an older
 * value never lands after a newer one. Anything else (403, a rejected patch) fails at once.
 */
export class AnnotationWriter {
  private readonly pending = new Map<string, PendingWrite>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly stopper = new AbortController();
  private retrying: Promise<void> | undefined;

  constructor(
    private readonly client: () => Promise<KubeClient>,
    private readonly tuning: AnnotationWriterTuning,
    private readonly log: () => Logger,
  ) {}

  /** Writes kept for a later retry. */
  get waiting(): number {
    return this.pending.size;
  }

  async write(namespace: string, name: string, key: string, value: string): Promise<void> {
    const id = `${namespace}/${name}/${key}`;
    this.pending.delete(id);
    const write = { namespace, name, key, value };
    try {
      await this.send(id, write);
    } catch (err) {
      if (!this.canDefer(err)) throw err;
      this.pending.set(id, write);
      this.log().warn(
        { namespace, pod: name, annotation: key, reason: (err as CniError).msg },
        'Kubernetes API unavailable: annotation kept, written once the API answers',
      );
      this.retrying ??= this.retry().finally(() => (this.retrying = undefined));
    }
  }

  /** Stops retrying; writes still waiting are dropped (and logged). */
  async close(): Promise<void> {
    this.stopper.abort();
    await this.retrying;
    if (this.pending.size > 0)
      this.log().warn({ dropped: [...this.pending.keys()] }, 'annotation writes dropped at shutdown');
    this.pending.clear();
  }

  private canDefer(err: unknown): boolean {
    return (
      err instanceof CniError &&
      err.code === CniCode.TryAgainLater &&
      !this.stopper.signal.aborted &&
      this.pending.size < this.tuning.maxPending
    );
  }

  /** One write, after the ones of the same annotation sent before it. */
  private send(id: string, write: PendingWrite): Promise<void> {
    const before = this.chains.get(id) ?? Promise.resolve();
    const mine = before
      .catch(() => undefined)
      .then(async () => (await this.client()).setPodAnnotation(write.namespace, write.name, write.key, write.value));
    this.chains.set(id, mine);
    void mine.then(
      () => this.chains.get(id) === mine && this.chains.delete(id),
      () => this.chains.get(id) === mine && this.chains.delete(id),
    );
    return mine;
  }

  /** Retries the waiting writes with backoff until none is left or {@link close}. */
  private async retry(): Promise<void> {
    const { signal } = this.stopper;
    let failures = 0;
    while (this.pending.size > 0 && !signal.aborted) {
      const pause = Math.min(this.tuning.maxBackoffMs, this.tuning.backoffMs * 2 ** Math.min(failures, 20));
      await this.tuning.sleep(pause, signal);
      if (signal.aborted) return;
      let stillDown = false;
      for (const [id, write] of [...this.pending]) {
        if (this.pending.get(id) !== write) continue;
        try {
          await this.send(id, write);
          this.settle(id, write, undefined);
        } catch (err) {
          if (err instanceof CniError && err.code === CniCode.TryAgainLater) {
            stillDown = true;
            break;
          }
          this.settle(id, write, err);
        }
      }
      failures = stillDown ? failures + 1 : 0;
    }
  }

  /** Forgets a write that landed or cannot land; a newer value of the same annotation stays. */
  private settle(id: string, write: PendingWrite, err: unknown): void {
    if (this.pending.get(id) !== write) return;
    this.pending.delete(id);
    const fields = { namespace: write.namespace, pod: write.name, annotation: write.key };
    if (err === undefined) this.log().info(fields, 'kept annotation written');
    else if (err instanceof CniError && err.code === CniCode.KubernetesNotFound)
      this.log().info(fields, 'kept annotation not written: the pod is gone');
    else this.log().error({ ...fields, reason: toCniError(err).msg }, 'kept annotation could not be written');
  }
}
