import { isObject } from '../../core/json';
import type {
  EventSubject,
  KubeClient,
  ObjectRef,
  PodEvent,
  PodInfo,
  ResourceClaimInfo,
  ResourceSliceInfo,
} from '../../core/ports/kube-client';
import { DraCache } from './dra-cache';
import type { Logger } from '../../core/ports/logger';
import { toPodInfo } from './pod-info';
import { AnnotationWriter, type AnnotationWriterTuning } from './annotation-writer';
import { Informer, type InformerSpec, type InformerStatus, type InformerTuning } from './informer-cache';
import type { Connected } from './kube-connection';

/**
 * The daemon's view of the API: the node's pods and the networks it resolved come from
 * informer caches, so an ADD of a pod already cached makes no GET at all, and keeps working
 * from the cache while the API is down. Writes go to the API (see {@link AnnotationWriter}).
 */

export interface CacheSettings {
  /** The node whose pods are cached (`spec.nodeName`); without it pods are read with a GET each time. */
  readonly nodeName: string | undefined;
  /** How long a lookup waits for a new informer's first list before asking the API itself. */
  readonly firstListWaitMs: number;
  /** Informers for objects at most (one per network kind and namespace); beyond, objects are read with GETs. */
  readonly maxInformers: number;
  /** How long a pod read with a GET (not yet in the informer) answers for it. */
  readonly fetchedPodTtlMs: number;
  readonly tuning: InformerTuning;
  readonly writer: AnnotationWriterTuning;
}

/** Pods read with a GET at most remembered (the oldest go first). */
const MAX_FETCHED_PODS = 1000;

function podInfo(object: Record<string, unknown>): PodInfo {
  return toPodInfo(object, undefined);
}

/** kubectl's copy of the whole object, in an annotation that multus never reads. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The object without what multus never reads and can be large (managedFields, kubectl's last-applied copy). */
function trimmed(object: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(object['metadata'])) return object;
  const { managedFields: _dropped, ...metadata } = object['metadata'];
  if (isObject(metadata['annotations']) && LAST_APPLIED in metadata['annotations']) {
    const { [LAST_APPLIED]: _copy, ...annotations } = metadata['annotations'];
    metadata['annotations'] = annotations;
  }
  return { ...object, metadata };
}

function collectionPath(ref: ObjectRef): string {
  const scope = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  return `/apis/${ref.group}/${ref.version}${scope}/${ref.plural}`;
}

/**
 * Objects are cached per kind and namespace: one list+watch of e.g. the NADs of `ns1`, started
 * on the first lookup there, answers every later lookup in that namespace, found or not (the
 * resolver's "NAD, else Network" tries cost nothing). Cluster-scoped lookups (the CRD and TPR
 * checks) watch that one object by name: listing every CRD of a cluster would cost far more.
 */
function objectSpec(ref: ObjectRef): InformerSpec<Record<string, unknown>> & { readonly id: string } {
  const kind = `${ref.plural}.${ref.group}`;
  if (ref.namespace !== undefined) {
    return {
      id: `${ref.group}/${ref.version}/${ref.plural}/${ref.namespace}`,
      kind,
      scope: `namespace=${ref.namespace}`,
      path: collectionPath(ref),
      transform: trimmed,
    };
  }
  return {
    id: `${ref.group}/${ref.version}/${ref.plural}//${ref.name}`,
    kind,
    scope: `name=${ref.name}`,
    path: collectionPath(ref),
    fieldSelector: `metadata.name=${ref.name}`,
    transform: trimmed,
  };
}

export class CachedKubeClient implements KubeClient {
  private readonly pods: Informer<PodInfo> | undefined;
  private readonly objects = new Map<string, Informer<Record<string, unknown>>>();
  private readonly fetched = new Map<string, { pod: PodInfo; at: number; changes: number }>();
  private readonly writer: AnnotationWriter;
  private readonly dra: DraCache;
  private overCapLogged = false;
  private missLogged = false;

  constructor(
    readonly server: string,
    private readonly connection: () => Promise<Connected>,
    private readonly settings: CacheSettings,
    private readonly log: () => Logger,
  ) {
    const api = async (): Promise<Connected['api']> => (await connection()).api;
    const node = settings.nodeName;
    if (node !== undefined) {
      const spec = {
        kind: 'pods',
        scope: `node=${node}`,
        path: '/api/v1/pods',
        fieldSelector: `spec.nodeName=${node}`,
        transform: podInfo,
      };
      this.pods = new Informer(spec, api, settings.tuning, log);
      this.pods.start();
    }
    this.writer = new AnnotationWriter(async () => (await connection()).client, settings.writer, log);
    this.dra = new DraCache(async () => (await connection()).client, this.pods);
  }

