import type { RequestOptions } from 'node:https';
import { CniCode, CniError, toCniError } from '../../core/errors';
import { isObject } from '../../core/json';
import type {
  EventSubject,
  KubeClient,
  KubeClientProvider,
  ObjectRef,
  PodEvent,
  PodInfo,
  ResourceClaimInfo,
  ResourceSliceInfo,
} from '../../core/ports/kube-client';
import { toResourceClaim, toResourceSlices } from './dra-objects';
import {
  accessDenied,
  type ApiCallTarget,
  type ApiFailure,
  type ApiStatus,
  classifyResponse,
  classifyThrown,
  describeCall,
  notFound,
  rejected,
  unreachable,
} from './kube-errors';
import { httpsOptions, importAndLoadKubeconfig, type LoadedKubeconfig } from './load-kubeconfig';
import { HttpStatusError, RestTransport } from './rest-transport';
import { toPodInfo } from './pod-info';

/** The parts of a pod multus reads. */
interface V1Pod {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly annotations?: Record<string, string>;
  };
}

const MERGE_PATCH = 'application/merge-patch+json';

/** Dynamic Resource Allocation's API group and version (stable since Kubernetes 1.34). */
const DRA_API = { group: 'resource.k8s.io', version: 'v1' } as const;

function podPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
}

