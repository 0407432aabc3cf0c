import { CniCode, CniError } from '../../src/core/errors';
import type {
  EventSubject,
  KubeClient,
  KubeClientProvider,
  ObjectRef,
  PodEvent,
  PodInfo,
  ResourceClaimInfo,
  ResourceSliceInfo,
} from '../../src/core/ports/kube-client';
import type { DelegateConf } from '../../src/core/plan';
import type { ConfDirReader } from '../../src/sources/kube/conf-dir';

/** A NetworkAttachmentDefinition's address. */
export function nadRef(namespace: string, name: string): ObjectRef {
  return { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', namespace, name };
}

/** A seed `Network` object's address (served by the CRD below, or by a TPR). */
export function networkRef(namespace: string, name: string): ObjectRef {
  return { group: 'kubernetes.com', version: 'v1', plural: 'networks', namespace, name };
}

/** The CRD that serves seed `Network` objects. */
export const NETWORK_CRD: ObjectRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  name: 'networks.kubernetes.com',
};

function refKey(ref: ObjectRef): string {
  return [ref.group, ref.version, ref.plural, ref.namespace ?? '', ref.name].join('|');
}

/** An in-memory KubeClient for unit tests: pods and objects, a call log, and a failure switch. */
export class FakeKubeClient implements KubeClient, KubeClientProvider {
  readonly server = 'https://fake-apiserver';
  readonly calls: string[] = [];
  readonly pods = new Map<string, PodInfo>();
  readonly objects = new Map<string, Record<string, unknown>>();
  /** When set, every call fails with it (the API down, say). */
  failWith: CniError | undefined;

  get(): Promise<KubeClient> {
    return Promise.resolve(this);
  }

  addPod(namespace: string, name: string, annotations: Record<string, string> = {}, uid = `uid-${name}`): this {
    this.pods.set(`${namespace}/${name}`, { namespace, name, uid, resourceVersion: '1', annotations });
    return this;
  }

  /** Gives a pod its node and DRA status fields (`status.resourceClaimStatuses`, `extendedResourceClaimStatus`). */
  setPodDra(
    namespace: string,
    name: string,
    dra: Pick<PodInfo, 'nodeName' | 'resourceClaimStatuses' | 'extendedResourceClaimStatus'>,
  ): this {
    const key = `${namespace}/${name}`;
    const pod = this.pods.get(key);
    if (pod === undefined) throw new Error(`FakeKubeClient: no pod ${key}; addPod first`);
    this.pods.set(key, { ...pod, ...dra });
    return this;
  }

  /** ResourceClaims by `namespace/name`. */
  readonly claims = new Map<string, ResourceClaimInfo>();
  /** ResourceSlices by `node/driver`. */
  readonly slices = new Map<string, ResourceSliceInfo[]>();

  /** A claim with these allocated devices; `undefined`: not allocated. */
  addResourceClaim(namespace: string, name: string, results: ResourceClaimInfo['results']): this {
    this.claims.set(`${namespace}/${name}`, { namespace, name, results });
    return this;
  }

  /** A slice of `driver` on `node`. */
  addResourceSlice(node: string, driver: string, slice: ResourceSliceInfo): this {
    const key = `${node}/${driver}`;
    this.slices.set(key, [...(this.slices.get(key) ?? []), slice]);
    return this;
  }

  getResourceClaim(namespace: string, name: string, podUid: string): Promise<ResourceClaimInfo> {
    this.calls.push(`getResourceClaim ${namespace}/${name} ${podUid}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const claim = this.claims.get(`${namespace}/${name}`);
    return claim === undefined
      ? Promise.reject(new CniError(CniCode.KubernetesNotFound, `resourceclaim ${namespace}/${name} not found`))
      : Promise.resolve(claim);
  }

  listResourceSlices(nodeName: string, driver: string, refresh = false): Promise<readonly ResourceSliceInfo[]> {
    this.calls.push(`listResourceSlices ${nodeName} ${driver}${refresh ? ' refresh' : ''}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    return Promise.resolve([...(this.slices.get(`${nodeName}/${driver}`) ?? [])]);
  }

  addObject(ref: ObjectRef, body: Record<string, unknown>): this {
    this.objects.set(refKey(ref), body);
    return this;
  }

  addNad(namespace: string, name: string, config: unknown): this {
    const spec = config === undefined ? {} : { config: typeof config === 'string' ? config : JSON.stringify(config) };
    return this.addObject(nadRef(namespace, name), { metadata: { name, namespace }, spec });
  }

  /** A seed `Network` object, and the CRD (or the TPR) that serves it. */
  addNetwork(
    namespace: string,
    name: string,
    plugin: string,
    conf: Record<string, unknown>,
    kind: 'CRD' | 'TPR' = 'CRD',
  ): this {
    if (kind === 'CRD') this.addObject(NETWORK_CRD, {});
    else
      this.addObject(
        { group: 'extensions', version: 'v1beta1', plural: 'thirdpartyresources', name: 'network.kubernetes.com' },
        {},
      );
    return this.addObject(networkRef(namespace, name), { metadata: { name }, plugin, args: JSON.stringify([conf]) });
  }

  getPod(namespace: string, name: string): Promise<PodInfo> {
    this.calls.push(`getPod ${namespace}/${name}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const pod = this.pods.get(`${namespace}/${name}`);
    return pod === undefined
      ? Promise.reject(new CniError(CniCode.KubernetesNotFound, `pod ${namespace}/${name} not found`))
      : Promise.resolve(pod);
  }

  getObject(ref: ObjectRef): Promise<Record<string, unknown> | undefined> {
    this.calls.push(`getObject ${ref.group}/${ref.plural} ${ref.namespace ?? ''}/${ref.name}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    return Promise.resolve(this.objects.get(refKey(ref)));
  }

  setPodAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    this.calls.push(`setPodAnnotation ${namespace}/${name} ${key}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const pod = this.pods.get(`${namespace}/${name}`);
    if (pod === undefined)
      return Promise.reject(new CniError(CniCode.KubernetesNotFound, `pod ${namespace}/${name} not found`));
    this.pods.set(`${namespace}/${name}`, { ...pod, annotations: { ...pod.annotations, [key]: value } });
    return Promise.resolve();
  }

  /** Events created, in order: `Warning AttachFailed ns1/pod1: message`. */
  readonly events: string[] = [];

  createPodEvent(pod: EventSubject, event: PodEvent): Promise<void> {
    this.calls.push(`createPodEvent ${pod.namespace}/${pod.name} ${event.reason}`);
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.events.push(`${event.type} ${event.reason} ${pod.namespace}/${pod.name}: ${event.message}`);
    return Promise.resolve();
  }
}

/** Config files by dir and name, in memory. */
export class FakeConfDir implements ConfDirReader {
  constructor(private readonly files: Record<string, DelegateConf> = {}) {}
  findByName(dir: string, name: string): Promise<DelegateConf | undefined> {
    return Promise.resolve(
      Object.entries(this.files).find(([path, conf]) => path.startsWith(`${dir}/`) && conf['name'] === name)?.[1],
    );
  }
  listFiles(dir: string): Promise<string[] | undefined> {
    const inDir = Object.keys(this.files).filter(
      (p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'),
    );
    return Promise.resolve(
      inDir.length === 0 ? undefined : inDir.filter((p) => /\.(conf|conflist|json)$/u.test(p)).sort(),
    );
  }
  readFile(path: string): Promise<DelegateConf> {
    const conf = this.files[path];
    return conf === undefined
      ? Promise.reject(new CniError(CniCode.InvalidConfig, `cannot read CNI config file ${path}`))
      : Promise.resolve(conf);
  }
}
