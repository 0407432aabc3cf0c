import { inject, injectable } from 'inversify';
import { CniCode, CniError } from '../../core/errors';
import type { NetworkRequest, PodRef } from '../../core/plan';
import type { KubeClientProvider } from '../../core/ports/kube-client';
import type { Logger } from '../../core/ports/logger';
import type { NetworkStatus, StatusReporter } from '../../core/ports/status-reporter';
import { TOKENS } from '../../core/tokens';

export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';

/**
 * Writes the `k8s.v1.cni.cncf.io/network-status` annotation (the client retries on conflict).
 * A pod already deleted is logged, not fatal: there is no one left to read it. Any other
 * failure fails the ADD, which is then rolled back: a pod must not run with attachments its
 * status does not show.
 */
@injectable()
export class KubeStatusReporter implements StatusReporter {
  constructor(@inject(TOKENS.KubeClientProvider) private readonly clients: KubeClientProvider) {}

  async report(request: NetworkRequest, pod: PodRef, statuses: readonly NetworkStatus[], log: Logger): Promise<void> {
    const kubeconfig = request.config.kubeconfig;
    if (kubeconfig === undefined) return;
    const client = await this.clients.get(kubeconfig);
    try {
      await client.setPodAnnotation(
        pod.namespace,
        pod.name,
        NETWORK_STATUS_ANNOTATION,
        JSON.stringify(statuses, undefined, 4),
      );
    } catch (err) {
      if (err instanceof CniError && err.code === CniCode.KubernetesNotFound) {
        log.warn({ code: err.code }, `network-status not written: ${err.msg}`);
        return;
      }
      throw err;
    }
  }
}