/** A core v1 Event about a pod, as client-go's event recorder makes one (source component `multus`). */
export function podEventBody(pod: EventSubject, event: PodEvent, at: Date): Record<string, unknown> {
  const time = at.toISOString().replace(/\.\d{3}Z$/u, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${pod.name}.`, namespace: pod.namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
    type: event.type,
    reason: event.reason,
    message: event.message,
    source: { component: 'multus' },
    reportingComponent: 'multus',
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

function objectPath(ref: ObjectRef): string {
  const scope = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  return `/apis/${ref.group}/${ref.version}${scope}/${ref.plural}/${encodeURIComponent(ref.name)}`;
}
import { type AttemptTimer, Deadline, realAttemptTimer, realSleep, type RetryPolicy, retrying } from './retry';
import { ClientMemo } from './client-memo';

/** Tuning of the client; the defaults keep a whole operation within about four seconds. */
export interface ClientNodeKubeClientOptions {
  /** Longest wait for one HTTP attempt (default 2000 ms). */
  readonly attemptTimeoutMs?: number;
  /** Time one operation (getPod, getObject, setPodAnnotation) may spend retrying (default 4000 ms). */
  readonly retryBudgetMs?: number;
  /** Pauses before the retries; its length bounds their number (default [200, 400, 800]). */
  readonly backoffMs?: readonly number[];
  /** Tests pass an instant or recording sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Tests pass a fake clock for the retry budget. */
  readonly now?: () => number;
  /**
   * Tests pass a timer they expire themselves, so that an attempt times out when the test says
   * (e.g. once the server holds the request), never because a loaded machine answered late.
   */
  readonly attemptTimer?: AttemptTimer;
}

/** How often setPodAnnotation re-reads the pod after losing a race to another writer. */
const CONFLICT_RETRIES = 5;

/** What a call may legitimately answer besides its value; anything else becomes a CniError. */
type CallOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'not-found'; readonly status: ApiStatus | undefined }
  | { readonly kind: 'conflict' };

interface Expected {
  readonly notFound?: boolean;
  readonly conflict?: boolean;
}

function podTarget(verb: ApiCallTarget['verb'], namespace: string, name: string): ApiCallTarget {
  return { verb, resource: 'pods', object: `${namespace}/${name}` };
}

function objectTarget(ref: ObjectRef): ApiCallTarget {
  const object = ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`;
  return { verb: 'get', resource: `${ref.plural}.${ref.group}`, object };
}

/**
 * The Kubernetes API through @kubernetes/client-node. Every call is retried briefly on network
 * failures, timeouts, 429 and 5xx, then reported as code 11 naming the server (kubelet retries
 * the ADD); 401/403 are code 104 naming the user; a missing pod is code 105.
 */
export class ClientNodeKubeClient implements KubeClient {
  readonly server: string;
  private readonly user: string;
  private readonly rest: RestTransport;
  private readonly policy: RetryPolicy;
  private readonly budgetMs: number;
  private readonly now: () => number;

  /** `tls`: the TLS material and auth headers the kubeconfig gives (KubeConfig.applyToHTTPSOptions). */
  constructor(kubeconfig: LoadedKubeconfig, tls: RequestOptions, options: ClientNodeKubeClientOptions = {}) {
    this.server = kubeconfig.server;
    this.user = kubeconfig.user;
    this.rest = new RestTransport(kubeconfig.server, tls);
    this.policy = {
      attemptTimeoutMs: options.attemptTimeoutMs ?? 2000,
      backoffMs: options.backoffMs ?? [200, 400, 800],
      sleep: options.sleep ?? realSleep,
      attemptTimer: options.attemptTimer ?? realAttemptTimer,
    };
    this.budgetMs = options.retryBudgetMs ?? 4000;
    this.now = options.now ?? Date.now;
  }

  async getPod(namespace: string, name: string): Promise<PodInfo> {
    return toPodInfo(await this.readPod(namespace, name, this.deadline()), { namespace, name });
  }

  /**
   * The object, or undefined on a 404. Two different 404s both give undefined for now: a Status
   * with reason NotFound (the object is missing) and a bare `404 page not found` (the server
   * does not serve that group/version/resource at all, e.g. the CRD is not installed). The
   * sources treat both as "no such network"; `CallOutcome.status` keeps them apart if a caller
   * ever needs to (it is undefined for the bare 404).
   */
  async getObject(ref: ObjectRef): Promise<Record<string, unknown> | undefined> {
    if (ref.group === '')
      throw new CniError(
        CniCode.Internal,
        `getObject needs an API group (core objects are not custom objects): ${ref.plural} ${ref.name}`,
      );
    const outcome = await this.call<unknown>(objectTarget(ref), this.deadline(), { notFound: true }, (signal) =>
      this.rest.request({ method: 'GET', path: objectPath(ref), signal }),
    );
    if (outcome.kind !== 'ok') return undefined;
    const value = outcome.value;
    return isObject(value) ? value : undefined;
  }

  /** GET of the claim; a missing one is code 105 naming it (the pod UID only matters to caches). */
  async getResourceClaim(namespace: string, name: string, _podUid: string): Promise<ResourceClaimInfo> {
    const ref = { ...DRA_API, plural: 'resourceclaims', namespace, name };
    const target = objectTarget(ref);
    const outcome = await this.call<unknown>(target, this.deadline(), {}, (signal) =>
      this.rest.request({ method: 'GET', path: objectPath(ref), signal }),
    );
    if (outcome.kind !== 'ok') throw notFound(this.server, target, undefined);
    return toResourceClaim(outcome.value, namespace, name);
  }

  /** One list of the node's slices of `driver` (the API filters them); a new list every call. */
  async listResourceSlices(nodeName: string, driver: string): Promise<readonly ResourceSliceInfo[]> {
    const selector = `spec.nodeName=${nodeName},spec.driver=${driver}`;
    const target: ApiCallTarget = { verb: 'list', resource: `resourceslices.${DRA_API.group}`, object: selector };
    const query = `fieldSelector=${encodeURIComponent(selector)}`;
    const path = `/apis/${DRA_API.group}/${DRA_API.version}/resourceslices?${query}`;
    const outcome = await this.call<unknown>(target, this.deadline(), { notFound: true }, (signal) =>
      this.rest.request({ method: 'GET', path, signal }),
    );
    if (outcome.kind === 'ok') return toResourceSlices(outcome.value);
    throw new CniError(
      CniCode.KubernetesNotFound,
      `Kubernetes API ${this.server} does not serve resourceslices.${DRA_API.group}/${DRA_API.version} ` +
        `(Dynamic Resource Allocation v1 needs Kubernetes 1.34 or later) (${describeCall(target)})`,
    );
  }

  /**
   * A merge patch that carries the resourceVersion just read, so a concurrent writer's change is
   * never overwritten: on 409 the pod is read again and the patch retried. A pod that vanished
   * is code 105 (the caller decides whether that matters; after ADD it is only logged).
   */
  /**
   * A merge patch of the one annotation, first without a resourceVersion: it cannot overwrite
   * anything else, and it needs no GET (annotations read from the runtime then cost no pod
   * read at all). Should the server still answer 409, the pod is read and the patch retried
   * with its resourceVersion.
   */
  async setPodAnnotation(namespace: string, name: string, key: string, value: string): Promise<void> {
    const deadline = this.deadline();
    const target = podTarget('patch', namespace, name);
    let resourceVersion: string | undefined;
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      const metadata =
        resourceVersion === undefined
          ? { annotations: { [key]: value } }
          : { resourceVersion, annotations: { [key]: value } };
      const outcome = await this.call(target, deadline, { notFound: true, conflict: true }, (signal) =>
        this.rest.request({
          method: 'PATCH',
          path: podPath(namespace, name),
          body: { metadata },
          contentType: MERGE_PATCH,
          signal,
        }),
      );
      if (outcome.kind === 'ok') return;
      if (outcome.kind === 'not-found') throw notFound(this.server, target, undefined);
      resourceVersion = (await this.readPod(namespace, name, deadline)).metadata?.resourceVersion ?? '';
    }
    throw new CniError(
      CniCode.TryAgainLater,
      `Kubernetes API ${this.server}: pod ${namespace}/${name} kept changing, ${CONFLICT_RETRIES + 1} ` +
        `conflicting updates (PATCH pods ${namespace}/${name})`,
    );
  }

  /** POST of a core v1 Event about the pod; a namespace already gone is code 105 like a pod. */
  async createPodEvent(pod: EventSubject, event: PodEvent, at: Date): Promise<void> {
    const target: ApiCallTarget = { verb: 'create', resource: 'events', object: `${pod.namespace}/${pod.name}` };
    const body = podEventBody(pod, event, at);
    const outcome = await this.call(target, this.deadline(), { notFound: true }, (signal) =>
      this.rest.request({
        method: 'POST',
        path: `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`,
        body,
        signal,
      }),
    );
    if (outcome.kind === 'not-found') throw notFound(this.server, target, undefined);
  }

  private deadline(): Deadline {
    return new Deadline(this.budgetMs, this.now);
  }

  private async readPod(namespace: string, name: string, deadline: Deadline): Promise<V1Pod> {
    const target = podTarget('get', namespace, name);
    const outcome = await this.call(target, deadline, {}, (signal) =>
      this.rest.request({ method: 'GET', path: podPath(namespace, name), signal }),
    );
    if (outcome.kind !== 'ok') throw notFound(this.server, target, undefined);
    return outcome.value ?? {};
  }

  /** One API call with retries; failures the caller does not expect become CniErrors here. */
  private async call<T>(
    target: ApiCallTarget,
    deadline: Deadline,
    expected: Expected,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<CallOutcome<T>> {
    let failure: ApiFailure | undefined;
    const classify = (err: unknown): string | undefined => {
      failure = this.classify(err);
      return failure.kind === 'transient' ? failure.reason : undefined;
    };
    const giveUp = (reason: string, attempts: number, err: unknown): Error =>
      unreachable(this.server, reason, attempts, target, err);
    try {
      return { kind: 'ok', value: await retrying(run, this.policy, deadline, classify, giveUp) };
    } catch (err) {
      if (err instanceof CniError || failure === undefined) throw toCniError(err, `Kubernetes API ${this.server}`);
      return this.outcomeOf(failure, expected, target, err);
    }
  }

  private outcomeOf<T>(failure: ApiFailure, expected: Expected, target: ApiCallTarget, err: unknown): CallOutcome<T> {
    switch (failure.kind) {
      case 'not-found':
        if (expected.notFound === true) return { kind: 'not-found', status: failure.status };
        throw notFound(this.server, target, err);
      case 'conflict':
        if (expected.conflict === true) return { kind: 'conflict' };
        throw rejected(this.server, target, '409 Conflict', err);
      case 'unauthorized':
      case 'forbidden':
        throw accessDenied(this.server, this.user, target, failure, err);
      case 'rejected':
        throw rejected(this.server, target, failure.detail, err);
      case 'internal':
        throw new CniError(CniCode.Internal, `Kubernetes client: ${failure.detail}`, { cause: err });
      case 'transient':
        throw unreachable(this.server, failure.reason, 1, target, err);
    }
  }

  private classify(err: unknown): ApiFailure {
    if (err instanceof HttpStatusError) return classifyResponse(err);
    return classifyThrown(err, () => false);
  }
}

/**
 * Makes one client per kubeconfig path and process. @kubernetes/client-node is imported here,
 * on the first get(), never at module load: a pod served from files alone does not pay the
 * tens of milliseconds that loading it costs.
 */
export class ClientNodeKubeClientProvider implements KubeClientProvider {
  private readonly clients = new ClientMemo<KubeClient>();

  constructor(private readonly options: ClientNodeKubeClientOptions = {}) {}

  get(kubeconfigPath: string): Promise<KubeClient> {
    return this.clients.get(kubeconfigPath, (path) => this.create(path));
  }

  private async create(kubeconfigPath: string): Promise<KubeClient> {
    const loaded = await importAndLoadKubeconfig(kubeconfigPath);
    const tls = await httpsOptions(loaded, kubeconfigPath);
    return new ClientNodeKubeClient(loaded, tls, this.options);
  }
}
