import type { Container } from 'inversify';
import { parseMultusConfig, type MultusConfig } from '../../core/config/multus-config';
import { POD_ANNOTATIONS_KEY } from '../../core/delegate-conf';
import type { DryRun } from '../../core/dry-run';
import { isObject } from '../../core/json';
import type { ConfigFile } from './config-file';
import { apiNeeded } from './offline-kube';
import {
  dryRunProblems,
  kubeconfigProblems,
  offlineAdapters,
  offlineRequest,
  offlineServices,
  type OfflineServices,
} from './offline';
import { lookupBinary } from './plugin-binaries';
import { problemsOf, uniqueProblems, type Problem } from './problem';
import type { AdapterRegistry } from '../../core/adapter-registry';

export interface CheckOptions {
  /** The container whose planner and adapters are used: an offline one (nothing runs). */
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

/** The dry run checked, and (Kubernetes mode) what could not be checked offline. */
interface Checked {
  readonly run: DryRun;
  readonly skipped: string | undefined;
}

/**
 * Checks a multus config with the dry run of an ADD (the core planner, through the adapters that
 * would run each delegate), collecting every problem instead of stopping at the first, plus the
 * checks an ADD makes of its kubeconfig and each plugin binary (and IPAM plugin) in the
 * directories the ADD would search. A config with a kubeconfig is checked for what a pod without
 * network annotations gets, as far as that is known without the API (its delegates, or a
 * clusterNetwork given as a file).
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
  const services = offlineServices(options.container);
  let checked: Checked | undefined;
  if (config !== undefined) {
    problems.push(...(await kubeconfigProblems(services, config, file)));
    const { adapters, problems: loadProblems } = await offlineAdapters(services, config, file);
    problems.push(...loadProblems);
    if (adapters !== undefined) {
      checked = await offlineDryRun(services, adapters, config, options);
      if (checked !== undefined) problems.push(...dryRunProblems(checked.run, file));
    }
  }
  // The conflist's other plugins are run by the runtime, from its own CNI_PATH.
  for (const { path, conf } of file.chain) {
    if (typeof conf['type'] !== 'string') continue;
    const found = await lookupBinary(conf['type'], options.cniPath);
    if (found.error !== undefined)
      problems.push({ path: `${path}.type`, message: found.error.msg, code: found.error.code });
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

/**
 * The dry run of the ADD, offline. File mode: the config's delegates. Kubernetes mode (when a
 * pod that selects no network gets any): a pod without network annotations, whose annotations
 * are given as the runtime would give them so no pod is fetched; when that needs the API (a
 * network name to look up), again for a pod of a system namespace (no defaultNetworks); when that
 * needs it too, nothing is checked.
 */
async function offlineDryRun(
  services: OfflineServices,
  adapters: AdapterRegistry,
  config: MultusConfig,
  options: CheckOptions,
): Promise<Checked | undefined> {
  if (config.kubeconfig === undefined) {
    const request = offlineRequest(config, options.ifname, options.cniPath);
    return { run: await services.planner.dryRun(request, adapters, { binaries: true }), skipped: undefined };
  }
  // Nothing for a pod that selects no network (the seed's kubeconfig mode): every pod names its own.
  if (!hasDefaultNetworks(config)) return undefined;
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
    const args = `K8S_POD_NAMESPACE=${namespace};K8S_POD_NAME=validate`;
    const request = offlineRequest(withAnnotations, options.ifname, options.cniPath, args);
    const run = await services.planner.dryRun(request, adapters, { binaries: true });
    if (run.problems.some((p) => apiNeeded(p.error) !== undefined)) continue;
    return { run, skipped: i === 0 ? undefined : 'defaultNetworks are looked up in the API, not checked' };
  }
  return undefined;
}

/** Whether a pod that selects no network gets any: the config's delegates, clusterNetwork or defaultNetworks. */
function hasDefaultNetworks(config: MultusConfig): boolean {
  const k8s = config.kubernetes;
  return config.delegates.length > 0 || k8s.clusterNetwork !== undefined || k8s.defaultNetworks.length > 0;
}

function summarize(file: ConfigFile, config: MultusConfig, checked: Checked | undefined): string {
  const parts: string[] = [];
  if (file.pluginPath !== '') parts.push(`${file.pluginPath} is the multus config`);
  const attachments = checked?.run.attachments ?? [];
  const listed = attachments.map((a) => `${a.master ? 'master ' : ''}${file.mapPath(a.origin)} → ${a.ifname}`);
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
  if (!hasDefaultNetworks(config))
    parts.push('every pod must select its networks in its annotations (one that selects none fails, code 7)');
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
