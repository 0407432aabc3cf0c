/**
 * Changes routes inside a pod's network namespace. Implemented with `nsenter` + `ip` through
 * the executor: the plugin process never enters a namespace itself (STYLE.md 14).
 */
export interface PodRoutes {
  /** Makes `gateway` via `ifname` the pod's only default route of the gateway's IP family. */
  setDefaultRoute(netns: string, ifname: string, gateway: string): Promise<void>;
}
