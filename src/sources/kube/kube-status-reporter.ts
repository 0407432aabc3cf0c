import { inject, injectable } from 'inversify';
import type { NetworkRequest, PodRef } from '../../core/plan';
import type { KubeClientProvider } from '../../core/ports/kube-client';
import type { NetworkStatus, StatusReporter } from '../../core/ports/status-reporter';
import { TOKENS } from '../../core/tokens';

export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';

/**
 * Writes the `k8s.v1.cni.cncf.io/network-status` annotation (the client retries on conflict) or
 * throws the API's error; what a failure means for the ADD is the core's rule
 * (`publishNetworkStatus`: logged by default, fatal with `strictNetworkStatus`).
 */
@injectable()
export class KubeStatusReporter implements StatusReporter {
  constructor(@inject(TOKENS.KubeClientProvider) private readonly clients: KubeClientProvider) {}

  async report(request: NetworkRequest, pod: PodRef, statuses: readonly NetworkStatus[]): Promise<void> {
    const kubeconfig = request.config.kubeconfig;
    if (kubeconfig === undefined) return;
    const client = await this.clients.get(kubeconfig);
    await client.setPodAnnotation(
      pod.namespace,
      pod.name,
      NETWORK_STATUS_ANNOTATION,
      JSON.stringify(statuses, undefined, 4),
    );
  }
}
