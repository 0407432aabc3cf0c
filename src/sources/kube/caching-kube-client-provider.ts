import { toCniError } from '../../core/errors';
import type { KubeClient, KubeClientProvider } from '../../core/ports/kube-client';
import type { Logger } from '../../core/ports/logger';
import type { AnnotationWriterTuning } from './annotation-writer';
import { CachedKubeClient, type CacheSettings } from './cached-kube-client';
import { DEFAULT_TUNING, type InformerStatus, type InformerTuning } from './informer-cache';
import { type Connected, KubeConnection, type KubeConnectionOptions } from './kube-connection';
import { ClientMemo } from './client-memo';
import { InformerNodePods } from './informer-node-pods';
import type { NodePods } from '../../core/ports/node-pods';

export type { InformerStatus } from './informer-cache';

/** The daemon's knobs; everything but the node name has a default meant for production. */
export interface CachingKubeOptions {
  /** The node whose pods are cached; without it every pod is read with a GET, as in thin mode. */
  readonly nodeName?: string;
  /** The daemon's logger, read when first needed (the daemon makes it after its container). */
  readonly log?: () => Logger;
  readonly connection?: KubeConnectionOptions;
  readonly tuning?: Partial<InformerTuning>;
  readonly writer?: Partial<AnnotationWriterTuning>;
  /** Default 2000 ms: about what a GET costs a loaded API server, so waiting costs nothing more. */
  readonly firstListWaitMs?: number;
  /** Default 256 (kinds × namespaces in use on the node). */
  readonly maxInformers?: number;
  /** Default 60 s. */
  readonly fetchedPodTtlMs?: number;
}

const SILENT: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => SILENT,
};

/**
 * The daemon's KubeClientProvider: one {@link CachedKubeClient} per kubeconfig, its informers
 * started on first use and kept for the life of the daemon (the thin binary keeps
 * ClientNodeKubeClientProvider: one process per call has nothing to keep a cache for).
 * {@link status} is what the metrics export about the caches.
 */
export class CachingKubeClientProvider implements KubeClientProvider {
  private readonly clients = new ClientMemo<CachedKubeClient>();
  /** The clients made so far, for {@link status}. */
  private readonly made = new Set<CachedKubeClient>();
  private readonly settings: CacheSettings;

  constructor(private readonly options: CachingKubeOptions = {}) {
    const tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.settings = {
      nodeName: options.nodeName === '' ? undefined : options.nodeName,
      firstListWaitMs: options.firstListWaitMs ?? 2000,
      maxInformers: options.maxInformers ?? 256,
      fetchedPodTtlMs: options.fetchedPodTtlMs ?? 60_000,
      tuning,
      writer: { backoffMs: 1000, maxBackoffMs: 30_000, maxPending: 10_000, sleep: tuning.sleep, ...options.writer },
    };
  }

  get(kubeconfigPath: string): Promise<KubeClient> {
    return this.clients.get(kubeconfigPath, (path) => this.create(path));
  }

  /**
   * Starts the caches of `kubeconfigPath` now (the daemon's own kubeconfig), so the first ADD
   * finds its pod cached. A kubeconfig that cannot be used is logged: file-mode calls still work,
   * and Kubernetes calls report the problem themselves.
   */
  warm(kubeconfigPath: string): void {
    this.get(kubeconfigPath).catch((err: unknown) =>
      this.log().warn({ kubeconfig: kubeconfigPath, reason: toCniError(err).msg }, 'Kubernetes caches not started'),
    );
  }

  /** The node's pods as the client of `kubeconfigPath` caches them (the daemon's own kubeconfig). */
  nodePods(kubeconfigPath: string): NodePods {
    const client = this.clients.get(kubeconfigPath, (path) => this.create(path));
    return new InformerNodePods(client.then((c) => c.podInformer));
  }

  /** Every informer's sync state and the age of its last event, for the metrics (empty before the first use). */
  status(): InformerStatus[] {
    return [...this.made].flatMap((client) => client.status());
  }

  /** Stops every informer and retry: the daemon can exit (open watches would keep it alive). */
  async close(): Promise<void> {
    await Promise.allSettled(this.clients.takeAll());
    const made = [...this.made];
    this.made.clear();
    await Promise.all(made.map((client) => client.close()));
  }

  private log(): Logger {
    return this.options.log?.() ?? SILENT;
  }

  private async create(kubeconfigPath: string): Promise<CachedKubeClient> {
    const log = (): Logger => this.log().child({ component: 'kube-cache' });
    const connection = new KubeConnection(kubeconfigPath, this.options.connection ?? {}, log);
    const first: Connected = await connection.get();
    if (this.settings.nodeName === undefined)
      log().warn(
        { kubeconfig: kubeconfigPath },
        'no node name (MULTUS_NODE_NAME or the daemon config nodeName): pods are not cached, each ADD reads its pod',
      );
    const client = new CachedKubeClient(first.client.server, () => connection.get(), this.settings, log);
    this.made.add(client);
    return client;
  }
}

/**
 * The daemon's caching provider when it may talk to Kubernetes: a kubeconfig among its defaults,
 * or running in a pod (KUBERNETES_SERVICE_HOST), where requests may name one themselves.
 * Undefined in plain file mode: nothing is replaced and nothing of client-node is loaded.
 * The node is MULTUS_NODE_NAME, else the daemon config's `nodeName`.
 */
export function daemonKubeCache(input: {
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly env: ReadonlyMap<string, string>;
  readonly nodeName: string | undefined;
  readonly log: () => Logger;
}): CachingKubeClientProvider | undefined {
  const kubeconfig = input.defaults['kubeconfig'];
  const inCluster = (input.env.get('KUBERNETES_SERVICE_HOST') ?? '') !== '';
  if (typeof kubeconfig !== 'string' && !inCluster) return undefined;
  const fromEnv = input.env.get('MULTUS_NODE_NAME');
  const nodeName = fromEnv !== undefined && fromEnv !== '' ? fromEnv : input.nodeName;
  const provider = new CachingKubeClientProvider({ ...(nodeName === undefined ? {} : { nodeName }), log: input.log });
  if (typeof kubeconfig === 'string') provider.warm(kubeconfig);
  return provider;
}
