import { CniCode, toCniError } from './errors';
import type { NetworkRequest, PodRef } from './plan';
import type { Logger } from './ports/logger';
import type { NetworkStatus, StatusReporter } from './ports/status-reporter';

/**
 * Publishes the pod's network-status after an ADD whose attachments are all up. A write that
 * fails does not fail the ADD (today's Go Multus): the pod's networking works, and a status the
 * API would not take is logged with the API's reason. With `strictNetworkStatus` it fails the
 * ADD (which is then rolled back), naming the pod. A pod already gone from the API (code 105) is
 * never an error: no one is left to read its status, and the runtime's DEL follows.
 */
export async function publishNetworkStatus(
  reporter: StatusReporter,
  request: NetworkRequest,
  pod: PodRef,
  statuses: readonly NetworkStatus[],
  log: Logger,
): Promise<void> {
  try {
    await reporter.report(request, pod, statuses, log);
  } catch (err) {
    const error = toCniError(err);
    const fields = { code: error.code, namespace: pod.namespace, pod: pod.name };
    if (error.code === CniCode.KubernetesNotFound) {
      log.warn(fields, `network-status not written: pod ${pod.namespace}/${pod.name} is gone from the API`);
      return;
    }
    if (request.config.kubernetes.strictNetworkStatus) {
      throw error.withContext(`writing the network-status of pod ${pod.namespace}/${pod.name} (strictNetworkStatus)`);
    }
    log.warn(
      { ...fields, reason: error.msg },
      "network-status not written; the pod's networks are up and the ADD succeeds (strictNetworkStatus is off)",
    );
  }
}
