import type { Container } from 'inversify';
import type { AdapterRegistry } from '../../core/adapter-registry';
import { parseCniArgs, type CniEnv } from '../../core/cni-env';
import { parseMultusConfig, type MultusConfig } from '../../core/config/multus-config';
import { checkDefaultRoutes } from '../../core/default-route';
import { delegateBinDirs } from '../../core/delegate-call';
import {
  expandPlugins,
  POD_ANNOTATIONS_KEY,
  runtimeConfigForMaster,
  withRuntimeRequests,
} from '../../core/delegate-conf';
import { CniCode } from '../../core/errors';
import { isObject } from '../../core/json';
import { assignInterfaceNames, selectMaster } from '../../core/naming';
import type { Attachment, NetworkPlan, NetworkRequest } from '../../core/plan';
import { prepareAttachments } from '../../core/planner';
import { pluginTypeProblem } from '../../core/plugin-type';
import type { NetworkSource } from '../../core/ports/network-source';
import { TOKENS } from '../../core/tokens';
import type { ConfigFile } from './config-file';
import { registryFor } from './config-registry';
import { apiNeeded, OfflineKubeClientProvider } from './offline-kube';
import { ipamType, lookupBinary } from './plugin-binaries';
import { problemsOf, uniqueProblems, type Problem } from './problem';

export interface CheckOptions {
  /** The container whose adapters and sources are used (the config's adapterDirs are loaded into it). */
  readonly container: Container;
  /** The runtime's CNI_PATH (`--cni-path`); the config's binDir is searched first, as in an ADD. */
  readonly cniPath: readonly string[];
  /** The pod's interface name (CNI_IFNAME) for the naming checks. */
  readonly ifname: string;
}

export interface CheckReport {
  readonly problems: Problem[];
  /** One line saying what was found, for `FILE: ok (...)`. */
  readonly summary: string;
}

/** The keys the delegate checks need; used to go on checking delegates when another key is wrong. */
const PLANNING_KEYS = [
  'name',
  'cniVersion',
  'delegates',
  'binDir',
  'ifnameIndexFrom',
  'runtimeConfig',
  'adapterDirs',
] as const;

/** The request an ADD for this config would make, short of a container: what the planner needs. */
export function offlineRequest(
  config: MultusConfig,
  ifname: string,
  cniPath: readonly string[],
  cniArgs = '',
): NetworkRequest {
  const env: CniEnv = {
    command: 'ADD',
    containerId: 'offline',
    netns: '',
    ifname,
    args: parseCniArgs(cniArgs),
    path: [...cniPath],
  };
  return { env, config };
}

/** The attachments checked, as the source gave them, with the names the planner gives them. */
interface Checked {
  readonly request: NetworkRequest;
  readonly plan: NetworkPlan;
  readonly masterIndex: number;
  readonly names: readonly string[] | undefined;
  /** Kubernetes mode: what could not be checked offline. */
  readonly skipped: string | undefined;
}

/**
 * Checks a multus config the way an ADD would before it runs anything, but collects every
 * problem instead of stopping at the first: the config itself, the master marks and interface
 * names, each delegate through the adapter that would handle it, and each plugin binary (and
 * IPAM plugin) in the directories the ADD would search. A config with a kubeconfig is checked
 * for what a pod without network annotations gets, as far as that is known without the API
 * (its delegates, or a clusterNetwork given as a file).
 */
export async function checkConfig(file: ConfigFile, options: CheckOptions): Promise<CheckReport> {
  const problems: Problem[] = [];
  let config: MultusConfig | undefined;
  try {
    config = parseMultusConfig(file.raw);
  } catch (err) {
    problems.push(...problemsOf(err, file.mapPath('(config)'), file.mapPath));
    config = planningConfig(file.raw);
  }
  const registry = config === undefined ? undefined : await loadRegistry(options.container, config, file, problems);
  let checked: Checked | undefined;
  if (config !== undefined && registry !== undefined) {
    checked = await offlinePlan(config, file, options, problems);
    if (checked !== undefined) problems.push(...(await checkAttachments(checked, file, registry)));
  }
  // The conflist's other plugins are run by the runtime, from its own CNI_PATH.
  for (const { path, conf } of file.chain) {
    if (typeof conf['type'] === 'string')
      problems.push(...(await binaryProblems(conf['type'], options.cniPath, `${path}.type`)));
  }
  if (problems.length === 0 && checked !== undefined && registry !== undefined) {
    // The planner itself, so validate never passes a config the ADD would refuse.
    try {
      prepareAttachments(checked.plan, checked.request, registry);
    } catch (err) {
      problems.push(...problemsOf(err, '(plan)', file.mapPath));
    }
  }
  return { problems: uniqueProblems(problems), summary: config === undefined ? '' : summarize(file, config, checked) };
}

