import 'reflect-metadata';
import { Container } from 'inversify';
import { AdapterDirLoader } from './adapters/modules/adapter-dir-loader';
import { registerAdapterModule } from './adapters/modules/adapter-module';
import { NsenterPodRoutes } from './adapters/nsenter-pod-routes';
import { BUILD_ADAPTER_MODULES } from './generated/build-adapters';
import { registerBuiltinAdapters } from './adapters/register-builtins';
import { CachedPluginVersions } from './adapters/executor/cached-plugin-versions';
import { ExecaExecutor } from './adapters/executor/execa-executor';
import { AdapterRegistry } from './core/adapter-registry';
import { Housekeeper } from './core/housekeeper';
import { Orchestrator } from './core/orchestrator';
import type { DelegateAdapter } from './core/ports/delegate-adapter';
import type { Executor } from './core/ports/executor';
import type { NetworkSource } from './core/ports/network-source';
import type { PodRoutes } from './core/ports/pod-routes';
import { TOKENS } from './core/tokens';
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

/**
 * Builds the one container of the process: every extension point bound to its production
 * implementation. Tests and vendors rebind tokens on the returned container
 * (`container.rebind(TOKENS.Executor).toConstantValue(fake)`) or register more adapters.
 */
export interface ContainerOptions {
  /** PATH given to delegates (they may exec iptables and the like); the executor's default otherwise. */
  readonly path?: string;
}

export function buildContainer(options: ContainerOptions = {}): Container {
  const container = new Container();
  const executorOptions = options.path === undefined ? {} : { path: options.path };
  container
    .bind<Executor>(TOKENS.Executor)
    .toDynamicValue(() => new ExecaExecutor(executorOptions))
    .inSingletonScope();
  container
    .bind(TOKENS.PluginVersions)
    .toDynamicValue((ctx) => new CachedPluginVersions(ctx.get<Executor>(TOKENS.Executor)))
    .inSingletonScope();
  container.bind(TOKENS.ResultCache).toConstantValue(new FileResultCache());
  container.bind(TOKENS.ContainerLock).toConstantValue(new FileContainerLock());
  container.bind(TOKENS.Clock).toConstantValue(new SystemClock());
  container.bind(TOKENS.LoggerFactory).toConstantValue(new PinoLoggerFactory());
  // Sources in the order they are asked (first `supports` wins): Kubernetes when a kubeconfig is set.
  container.bind(TOKENS.KubeClientProvider).toConstantValue(new ClientNodeKubeClientProvider());
  container.bind(TOKENS.ConfDirReader).toConstantValue(new FileConfDir());
  // The kubelet's pod-resources API; @grpc/grpc-js is loaded only when a network names a resourceName.
  container.bind(TOKENS.PodResources).toConstantValue(new KubeletPodResources());
  container.bind<NetworkSource>(TOKENS.NetworkSource).to(KubernetesSource).inSingletonScope();
  container.bind<NetworkSource>(TOKENS.NetworkSource).to(FileSource).inSingletonScope();
  container.bind(TOKENS.StatusReporter).to(KubeStatusReporter).inSingletonScope();
  container
    .bind<PodRoutes>(TOKENS.PodRoutes)
    .toDynamicValue((ctx) => new NsenterPodRoutes(ctx.get<Executor>(TOKENS.Executor)))
    .inSingletonScope();
  registerBuiltinAdapters(container);
  for (const { source, exported } of BUILD_ADAPTER_MODULES) registerAdapterModule(container, exported, source);
  container.bind(TOKENS.AdapterLoader).toConstantValue(new AdapterDirLoader());
  container
    .bind(TOKENS.AdapterRegistry)
    .toDynamicValue((ctx) => new AdapterRegistry(ctx.getAll<DelegateAdapter>(TOKENS.DelegateAdapter)));
  // Not singletons: adapters registered later (a config's adapterDirs) join the next resolution.
  container.bind(TOKENS.Orchestrator).to(Orchestrator);
  container.bind(TOKENS.FileProbe).toConstantValue(new FsFileProbe());
  container.bind(TOKENS.Housekeeper).to(Housekeeper);
  return container;
}
