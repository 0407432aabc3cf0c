import { CniCode, CniError } from '../core/errors';
import type { NetworkRequest, PodRef } from '../core/plan';
import type { Logger } from '../core/ports/logger';
import type { NetworkStatus, StatusReporter } from '../core/ports/status-reporter';

/** How one network-status write ended: written (or kept for the API's return), pod gone, or failed. */
export type StatusWriteResult = 'written' | 'pod_gone' | 'failed';

/** Told of every network-status write (the daemon's metrics). */
export interface StatusWriteObserver {
  statusWritten(result: StatusWriteResult): void;
}

/**
 * The StatusReporter port with a meter around it: each write is counted by how it ended, then
 * answered exactly as the wrapped reporter answered it. A failure the ADD tolerates (the
 * default, not `strictNetworkStatus`) is in the logs and in this count only.
 */
export class MeteringStatusReporter implements StatusReporter {
  constructor(
    private readonly inner: StatusReporter,
    private readonly observer: StatusWriteObserver,
  ) {}

  async report(request: NetworkRequest, pod: PodRef, statuses: readonly NetworkStatus[], log: Logger): Promise<void> {
    try {
      await this.inner.report(request, pod, statuses, log);
      this.observer.statusWritten('written');
    } catch (err) {
      const gone = err instanceof CniError && err.code === CniCode.KubernetesNotFound;
      this.observer.statusWritten(gone ? 'pod_gone' : 'failed');
      throw err;
    }
  }
}
