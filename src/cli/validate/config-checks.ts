import type { Container } from 'inversify';
import type { AdapterRegistry } from '../../core/adapter-registry';
import { parseCniArgs, type CniEnv } from '../../core/cni-env';
import { parseMultusConfig, type MultusConfig } from '../../core/config/multus-config';
import { checkDefaultRoutes } from '../../core/default-route';
import { delegateBinDirs } from '../../core/delegate-call';
import { expandPlugins, runtimeConfigForMaster, withRuntimeRequests } from '../../core/delegate-conf';
import { CniCode } from '../../core/errors';
import { assignInterfaceNames, selectMaster } from '../../core/naming';
import type { Attachment, NetworkRequest } from '../../core/plan';
import { prepareAttachments } from '../../core/planner';
import { pluginTypeProblem } from '../../core/plugin-type';
import { FileSource } from '../../sources/file-source';
import type { ConfigFile } from './config-file';
import { registryFor } from './config-registry';
import { ipamType, lookupBinary } from './plugin-binaries';
import { problemsOf, uniqueProblems, type Problem } from './problem';

export interface CheckOptions {
  /** The container whose adapters check the delegates (the config's adapterDirs are loaded into it). */
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
const PLANNING_KEYS = ['name', 'cniVersion', 'delegates', 'binDir', 'ifnameIndexFrom', 'runtimeConfig', 'adapterDirs'] as const;

/** The request an ADD for this config would make, short of a container: what the planner needs. */
export function offlineRequest(config: MultusConfig, ifname: string, cniPath: readonly string[], cniArgs = ''): NetworkRequest {
  const env: CniEnv = { command: 'ADD', containerId: 'offline', netns: '', ifname, args: parseCniArgs(cniArgs), path: [...cniPath] };
  return { env, config };
}

/**
 * Checks a multus config the way an ADD would before it runs anything, but collects every
 * problem instead of stopping at the first: the config itself, the master marks and interface
 * names, each delegate through the adapter that would handle it, and each plugin binary (and
 * IPAM plugin) in the directories the ADD would search.
 */
export async function checkConfig(file: ConfigFile, options: CheckOptions): Promise<CheckReport> {
  const problems: Problem[] = [];
  const where = file.mapPath('(config)');
  let config: MultusConfig | undefined;
  try {
    config = parseMultusConfig(file.raw);
  } catch (err) {
    problems.push(...problemsOf(err, where, file.mapPath));
    config = planningConfig(file.raw);
  }
  const registry = config === undefined ? undefined : await loadRegistry(options.container, config, file, problems);
  const request = config === undefined ? undefined : offlineRequest(config, options.ifname, options.cniPath);
  const delegates =
    request === undefined || registry === undefined || request.config.delegates.length === 0 ? undefined : await checkDelegates(request, file, { ...options, registry }, problems);
  // The conflist's other plugins are run by the runtime, from its own CNI_PATH.
  for (const { path, conf } of file.chain) {
    if (typeof conf['type'] === 'string') problems.push(...(await binaryProblems(conf['type'], options.cniPath, `${path}.type`)));
  }
  if (config === undefined) return { problems: uniqueProblems(problems), summary: '' };
  if (problems.length === 0 && request !== undefined && registry !== undefined && delegates !== undefined) {
    // The planner itself, so validate never passes a config the ADD would refuse.
    try {
      prepareAttachments(await new FileSource().resolve(request), request, registry);
    } catch (err) {
      problems.push(...problemsOf(err, '(plan)', file.mapPath));
    }
  }
  return { problems: uniqueProblems(problems), summary: summarize(file, config, delegates) };
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
async function loadRegistry(container: Container, config: MultusConfig, file: ConfigFile, problems: Problem[]): Promise<AdapterRegistry | undefined> {
  try {
    return await registryFor(container, config);
  } catch (err) {
    problems.push(...problemsOf(err, file.mapPath('adapterDirs'), file.mapPath));
    return undefined;
  }
}

type DelegateCheckOptions = Omit<CheckOptions, 'container'> & { readonly registry: AdapterRegistry };

/** Checks every delegate; returns the interface names given (undefined when naming failed). */
async function checkDelegates(request: NetworkRequest, file: ConfigFile, options: DelegateCheckOptions, problems: Problem[]): Promise<DelegateNames> {
  const { config } = request;
  const { attachments } = await new FileSource().resolve(request);
  const at = (path: string): string => file.mapPath(path);
  let masterIndex = 0;
  let names: string[] | undefined;
  try {
    masterIndex = selectMaster(attachments);
    names = assignInterfaceNames(attachments, masterIndex, options.ifname, config.ifnameIndexFrom);
    checkDefaultRoutes(attachments);
  } catch (err) {
    problems.push(...problemsOf(err, at('delegates'), at));
  }
  const binDirs = delegateBinDirs(config, request.env);
  for (const [index, attachment] of attachments.entries()) {
    const runtimeConfig = index === masterIndex ? { ...runtimeConfigForMaster(config), ...attachment.runtimeConfig } : attachment.runtimeConfig;
    problems.push(...(await checkAttachment(attachment, request, runtimeConfig, binDirs, options.registry, at)));
  }
  return { attachments, masterIndex, names };
}

interface DelegateNames {
  readonly attachments: readonly Attachment[];
  readonly masterIndex: number;
  readonly names: readonly string[] | undefined;
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
      problems.push({ path: at(`${origin}.type`), message: `${JSON.stringify(type)} is not a plain plugin name: it ${typeProblem}`, code: CniCode.InvalidConfig });
      continue;
    }
    try {
      const adapter = registry.pick(conf, origin);
      adapter.prepare(withRuntimeRequests(conf, runtimeConfig, attachment.cniArgs), { network: attachment.network, origin });
    } catch (err) {
      problems.push(...problemsOf(err, at(origin), at));
    }
    problems.push(...(await binaryProblems(type as string, binDirs, at(`${origin}.type`))));
    const ipam = ipamType(conf);
    if (ipam !== undefined && pluginTypeProblem(ipam) === undefined) problems.push(...(await binaryProblems(ipam, binDirs, at(`${origin}.ipam.type`))));
  }
  return problems;
}

