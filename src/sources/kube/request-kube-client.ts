import type {
  EventSubject,
  KubeClient,
  ObjectRef,
  PodEvent,
  PodInfo,
  ResourceClaimInfo,
  ResourceSliceInfo,
} from '../../core/ports/kube-client';

/**
 * One request's view of the API: identical GETs are made once, so a pod annotated with the same
 * network a hundred times makes one NAD GET, and concurrent lookups of one object share the
 * request in flight. Kept for one request only: the next pod sees the API as it is then.
 * Writes go straight through. A refreshed slice list is made once too (the caller asks for it
 * when the first answer lacked a device: the API or a daemon's cache is asked again).
 */
class RequestKubeClient implements KubeClient {
  private readonly objects = new Map<string, Promise<Record<string, unknown> | undefined>>();
  private readonly pods = new Map<string, Promise<PodInfo>>();
  private readonly claims = new Map<string, Promise<ResourceClaimInfo>>();
  private readonly slices = new Map<string, Promise<readonly ResourceSliceInfo[]>>();

  constructor(private readonly api: KubeClient) {}

  get server(): string {
    return this.api.server;
  }

  getPod(namespace: string, name: string): Promise<PodInfo> {
    return once(this.pods, `${namespace}/${name}`, () => this.api.getPod(namespace, name));
  }

  getObject(ref: ObjectRef): Promise<Record<string, unknown> | undefined> {
    const key = [ref.group, ref.version, ref.plural, ref.namespace ?? '', ref.name].join('/');
    return once(this.objects, key, () => this.api.getObject(ref));
  }

  getResourceClaim(namespace: string, name: string, podUid: string): Promise<ResourceClaimInfo> {
    return once(this.claims, `${namespace}/${name}/${podUid}`, () =>
      this.api.getResourceClaim(namespace, name, podUid),
    );
  }

  listResourceSlices(nodeName: string, driver: string, refresh = false): Promise<readonly ResourceSliceInfo[]> {
    return once(this.slices, `${nodeName}/${driver}/${String(refresh)}`, () =>
      this.api.listResourceSlices(nodeName, driver, refresh),
    );
  }

  setPodAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    return this.api.setPodAnnotation(namespace, name, key, value);
  }

  createPodEvent(pod: EventSubject, event: PodEvent, at: Date): Promise<void> {
    return this.api.createPodEvent(pod, event, at);
  }
}

function once<T>(memo: Map<string, Promise<T>>, key: string, get: () => Promise<T>): Promise<T> {
  let answer = memo.get(key);
  if (answer === undefined) {
    answer = get();
    memo.set(key, answer);
  }
  return answer;
}

/** The client for one request, made on first use (the Kubernetes library is loaded then), its GETs made once. */
export function requestKubeClient(get: () => Promise<KubeClient>): () => Promise<KubeClient> {
  let client: Promise<KubeClient> | undefined;
  return () => (client ??= get().then((api) => new RequestKubeClient(api)));
}
