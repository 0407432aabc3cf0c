import type { PodInfo } from './kube-client';

/** A pod of this node that appeared, changed or went, as the daemon's pod cache saw it. */
export interface PodChange {
  readonly type: 'added' | 'modified' | 'deleted';
  /** The pod as it is now; for `deleted`, as it was last seen. */
  readonly pod: PodInfo;
  /** The pod as it was before a `modified`. */
  readonly previous?: PodInfo;
}

/**
 * The pods of this node, as the daemon's informer keeps them (thick mode with a kubeconfig and
 * a node name). Live networks and the records' reconcile read it; without a pod cache (thin
 * mode, file mode) it is never synced and holds nothing.
 */
export interface NodePods {
  /** Listed and watching now: a pod missing from {@link list} is gone from the API. */
  synced(): boolean;
  get(namespace: string, name: string): PodInfo | undefined;
  list(): readonly PodInfo[];
  /**
   * Tells `listener` of every later change, in the order the cache applied them (a re-list
   * reports what it changed). Returns what unsubscribes it.
   */
  subscribe(listener: (change: PodChange) => void): () => void;
}

/** No pod cache: never synced, no pods, no changes. */
export const NO_NODE_PODS: NodePods = {
  synced: () => false,
  get: () => undefined,
  list: () => [],
  subscribe: () => () => undefined,
};
