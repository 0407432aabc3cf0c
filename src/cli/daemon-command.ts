import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Container } from 'inversify';
import { ExecaExecutor } from '../adapters/executor/execa-executor';
import { buildContainer, type Replacements } from '../container';
import { parseMultusConfig } from '../core/config/multus-config';
import { DEFAULT_DAEMON_CONFIG, FALLBACK_LOG_NAME } from '../core/config/shim-keys';
import { parseDaemonConfig, type DaemonConfig } from '../core/config/thick-config';
import { toCniError } from '../core/errors';
import { reconcileConfig } from '../core/reconcile';
import type { Reconciler } from '../core/reconciler';
import type { Logger, LoggerFactory } from '../core/ports/logger';
import type { PluginHandlers } from '../core/skel';
import { TOKENS } from '../core/tokens';
import type { LiveNetworks } from '../core/live-networks';
import type { NodePods } from '../core/ports/node-pods';
import type { StatusReporter } from '../core/ports/status-reporter';
import { LiveNetworksLoop } from '../daemon/live-networks-loop';
import { MeteringExecutor } from '../daemon/metering-executor';
import { MeteringStatusReporter } from '../daemon/metering-status-reporter';
import { DaemonMetrics, serveMetrics, type MetricsEndpoint } from '../daemon/metrics';
import { HEAP_TRIM_DEFAULTS, realEvery, runtimeCollect, startHeapTrim } from '../daemon/heap-trim';
import { ReconcileLoop, RECONCILE_RETRY_MS, realAfter } from '../daemon/reconcile-loop';
import { DaemonServer } from '../daemon/server';
import { FixedConfigDefaults } from '../runtime/daemon-config-defaults';
import { daemonKubeCache, type CachingKubeClientProvider } from '../sources/kube/caching-kube-client-provider';
import { UsageError, type CliCommand, type CliIo } from './cli-io';
import { findPrimary } from './install/primary-config';

