import type { KubeClient, KubeClientProvider, ObjectRef } from '../../core/ports/kube-client';

/**
 * Thrown by the offline Kubernetes client when the source needs the API: `explain` stays
 * offline, so the plan stops there and says what it would have asked for.
 */
export class KubernetesApiNeeded extends Error {
  override readonly name = 'KubernetesApiNeeded';

  constructor(readonly what: string) {
    super(`${what} needs the Kubernetes API; explain stays offline`);
  }
}

function describe(ref: ObjectRef): string {
  const where = ref.namespace === undefined ? '' : `${ref.namespace}/`;
  return `GET ${ref.plural}.${ref.group}/${ref.version} ${where}${ref.name}`;
}

/**
 * A KubeClientProvider whose client answers every call with {@link KubernetesApiNeeded} and
 * records what was asked, so the production Kubernetes source can run up to its first lookup
 * (and through the lookups it can answer from the node's disk) without any network access.
 */
export class OfflineKubeClientProvider implements KubeClientProvider {
  /** The API calls the source tried, in order (`GET network-attachment-definitions... ns/name`). */
  readonly asked: string[] = [];

  /** `real` makes the client an ADD would make (kubeconfig read, TLS set up), which connects to nothing. */
  constructor(private readonly real?: KubeClientProvider) {}

  /** The checks an ADD makes of its kubeconfig before its first API call: readable, usable, TLS. */
  async check(kubeconfigPath: string): Promise<void> {
    await this.real?.get(kubeconfigPath);
  }

  get(kubeconfigPath: string): Promise<KubeClient> {
    const refuse = (what: string): Promise<never> => {
      this.asked.push(what);
      return Promise.reject(new KubernetesApiNeeded(what));
    };
    const client: KubeClient = {
      server: `(offline: ${kubeconfigPath} not used)`,
      getPod: (namespace, name) => refuse(`GET pod ${namespace}/${name}`),
      getObject: (ref) => refuse(describe(ref)),
      getResourceClaim: (namespace, name) => refuse(`GET resourceclaim ${namespace}/${name}`),
      listResourceSlices: (node, driver) => refuse(`LIST resourceslices of node ${node} and driver ${driver}`),
      setPodAnnotation: (namespace, name, key) => refuse(`PATCH pod ${namespace}/${name} annotation ${key}`),
      createPodEvent: (pod, event) => refuse(`POST event ${event.reason} of pod ${pod.namespace}/${pod.name}`),
    };
    return Promise.resolve(client);
  }
}

/** The KubernetesApiNeeded error in `err` or its causes, if any. */
export function apiNeeded(err: unknown): KubernetesApiNeeded | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth += 1) {
    if (e instanceof KubernetesApiNeeded) return e;
  }
  return undefined;
}
