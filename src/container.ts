import 'reflect-metadata';
import { Container } from 'inversify';
import { AdapterDirCatalog } from './adapters/modules/adapter-dir-loader';
import { MultusPlugin } from './app';
import { registerAdapterModule } from './adapters/modules/adapter-module';
import { NsenterPodRoutes } from './adapters/nsenter-pod-routes';
import { BUILD_ADAPTER_MODULES } from './generated/build-adapters';
import { registerBuiltinAdapters } from './adapters/register-builtins';
import { CachedPluginVersions } from './adapters/executor/cached-plugin-versions';
import { ExecaExecutor } from './adapters/executor/execa-executor';
import { FsPluginFinder } from './adapters/executor/plugin-finder';
import { registryOf, type AdapterRegistry } from './core/adapter-registry';
import { Planner } from './core/dry-run';
import { Housekeeper } from './core/housekeeper';
import { Orchestrator } from './core/orchestrator';
import { Reconciler } from './core/reconciler';
import type { Executor } from './core/ports/executor';
import type { NetworkSource } from './core/ports/network-source';
import type { PodRoutes } from './core/ports/pod-routes';
import { LiveNetworks } from './core/live-networks';
import { NO_NODE_PODS } from './core/ports/node-pods';
import { TOKENS } from './core/tokens';
import { DaemonConfigFileDefaults } from './runtime/daemon-config-defaults';
import { PinoLoggerFactory } from './runtime/pino-logger-factory';
import { FileContainerLock } from './runtime/file-container-lock';
import { FsFileProbe } from './runtime/fs-file-probe';
import { FileResultCache } from './runtime/file-result-cache';
import { SystemClock } from './runtime/system-clock';
import { FileSource } from './sources/file-source';
import { ClientNodeKubeClientProvider } from './sources/kube/client-node-kube-client';
import { FileConfDir } from './sources/kube/conf-dir';
import { KubeStatusReporter } from './sources/kube/kube-status-reporter';
import { KubernetesSource } from './sources/kube/kubernetes-source';
import { KubeletPodResources } from './sources/kube/kubelet-pod-resources';

/** Extension points bound to a given value in place of the production one (tests, the offline CLI). */
export type Replacements = Readonly<Partial<Record<keyof typeof TOKENS, unknown>>>;

export interface ContainerOptions {
  /** PATH given to delegates (they may exec iptables and the like); the executor's default otherwise. */
  readonly path?: string;
  /** `{Executor: fake}` binds the fake in place of the real executor; a NetworkSource replaces all sources. */
  readonly replace?: Replacements;
  /** Registers more adapters (vendors embedding multus), after the built-in and compiled-in ones. */
  readonly register?: (container: Container) => void;
}

/**
 * Builds the one container of the process: every extension point bound to its production
 * implementation, or to its replacement. The container is not changed after this: what a
 * request needs that varies with its config (the adapters of `adapterDirs`) is a snapshot of
 * the AdapterCatalog, never a binding. Everything bound is a singleton that keeps no request's
 * state, so one container serves concurrent requests.
 */
export function buildContainer(options: ContainerOptions = {}): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const executorOptions = options.path === undefined ? {} : { path: options.path };
  container.bind<Executor>(TOKENS.Executor).toDynamicValue(() => new ExecaExecutor(executorOptions));
  container
    .bind(TOKENS.PluginVersions)
    .toDynamicValue((ctx) => new CachedPluginVersions(ctx.get<Executor>(TOKENS.Executor)));
  container.bind(TOKENS.ResultCache).toConstantValue(new FileResultCache());
  container.bind(TOKENS.ContainerLock).toConstantValue(new FileContainerLock());
  container.bind(TOKENS.Clock).toConstantValue(new SystemClock());
  container.bind(TOKENS.LoggerFactory).toConstantValue(new PinoLoggerFactory());
  // Sources in the order they are asked (first `supports` wins): Kubernetes when a kubeconfig is set.
  container.bind(TOKENS.KubeClientProvider).toConstantValue(new ClientNodeKubeClientProvider());
  container.bind(TOKENS.ConfDirReader).toConstantValue(new FileConfDir());
  // The kubelet's pod-resources API; @grpc/grpc-js is loaded only when a network names a resourceName.
  container.bind(TOKENS.PodResources).toConstantValue(new KubeletPodResources());
  container.bind<NetworkSource>(TOKENS.NetworkSource).to(KubernetesSource);
  container.bind<NetworkSource>(TOKENS.NetworkSource).to(FileSource);
  container.bind(TOKENS.StatusReporter).to(KubeStatusReporter);
  container
    .bind<PodRoutes>(TOKENS.PodRoutes)
    .toDynamicValue((ctx) => new NsenterPodRoutes(ctx.get<Executor>(TOKENS.Executor)));
  registerBuiltinAdapters(container);
  for (const { source, exported } of BUILD_ADAPTER_MODULES) registerAdapterModule(container, exported, source);
  options.register?.(container);
  container.bind(TOKENS.AdapterRegistry).toDynamicValue((ctx) => registryOf(ctx));
  container
    .bind(TOKENS.AdapterCatalog)
    .toDynamicValue(
      (ctx) =>
        new AdapterDirCatalog(ctx.get<AdapterRegistry>(TOKENS.AdapterRegistry), ctx.get<Executor>(TOKENS.Executor)),
    );
  container.bind(TOKENS.FileProbe).toConstantValue(new FsFileProbe());
  container.bind(TOKENS.PluginFinder).toConstantValue(new FsPluginFinder());
  // Thin mode: a shim's config (fallback) gets the daemon config's defaults; the daemon replaces this.
  container.bind(TOKENS.ConfigDefaults).toConstantValue(new DaemonConfigFileDefaults());
  // The node's pod cache: the daemon's, in Kubernetes mode; none otherwise.
  container.bind(TOKENS.NodePods).toConstantValue(NO_NODE_PODS);
  container.bind(TOKENS.Planner).to(Planner);
  container.bind(TOKENS.Orchestrator).to(Orchestrator);
  container.bind(TOKENS.Housekeeper).to(Housekeeper);
  container.bind(TOKENS.LiveNetworks).to(LiveNetworks);
  // The daemon's reconcile of its records with its node's pods (thick mode only resolves it).
  container.bind(TOKENS.Reconciler).to(Reconciler);
  container.bind(TOKENS.Plugin).to(MultusPlugin);
  for (const [name, value] of Object.entries(options.replace ?? {}) as [keyof typeof TOKENS, unknown][]) {
    container.rebind(TOKENS[name]).toConstantValue(value);
  }
  return container;
}
