import type { PodRef } from '../plan';

/**
 * The devices the kubelet allocated to one pod, per resource name (e.g. `intel.com/sriov_netdevice`):
 * every container's device IDs for that resource, in the order the kubelet lists containers and
 * devices. A pod the kubelet does not list has no entries.
 */
export type PodDevices = ReadonlyMap<string, readonly string[]>;

/**
 * The kubelet's pod-resources API (`v1.PodResourcesLister/List` on a unix socket), as the
 * Kubernetes source needs it for NetworkAttachmentDefinitions annotated
 * `k8s.v1.cni.cncf.io/resourceName`: which device a device plugin gave the pod. Implementations
 * map failures to CniErrors (the socket unreachable or not answering in time: code 11 naming it).
 * Only called for such networks, so pods without one never load the gRPC library.
 */
export interface PodResources {
  devices(socketPath: string, pod: PodRef): Promise<PodDevices>;
}
