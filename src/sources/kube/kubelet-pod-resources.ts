import { CniCode, CniError } from '../../core/errors';
import type { PodRef } from '../../core/plan';
import type { PodDevices, PodResources } from '../../core/ports/pod-resources';
import type { ListPodResourcesResponse } from './pod-resources-grpc';
import { POD_RESOURCES_SERVICE } from './pod-resources-proto';

/** Tuning of the kubelet client. */
export interface KubeletPodResourcesOptions {
  /**
   * Longest wait for one List call, connecting included (default 5000 ms). Go Multus allows
   * 10 s; 5 s keeps a hung kubelet from eating the runtime's CNI timeout, and a local socket
   * that answers at all answers in milliseconds.
   */
  readonly deadlineMs?: number;
}

const DEFAULT_DEADLINE_MS = 5000;

/** The pod's devices per resource name, every container's in listing order (Go Multus `GetPodResourceMap`). */
export function devicesOf(response: ListPodResourcesResponse, pod: PodRef): PodDevices {
  const devices = new Map<string, string[]>();
  for (const listed of response.pod_resources) {
    if (listed.name !== pod.name || listed.namespace !== pod.namespace) continue;
    for (const container of listed.containers) {
      for (const d of container.devices)
        devices.set(d.resource_name, [...(devices.get(d.resource_name) ?? []), ...d.device_ids]);
    }
  }
  return devices;
}

/**
 * The kubelet's pod-resources API over its unix socket, with @grpc/grpc-js. The gRPC module is
 * imported on the first call, so configs and pods that never name a resource never load it.
 */
export class KubeletPodResources implements PodResources {
  private readonly deadlineMs: number;

  constructor(options: KubeletPodResourcesOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  async devices(socketPath: string, pod: PodRef): Promise<PodDevices> {
    const grpc = await import('./pod-resources-grpc');
    const where = `kubelet pod-resources API unix://${socketPath}`;
    const call = `(${POD_RESOURCES_SERVICE}/List, for pod ${pod.namespace}/${pod.name})`;
    let response: ListPodResourcesResponse;
    try {
      response = await grpc.listPodResources(socketPath, this.deadlineMs);
    } catch (err) {
      if (!(err instanceof grpc.PodResourcesCallError)) throw err;
      if (err.transient) {
        const what = err.timedOut ? `no answer within ${this.deadlineMs} ms` : err.message;
        throw new CniError(CniCode.TryAgainLater, `${where} unreachable: ${what} ${call}`, { cause: err });
      }
      throw new CniError(CniCode.Internal, `${where} failed: ${err.message} ${call}`, { cause: err });
    }
    return devicesOf(response, pod);
  }
}