/**
 * The config reduced to the keys the delegate checks need (then to its delegates alone), so the
 * delegates are still checked when another key is wrong; undefined when the delegates themselves
 * are. Its own errors are not reported: they repeat the full config's.
 */
function planningConfig(raw: Readonly<Record<string, unknown>>): MultusConfig | undefined {
  for (const keys of [PLANNING_KEYS, ['delegates'] as const]) {
    const kept = Object.fromEntries(keys.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]]));
    try {
      return parseMultusConfig({ ...kept, type: 'multus' });
    } catch {
      // try fewer keys
    }
  }
  return undefined;
}

/** The registry for this config; a module of adapterDirs that fails to load is a problem at `adapterDirs`. */
async function loadRegistry(
  container: Container,
  config: MultusConfig,
  file: ConfigFile,
  problems: Problem[],
): Promise<AdapterRegistry | undefined> {
  try {
    return await registryFor(container, config);
  } catch (err) {
    problems.push(...problemsOf(err, file.mapPath('adapterDirs'), file.mapPath));
    return undefined;
  }
}

/**
 * The plan the source would make, offline. File mode: the config's delegates. Kubernetes mode:
 * a pod without network annotations, whose annotations are given as the runtime would give them
 * so no pod is fetched; when that needs the API (a network name to look up), again for a pod of
 * a system namespace (no defaultNetworks); when that needs it too, nothing is checked.
 */
async function offlinePlan(
  config: MultusConfig,
  file: ConfigFile,
  options: CheckOptions,
  problems: Problem[],
): Promise<Checked | undefined> {
  const kube = new OfflineKubeClientProvider();
  options.container.rebind(TOKENS.KubeClientProvider).toConstantValue(kube);
  const sources = options.container.getAll<NetworkSource>(TOKENS.NetworkSource);
  if (config.kubeconfig === undefined) {
    const request = offlineRequest(config, options.ifname, options.cniPath);
    const source = sources.find((s) => s.supports(request));
    if (source === undefined) return undefined;
    return named(request, await source.resolve(request), undefined, file, problems);
  }
  const rc = config.raw['runtimeConfig'];
  const withAnnotations = parseMultusConfig({
    ...config.raw,
    runtimeConfig: { ...(isObject(rc) ? rc : {}), [POD_ANNOTATIONS_KEY]: {} },
  });
  const systemNamespace = config.kubernetes.systemNamespaces[0];
  const namespaces = [
    'default',
    ...(systemNamespace === undefined || config.kubernetes.defaultNetworks.length === 0 ? [] : [systemNamespace]),
  ];
  for (const [i, namespace] of namespaces.entries()) {
    const request = offlineRequest(
      withAnnotations,
      options.ifname,
      options.cniPath,
      `K8S_POD_NAMESPACE=${namespace};K8S_POD_NAME=validate`,
    );
    const source = sources.find((s) => s.supports(request));
    if (source === undefined) return undefined;
    try {
      const skipped = i === 0 ? undefined : 'defaultNetworks are looked up in the API, not checked';
      return named(request, await source.resolve(request), skipped, file, problems);
    } catch (err) {
      if (apiNeeded(err) === undefined) {
        problems.push(...problemsOf(err, '(networks)', file.mapPath));
        return undefined;
      }
    }
  }
  return undefined;
}

function named(
  request: NetworkRequest,
  plan: NetworkPlan,
  skipped: string | undefined,
  file: ConfigFile,
  problems: Problem[],
): Checked {
  let masterIndex = 0;
  let names: string[] | undefined;
  try {
    masterIndex = selectMaster(plan.attachments);
    names = assignInterfaceNames(plan.attachments, masterIndex, request.env.ifname, request.config.ifnameIndexFrom);
    checkDefaultRoutes(plan.attachments);
  } catch (err) {
    problems.push(...problemsOf(err, file.mapPath('delegates'), file.mapPath));
  }
  return { request, plan, masterIndex, names, skipped };
}

