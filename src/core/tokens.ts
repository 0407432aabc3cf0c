/**
 * The inversify tokens of every extension point. Each token is a Symbol paired with an
 * interface in `src/core/ports`; the container is built in one place (`src/container.ts`), where
 * tests and the offline CLI replace any of these (`buildContainer({replace: {Executor: fake}})`).
 */
export const TOKENS = {
  Executor: Symbol.for('multus.Executor'),
  ResultCache: Symbol.for('multus.ResultCache'),
  LoggerFactory: Symbol.for('multus.LoggerFactory'),
  Clock: Symbol.for('multus.Clock'),
  NetworkSource: Symbol.for('multus.NetworkSource'),
  AdapterRegistration: Symbol.for('multus.AdapterRegistration'),
  AdapterRegistry: Symbol.for('multus.AdapterRegistry'),
  Orchestrator: Symbol.for('multus.Orchestrator'),
  KubeClientProvider: Symbol.for('multus.KubeClientProvider'),
  StatusReporter: Symbol.for('multus.StatusReporter'),
  PodRoutes: Symbol.for('multus.PodRoutes'),
  ConfDirReader: Symbol.for('multus.ConfDirReader'),
  PodResources: Symbol.for('multus.PodResources'),
  ContainerLock: Symbol.for('multus.ContainerLock'),
  FileProbe: Symbol.for('multus.FileProbe'),
  Housekeeper: Symbol.for('multus.Housekeeper'),
  AdapterCatalog: Symbol.for('multus.AdapterCatalog'),
  Plugin: Symbol.for('multus.Plugin'),
  Planner: Symbol.for('multus.Planner'),
  PluginFinder: Symbol.for('multus.PluginFinder'),
  ConfigDefaults: Symbol.for('multus.ConfigDefaults'),
  PluginVersions: Symbol.for('multus.PluginVersions'),
  NodePods: Symbol.for('multus.NodePods'),
  LiveNetworks: Symbol.for('multus.LiveNetworks'),
  Reconciler: Symbol.for('multus.Reconciler'),
} as const;