async function binaryProblems(type: string, dirs: readonly string[], path: string): Promise<Problem[]> {
  const found = await lookupBinary(type, dirs);
  return found.error === undefined ? [] : [{ path, message: found.error.msg, code: found.error.code }];
}

function summarize(file: ConfigFile, config: MultusConfig, delegates: DelegateNames | undefined): string {
  const parts: string[] = [];
  if (file.pluginPath !== '') parts.push(`${file.pluginPath} is the multus config`);
  if (config.kubeconfig !== undefined) {
    const k8s = config.kubernetes;
    const extra = [
      k8s.clusterNetwork === undefined ? '' : `clusterNetwork ${k8s.clusterNetwork}`,
      k8s.defaultNetworks.length === 0 ? '' : `defaultNetworks ${k8s.defaultNetworks.join(', ')}`,
    ].filter((e) => e !== '');
    parts.push(`networks come from Kubernetes (kubeconfig ${config.kubeconfig}${extra.length > 0 ? `; ${extra.join('; ')}` : ''})`);
  }
  if (delegates !== undefined) {
    const n = delegates.attachments.length;
    const count = `${n} delegate${n === 1 ? '' : 's'}`;
    const lead = config.kubeconfig === undefined ? count : `pods that select no network get the ${count}`;
    const named = delegates.names === undefined
      ? []
      : delegates.attachments.map((a, i) => `${i === delegates.masterIndex ? 'master ' : ''}${file.mapPath(a.origin)} → ${delegates.names?.[i] ?? '?'}`);
    parts.push([lead, ...named].join(', '));
  }
  return parts.join('; ');
}
