/** A pod as multus needs it. */
export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly annotations: Readonly<Record<string, string>>;
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
