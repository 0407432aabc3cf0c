import type { NetworkRequest, PodRef } from '../plan';
import type { Logger } from './logger';

/** One entry of the `k8s.v1.cni.cncf.io/network-status` annotation (Go Multus's NetworkStatus). */
export interface NetworkStatus {
  readonly name: string;
  readonly interface: string;
  readonly ips: readonly string[];
  readonly mac?: string;
  readonly default: boolean;
  readonly dns: Readonly<Record<string, unknown>>;
  readonly 'device-info'?: Readonly<Record<string, unknown>>;
}

/**
 * Publishes the pod's attachments after a successful ADD (the network-status annotation), or
 * throws the failure as a CniError (105 when the pod is gone); what a failure does to the ADD is
 * decided by `publishNetworkStatus` (`strictNetworkStatus`), not here.
 */
export interface StatusReporter {
  report(request: NetworkRequest, pod: PodRef, statuses: readonly NetworkStatus[], log: Logger): Promise<void>;
}