const USAGE = `Usage: multus daemon [--config FILE]

Runs the thick mode's daemon: it serves CNI calls that multus-shim sends over the unix socket
<socketDir>/multus.sock (default /run/multus), with the same core as the thin plugin, warm.
FILE is the daemon config (default ${DEFAULT_DAEMON_CONFIG}): Go Multus's daemon-config.json
keys where they apply (socketDir, cniConfigDir, multusConfigFile, multusAutoconfigDir,
readinessindicatorfile, logLevel, logFile, logToStderr, ...), this daemon's limits
(maxConcurrentRequests, maxQueuedRequests, maxRequestBytes, requestTimeoutSeconds,
shutdownTimeoutSeconds), the records' reconcile with the node's pods (reconcileIntervalSeconds,
reconcileGraceSeconds, reconcileDryRun), and any multus config key as a default of every call
(the call's own stdin keys win). SIGTERM: stop accepting, finish the calls in flight, exit 0. See docs/thick.md.`;

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`the ${what} ${path} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * The defaults every call gets: the multus config of `multusConfigFile` (a path), or with "auto"
 * the first CNI config of multusAutoconfigDir as the master delegate (file mode) or the
 * clusterNetwork (with a kubeconfig); then the daemon config's own multus keys over them.
 */
async function callDefaults(config: DaemonConfig): Promise<Record<string, unknown>> {
  const file = config.multusConfigFile;
  if (file === undefined) return { ...config.defaults };
  if (file !== 'auto') {
    const conf = await readJson(file, 'multusConfigFile');
    return { ...(typeof conf === 'object' && conf !== null ? conf : {}), ...config.defaults };
  }
  const { primary } = await findPrimary(config.multusAutoconfigDir, '');
  const base =
    config.defaults['kubeconfig'] === undefined
      ? { delegates: [{ ...primary.conf, masterplugin: true }] }
      : { clusterNetwork: primary.path };
  return { ...base, ...config.defaults };
}

/** dynamicNetworks needs the node's pods: a kubeconfig and a node name. */
function refuseLiveWithoutPods(
  config: DaemonConfig,
  defaults: Readonly<Record<string, unknown>>,
  env: ReadonlyMap<string, string>,
): void {
  if (!config.dynamicNetworks) return;
  const node = env.get('MULTUS_NODE_NAME') ?? config.nodeName ?? '';
  if (typeof defaults['kubeconfig'] === 'string' && node !== '') return;
  throw new Error(
    'dynamicNetworks: true needs the pods of this node: set kubeconfig (a multus key of the daemon config) and ' +
      'the node name (MULTUS_NODE_NAME, or nodeName in the daemon config)',
  );
}

function parseArgs(args: readonly string[]): string {
  let file = DEFAULT_DAEMON_CONFIG;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--config' && args[i + 1] !== undefined) file = args[(i += 1)] as string;
    else if (arg.startsWith('--config=')) file = arg.slice('--config='.length);
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return file;
}

/** Resolves when SIGTERM or SIGINT arrives. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

async function serve(file: string, io: CliIo): Promise<number> {
  const config = parseDaemonConfig(await readJson(file, 'daemon config'), file);
  const defaults = await callDefaults(config);
  refuseLiveWithoutPods(config, defaults, io.env);
  // The daemon's own log settings are the ones its calls get by default.
  const logSettings = parseMultusConfig({ type: 'multus', delegates: [{ type: 'x' }], ...pick(defaults) }).log;
  // Kubernetes mode: informer caches of the node's pods and the networks resolved (none in file mode).
  const kubeCache = daemonKubeCache({ defaults, env: io.env, nodeName: config.nodeName, log: () => log });
  const metrics =
    config.metricsPort === undefined
      ? undefined
      : new DaemonMetrics({
          fallbackLog: join(config.socketDir, FALLBACK_LOG_NAME),
          ...(kubeCache === undefined ? {} : { informers: kubeCache }),
        });
  const container = buildContainer({
    path: io.env.get('PATH'),
    replace: {
      ConfigDefaults: new FixedConfigDefaults(defaults),
      ...meteredExecutor(metrics, io.env.get('PATH')),
      ...kubeReplacements(kubeCache, defaults),
    },
    register: (c) => meterStatusWrites(c, metrics),
  });
  const log: Logger = container
    .get<LoggerFactory>(TOKENS.LoggerFactory)
    .create(logSettings)
    .child({ daemon: process.pid });
  const reconcile = reconcileLoop(container, config, defaults, metrics, log);
  const readiness = defaults['readinessindicatorfile'];
  const server = new DaemonServer({
    socketPath: config.socketPath,
    plugin: container.get<PluginHandlers>(TOKENS.Plugin),
    log,
    maxConcurrentRequests: config.maxConcurrentRequests,
    maxQueuedRequests: config.maxQueuedRequests,
    maxRequestBytes: config.maxRequestBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    observer: metrics,
    records: () => reconcile.records(),
    notReady: async () => {
      if (typeof readiness !== 'string' || readiness === '') return undefined;
      const there = await fs.access(readiness).then(
        () => true,
        () => false,
      );
      return there ? undefined : `readiness indicator file ${readiness} does not exist`;
    },
  });
  const stopped = stopSignal();
  await server.start();
  const endpoint = await startMetrics(metrics, server, config).catch(async (err: unknown) => {
    await server.stop(0);
    throw err;
  });
  log.info({ socket: config.socketPath, config: file, metricsPort: endpoint?.port }, 'multus daemon serving');
  io.err(`multus daemon: serving ${config.socketPath} (config ${file})\n`);
  reconcile.start();
  const live = startLiveNetworks(config, defaults, container, log);
  const stopTrim = startHeapTrim({
    ...HEAP_TRIM_DEFAULTS,
    collect: runtimeCollect(),
    served: () => server.served,
    inFlight: () => server.inFlight,
    every: realEvery,
  });
  const signal = await stopped;
  stopTrim();
  log.info({ signal, inFlight: server.inFlight }, 'multus daemon stopping');
  await live?.stop();
  await reconcile.stop();
  await server.stop(config.shutdownTimeoutMs);
  await kubeCache?.close();
  await endpoint?.close();
  io.err(`multus daemon: stopped (${signal})\n`);
  return 0;
}

/**
 * Live networks (`dynamicNetworks: true`): running pods' interfaces follow their networks
 * annotation. It needs the node's pod cache: a kubeconfig and a node name, else the daemon
 * refuses to start, saying so.
 */
function startLiveNetworks(
  config: DaemonConfig,
  defaults: Readonly<Record<string, unknown>>,
  container: Container,
  log: Logger,
): LiveNetworksLoop | undefined {
  if (!config.dynamicNetworks) return undefined;
  const loop = new LiveNetworksLoop({
    pods: container.get<NodePods>(TOKENS.NodePods),
    live: container.get<LiveNetworks>(TOKENS.LiveNetworks),
    config: parseMultusConfig({ cniVersion: '1.0.0', name: 'multus-cni-network', type: 'multus', ...defaults }),
    log,
  });
  loop.start();
  return loop;
}

/**
 * The reconcile of the records with the node's pods (docs/thick.md "Reconcile"): made before the
 * server (which serves its listing), started once the socket is bound (a second daemon never
 * reconciles), stopped before the server.
 */
function reconcileLoop(
  container: Container,
  config: DaemonConfig,
  defaults: Readonly<Record<string, unknown>>,
  metrics: DaemonMetrics | undefined,
  log: Logger,
): ReconcileLoop {
  const settings = {
    config: reconcileConfig(defaults),
    graceMs: config.reconcileGraceMs,
    dryRun: config.reconcileDryRun,
  };
  return new ReconcileLoop({
    reconciler: container.get<Reconciler>(TOKENS.Reconciler),
    settings,
    intervalMs: config.reconcileIntervalMs,
    retryMs: RECONCILE_RETRY_MS,
    after: realAfter,
    log: log.child({ component: 'reconcile' }),
    ...(metrics === undefined ? {} : { observer: metrics }),
  });
}

/**
 * Kubernetes mode: the caching client, and the node's pods as its informer keeps them (of the
 * daemon's own kubeconfig) for the reconcile.
 */
function kubeReplacements(
  kubeCache: CachingKubeClientProvider | undefined,
  defaults: Readonly<Record<string, unknown>>,
): Replacements {
  if (kubeCache === undefined) return {};
  const kubeconfig = defaults['kubeconfig'];
  return {
    KubeClientProvider: kubeCache,
    ...(typeof kubeconfig === 'string' ? { NodePods: kubeCache.nodePods(kubeconfig) } : {}),
  };
}

/** With metrics on, every delegate runs through the one real executor with a meter around it. */
function meteredExecutor(metrics: DaemonMetrics | undefined, path: string | undefined): Replacements {
  return metrics === undefined ? {} : { Executor: new MeteringExecutor(new ExecaExecutor({ path }), metrics) };
}

/** With metrics on, every network-status write is counted by how it ended. */
function meterStatusWrites(container: Container, metrics: DaemonMetrics | undefined): void {
  if (metrics === undefined) return;
  container.onActivation<StatusReporter>(
    TOKENS.StatusReporter,
    (_ctx, inner) => new MeteringStatusReporter(inner, metrics),
  );
}

/** The metrics endpoint, when metrics are on; after the socket, so a second daemon fails on the socket. */
async function startMetrics(
  metrics: DaemonMetrics | undefined,
  server: DaemonServer,
  config: DaemonConfig,
): Promise<MetricsEndpoint | undefined> {
  if (metrics === undefined || config.metricsPort === undefined) return undefined;
  metrics.watch(server);
  return serveMetrics(metrics, config.metricsAddress, config.metricsPort);
}

/** The log keys of the defaults, for the daemon's own logger. */
function pick(defaults: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const keys = ['logLevel', 'log_level', 'logFile', 'logToStderr'];
  return Object.fromEntries(keys.filter((k) => defaults[k] !== undefined).map((k) => [k, defaults[k]]));
}

export const daemonCommand: CliCommand = {
  name: 'daemon',
  summary: 'run the thick mode daemon that multus-shim sends CNI calls to (docs/thick.md)',
  usage: USAGE,
  async run(args, io) {
    const file = parseArgs(args);
    try {
      return await serve(file, io);
    } catch (err) {
      io.err(`multus daemon: ${err instanceof Error ? err.message : toCniError(err).msg}\n`);
      return 1;
    }
  },
};