  /**
   * From the node's pod cache; a pod not there yet (its watch event still on the way) is read
   * with one GET and answered from that read for a short while, unless the watch deletes it.
   */
  async getPod(namespace: string, name: string): Promise<PodInfo> {
    const pods = this.pods;
    // Without the node's informer nothing would tell a read pod's deletion: read it every time.
    if (pods === undefined) return (await this.connection()).client.getPod(namespace, name);
    const key = `${namespace}/${name}`;
    if (!pods.listed) await pods.waitForFirstList(this.settings.firstListWaitMs);
    const cached = pods.get(key);
    if (cached !== undefined) return cached;
    const now = this.settings.tuning.now();
    const fetched = this.fetched.get(key);
    if (
      fetched !== undefined &&
      now - fetched.at < this.settings.fetchedPodTtlMs &&
      !pods.deletedAfter(key, fetched.changes)
    )
      return fetched.pod;
    if (fetched !== undefined && pods.listed) this.warnMiss(namespace, name);
    const changes = pods.changes;
    const pod = await (await this.connection()).client.getPod(namespace, name);
    this.fetched.delete(key);
    this.fetched.set(key, {
      pod: Object.freeze({ ...pod, annotations: Object.freeze({ ...pod.annotations }) }),
      at: now,
      changes,
    });
    if (this.fetched.size > MAX_FETCHED_PODS) this.fetched.delete(this.fetched.keys().next().value as string);
    return pod;
  }

  /**
   * From the cache of the object's kind and namespace (started on first use), as a copy; a GET
   * while that cache has never listed.
   */
  async getObject(ref: ObjectRef): Promise<Record<string, unknown> | undefined> {
    const informer = ref.group === '' ? undefined : this.informerFor(ref);
    if (informer !== undefined) {
      if (!informer.listed) await informer.waitForFirstList(this.settings.firstListWaitMs);
      if (informer.listed) {
        const cached = informer.get(ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`);
        // A copy the caller may change, as a GET's answer would be (the cache's own is frozen).
        return cached === undefined ? undefined : structuredClone(cached);
      }
    }
    return (await this.connection()).client.getObject(ref);
  }

  /** See {@link DraCache}: claims kept while their pod lives, slices per node and driver. */
  getResourceClaim(namespace: string, name: string, podUid: string): Promise<ResourceClaimInfo> {
    return this.dra.getResourceClaim(namespace, name, podUid);
  }

  listResourceSlices(nodeName: string, driver: string, refresh = false): Promise<readonly ResourceSliceInfo[]> {
    return this.dra.listResourceSlices(nodeName, driver, refresh);
  }

  /** The informer of the node's pods; undefined without a node name. */
  get podInformer(): Informer<PodInfo> | undefined {
    return this.pods;
  }

  setPodAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    return this.writer.write(namespace, name, key, value);
  }

  createPodEvent(pod: EventSubject, event: PodEvent, at: Date): Promise<void> {
    return this.connection().then((c) => c.client.createPodEvent(pod, event, at));
  }

  status(): InformerStatus[] {
    return [...(this.pods === undefined ? [] : [this.pods]), ...this.objects.values()].map((i) => i.status());
  }

  /** Stops every informer and the writer's retries. */
  async close(): Promise<void> {
    await Promise.all([this.pods?.stop(), ...[...this.objects.values()].map((i) => i.stop()), this.writer.close()]);
  }

  /** A pod read with a GET long ago is still not in the node's informer: logged once. */
  private warnMiss(namespace: string, name: string): void {
    if (this.missLogged) return;
    this.missLogged = true;
    this.log().warn(
      { namespace, pod: name, node: this.settings.nodeName },
      'pod still not in the informer of its node after a GET: is the node name (MULTUS_NODE_NAME, nodeName) right?',
    );
  }

  private informerFor(ref: ObjectRef): Informer<Record<string, unknown>> | undefined {
    const spec = objectSpec(ref);
    let informer = this.objects.get(spec.id);
    if (informer !== undefined) return informer;
    if (this.objects.size >= this.settings.maxInformers) {
      if (!this.overCapLogged) {
        this.overCapLogged = true;
        this.log().warn(
          { max: this.settings.maxInformers },
          'informer limit reached: further objects are read with GETs',
        );
      }
      return undefined;
    }
    const api = async (): Promise<Connected['api']> => (await this.connection()).api;
    informer = new Informer(spec, api, this.settings.tuning, this.log);
    this.objects.set(spec.id, informer);
    informer.start();
    return informer;
  }
}