/** Every attachment's plugins, each through its adapter and its binary lookup. */
async function checkAttachments(checked: Checked, file: ConfigFile, registry: AdapterRegistry): Promise<Problem[]> {
  const { request, masterIndex } = checked;
  const binDirs = delegateBinDirs(request.config, request.env);
  const problems: Problem[] = [];
  for (const [index, attachment] of checked.plan.attachments.entries()) {
    const runtimeConfig =
      index === masterIndex
        ? { ...runtimeConfigForMaster(request.config), ...attachment.runtimeConfig }
        : attachment.runtimeConfig;
    problems.push(...(await checkAttachment(attachment, request, runtimeConfig, binDirs, registry, file.mapPath)));
  }
  return problems;
}

async function checkAttachment(
  attachment: Attachment,
  request: NetworkRequest,
  runtimeConfig: Readonly<Record<string, unknown>> | undefined,
  binDirs: readonly string[],
  registry: AdapterRegistry,
  at: (path: string) => string,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  let plugins;
  try {
    plugins = expandPlugins(attachment.conf, request.config, attachment.origin);
  } catch (err) {
    return problemsOf(err, at(attachment.origin), at);
  }
  for (const { conf, origin } of plugins) {
    const type = conf['type'];
    const typeProblem = typeof type === 'string' ? pluginTypeProblem(type) : 'must be a string';
    if (typeProblem !== undefined) {
      problems.push({
        path: at(`${origin}.type`),
        message: `${JSON.stringify(type)} is not a plain plugin name: it ${typeProblem}`,
        code: CniCode.InvalidConfig,
      });
      continue;
    }
    try {
      const adapter = registry.pick(conf, origin);
      adapter.prepare(withRuntimeRequests(conf, runtimeConfig, attachment.cniArgs), {
        network: attachment.network,
        origin,
      });
    } catch (err) {
      problems.push(...problemsOf(err, at(origin), at));
    }
    problems.push(...(await binaryProblems(type as string, binDirs, at(`${origin}.type`))));
    const ipam = ipamType(conf);
    if (ipam !== undefined && pluginTypeProblem(ipam) === undefined)
      problems.push(...(await binaryProblems(ipam, binDirs, at(`${origin}.ipam.type`))));
  }
  return problems;
}

async function binaryProblems(type: string, dirs: readonly string[], path: string): Promise<Problem[]> {
  const found = await lookupBinary(type, dirs);
  return found.error === undefined ? [] : [{ path, message: found.error.msg, code: found.error.code }];
}

function summarize(file: ConfigFile, config: MultusConfig, checked: Checked | undefined): string {
  const parts: string[] = [];
  if (file.pluginPath !== '') parts.push(`${file.pluginPath} is the multus config`);
  const attachments = checked?.plan.attachments ?? [];
  const names = checked?.names;
  const listed =
    names === undefined
      ? []
      : attachments.map(
          (a, i) => `${i === checked?.masterIndex ? 'master ' : ''}${file.mapPath(a.origin)} → ${names[i] ?? '?'}`,
        );
  if (config.kubeconfig === undefined) {
    const n = attachments.length;
    parts.push([`${n} delegate${n === 1 ? '' : 's'}`, ...listed].join(', '));
    return parts.join('; ');
  }
  const k8s = config.kubernetes;
  const extra = [
    k8s.clusterNetwork === undefined ? '' : `clusterNetwork ${k8s.clusterNetwork}`,
    k8s.defaultNetworks.length === 0 ? '' : `defaultNetworks ${k8s.defaultNetworks.join(', ')}`,
  ].filter((e) => e !== '');
  parts.push(
    `networks come from Kubernetes (kubeconfig ${config.kubeconfig}${extra.length > 0 ? `; ${extra.join('; ')}` : ''})`,
  );
  if (checked === undefined) parts.push('the networks are looked up in the API, not checked');
  else
    parts.push(
      [
        `a pod that selects no network gets ${listed.join(', ')}`,
        ...(checked.skipped === undefined ? [] : [checked.skipped]),
      ].join('; '),
    );
  return parts.join('; ');
}
