/** A pod as multus needs it. */
export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** `spec.nodeName`: where its ResourceSlices are published (Dynamic Resource Allocation). */
  readonly nodeName?: string;
  /** `status.resourceClaimStatuses`: the ResourceClaims whose devices the pod got, in the API's order. */
  readonly resourceClaimStatuses?: readonly PodClaimStatus[];
  /** `status.extendedResourceClaimStatus`: the claim the scheduler made for extended resources backed by DRA. */
  readonly extendedResourceClaimStatus?: ExtendedResourceClaimStatus;
}

/** One entry of `status.resourceClaimStatuses`. */
export interface PodClaimStatus {
  /** The pod's name for the claim (`spec.resourceClaims[].name`). */
  readonly name: string;
  /** The ResourceClaim in the pod's namespace; absent when none was needed (the API leaves it unset). */
  readonly resourceClaimName: string | undefined;
}

/** `status.extendedResourceClaimStatus`: which request of the claim serves which extended resource. */
export interface ExtendedResourceClaimStatus {
  readonly resourceClaimName: string;
  readonly requestMappings: readonly {
    readonly containerName: string;
    readonly resourceName: string;
    readonly requestName: string;
  }[];
}

/** One allocated device of a ResourceClaim (`status.allocation.devices.results[]`). */
export interface ClaimDeviceResult {
  readonly request: string;
  readonly driver: string;
  readonly pool: string;
  readonly device: string;
}

/** A ResourceClaim (resource.k8s.io/v1) as multus needs it. */
export interface ResourceClaimInfo {
  readonly namespace: string;
  readonly name: string;
  /** Its allocated devices in the API's order; undefined while the claim has no `status.allocation`. */
  readonly results: readonly ClaimDeviceResult[] | undefined;
}

/** A device a ResourceSlice publishes, with the attributes multus reads. */
export interface SliceDevice {
  readonly name: string;
  /** Its string-valued attributes of the `k8s.cni.cncf.io/` domain (others are not kept). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** A ResourceSlice (resource.k8s.io/v1, cluster-scoped) as multus needs it. */
export interface ResourceSliceInfo {
  readonly name: string;
  /** `spec.pool.name`. */
  readonly pool: string;
  readonly devices: readonly SliceDevice[];
}

/** A Kubernetes Event about a pod (core v1 Event: `type`, `reason`, `message`). */
export interface PodEvent {
  readonly type: 'Normal' | 'Warning';
  /** CamelCase, e.g. `AddedInterface`. */
  readonly reason: string;
  readonly message: string;
}

/** The pod an event is about. */
export interface EventSubject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Where an object lives: `/apis/<group>/<version>[/namespaces/<namespace>]/<plural>/<name>`. */
export interface ObjectRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
}

/**
 * The Kubernetes API as the sources use it. Implementations map failures to CniErrors:
 * unreachable / 5xx / timeout → retried briefly, then code 11 naming the server; 401/403 →
 * code 104 naming the user and the resource; a missing pod → code 105.
 */
export interface KubeClient {
  /** The API server's URL, for messages. */
  readonly server: string;
  getPod(namespace: string, name: string): Promise<PodInfo>;
  /**
   * A ResourceClaim of the pod `podUid` (a missing claim is code 105). An allocation does not
   * change while the claim is reserved for the pod, so a cache may keep the answer as long as
   * that pod lives.
   */
  getResourceClaim(namespace: string, name: string, podUid: string): Promise<ResourceClaimInfo>;
  /**
   * The ResourceSlices of `driver` on `nodeName` (field selector `spec.nodeName`, `spec.driver`).
   * `refresh`: the caller missed a device in an earlier answer; a cache lists again.
   */
  listResourceSlices(nodeName: string, driver: string, refresh?: boolean): Promise<readonly ResourceSliceInfo[]>;
  /** The object, or undefined when the API says it does not exist (404 NotFound). */
  getObject(ref: ObjectRef): Promise<Record<string, unknown> | undefined>;
  /**
   * Sets one annotation on a pod: a merge patch of that key alone, which needs no
   * resourceVersion (it cannot overwrite another writer's keys). Should the server answer 409
   * Conflict, the pod is read and the patch retried with its resourceVersion.
   */
  setPodAnnotation(namespace: string, name: string, key: string, value: string): Promise<void>;
  /** Creates an Event about the pod (reported by `multus`), as `kubectl describe pod` shows it. */
  createPodEvent(pod: EventSubject, event: PodEvent, at: Date): Promise<void>;
}

/** Makes the client for a kubeconfig once per process; the Kubernetes client library is loaded only then. */
export interface KubeClientProvider {
  get(kubeconfigPath: string): Promise<KubeClient>;
}
