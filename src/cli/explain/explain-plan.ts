import type { Container } from 'inversify';
import { parseMultusConfig, type MultusConfig } from '../../core/config/multus-config';
import { adapterOrigin, type AdapterRegistry } from '../../core/adapter-registry';
import { delegateBinDirs, delegateCniArgs, delegateEnv } from '../../core/delegate-call';
import { getIgnoringCase, POD_ANNOTATIONS_KEY } from '../../core/delegate-conf';
import { isObject } from '../../core/json';
import type { NetworkPlan, NetworkRequest } from '../../core/plan';
import { prepareAttachments, type PreparedAttachment, type PreparedPlugin } from '../../core/planner';
import type { NetworkSource } from '../../core/ports/network-source';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  parseDefaultNetwork,
  parseNetworkSelections,
  SEED_NETWORKS_ANNOTATION,
  type NetworkSelection,
} from '../../core/selection';
import { TOKENS } from '../../core/tokens';
import { runtimeRequests } from '../../sources/kube/selection-rules';
import { offlineRequest } from '../validate/config-checks';
import { readConfigFile, type ConfigFile } from '../validate/config-file';
import { registryFor } from '../validate/config-registry';
import { ipamType, lookupBinary, type BinaryLookup } from '../validate/plugin-binaries';
import { problemsOf, type Problem } from '../validate/problem';
import { RefusingExecutor } from '../validate/refusing-executor';
import { offlineContainer } from '../validate/validate-file';
import { apiNeeded, OfflineKubeClientProvider } from '../validate/offline-kube';

/** The pod `--pod` names: `namespace/name`, or a name alone (podman passes only K8S_POD_NAME). */
export interface PodArg {
  readonly namespace: string | undefined;
  readonly name: string;
}

export interface ExplainOptions {
  readonly cniPath: readonly string[];
  readonly ifname: string;
  /** The pod's annotations (`--pod-annotation KEY=VALUE`); Kubernetes mode only. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly pod: PodArg | undefined;
  /** What the runtime passes as `runtimeConfig` (`--runtime-config`), before the capability filter. */
  readonly runtimeConfig: Readonly<Record<string, unknown>> | undefined;
  /** The container to use; the production one with nothing able to run by default. */
  readonly container?: Container;
}

/** A binary as the ADD would find it: its path, or why it would not run. */
export interface BinaryView {
  readonly type: string;
  /** The file the executor would run; undefined when missing (or refused). */
  readonly path: string | undefined;
  /** Why it would not run: not found (101) or writable by others (107). */
  readonly problem: string | undefined;
}

export interface PluginView {
  /** Where its config comes from (`delegates[1]`, `delegates[1].plugins[0]`). */
  readonly origin: string;
  readonly type: string;
  /** The adapter that validated and shaped its config and would run it (`adapter.name`). */
  readonly adapter: string;
  /** Who registered that adapter: `built-in`, or the vendor module it came from. */
  readonly adapterOrigin: string;
  readonly binary: BinaryView;
  /** The IPAM plugin the delegate would run itself, from the same CNI_PATH. */
  readonly ipam: BinaryView | undefined;
  /** Exactly what the plugin would read on stdin for ADD. */
  readonly stdin: Readonly<Record<string, unknown>>;
  /** True after the first plugin of a chain: the previous plugin's result is added as `prevResult`. */
  readonly prevResult: boolean;
}

export interface AttachmentView {
  readonly index: number;
  readonly network: string;
  readonly ifname: string;
  readonly master: boolean;
  readonly origin: string;
  /** The network's name in the pod's network-status annotation (Kubernetes networks). */
  readonly statusName: string | undefined;
  readonly cniVersion: string;
  /** The CNI_* variables the plugins would get; CNI_CONTAINERID and CNI_NETNS are the runtime's. */
  readonly env: Readonly<Record<string, string>>;
  /** Gateways this attachment would own the pod's default route through. */
  readonly defaultRoute: readonly string[] | undefined;
  readonly plugins: readonly PluginView[];
}

export interface SelectionView {
  readonly annotation: string;
  readonly origin: string;
  readonly name: string;
  /** The namespace it would be looked up in (the pod's, or multusNamespace for the default network, when not given). */
  readonly namespace: string;
  readonly interface: string | undefined;
  readonly runtimeConfig: Readonly<Record<string, unknown>> | undefined;
  readonly cniArgs: Readonly<Record<string, unknown>> | undefined;
  readonly defaultRoute: readonly string[] | undefined;
}

/** What `multus explain` found: the plan an ADD would execute, or why there is none. */
export interface Explanation {
  readonly file: string;
  /** In a conflist, the plugin that is the multus config (`plugins[0]`). */
  readonly multusPlugin: string | undefined;
  /** The network source that would serve the ADD (`file`, `kubernetes`). */
  readonly source: string | undefined;
  readonly name: string | undefined;
  readonly cniVersion: string | undefined;
  readonly ifname: string;
  readonly kubeconfig: string | undefined;
  readonly pod: (PodArg & { readonly assumed: boolean }) | undefined;
  /** Kubernetes mode: the networks the pod's annotations select. */
  readonly selections: readonly SelectionView[];
  /** False when resolving the networks needs the Kubernetes API, which explain does not call. */
  readonly complete: boolean;
  /** The API calls the plan would need (when not complete). */
  readonly apiCalls: readonly string[];
  readonly attachments: readonly AttachmentView[];
  /** What the runtime gets back: the master's result, in the config's cniVersion. */
  readonly result: string | undefined;
  readonly notes: readonly string[];
  /** Why no plan could be made (the ADD would fail before running anything). */
  readonly problems: readonly Problem[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Pod used in Kubernetes mode when `--pod` is not given: the source needs a namespace and a name. */
export const ASSUMED_POD: PodArg = { namespace: 'default', name: 'example-pod' };

/**
 * Works out the plan an ADD would execute for the file, using the production container with an
 * executor that runs nothing and a Kubernetes client that answers nothing: the source resolves
 * the plan and the planner prepares it exactly as in an ADD, and nothing else happens.
 */
export async function explainFile(file: string, options: ExplainOptions): Promise<Explanation> {
  const out: Mutable<Explanation> = {
    file,
    multusPlugin: undefined,
    source: undefined,
    name: undefined,
    cniVersion: undefined,
    ifname: options.ifname,
    kubeconfig: undefined,
    pod: undefined,
    selections: [],
    complete: true,
    apiCalls: [],
    attachments: [],
    result: undefined,
    notes: [],
    problems: [],
  };
  const read = await readConfigFile(file);
  if (!read.ok) return { ...out, problems: read.problems };
  const loaded = read.config;
  out.multusPlugin = loaded.pluginPath === '' ? undefined : loaded.pluginPath;
  const k8s = loaded.raw['kubeconfig'] !== undefined;
  const notes: string[] = [];
  const raw = withRuntimeInput(loaded, options, k8s, notes);
  let config: MultusConfig;
  try {
    config = parseMultusConfig(raw);
  } catch (err) {
    return { ...out, notes, problems: problemsOf(err, loaded.mapPath('(config)'), loaded.mapPath) };
  }
  Object.assign(out, { name: config.name, cniVersion: config.cniVersion, kubeconfig: config.kubeconfig });
  const pod = podFor(k8s, options.pod);
  out.pod = pod;
  if (k8s) {
    const selections = selectionViews(
      options.annotations,
      pod?.namespace ?? 'default',
      config.kubernetes.multusNamespace,
    );
    if (!selections.ok) return { ...out, notes, problems: selections.problems };
    out.selections = selections.views;
  } else if (Object.keys(options.annotations).length > 0) {
    notes.push(
      '--pod-annotation ignored: the config has no kubeconfig, so its delegates are the networks and ' +
        'annotations select nothing',
    );
  }
  if (config.readinessFile !== undefined) {
    notes.push(
      `an ADD first waits up to ${config.readinessTimeoutMs / 1000} s for the readiness file ${config.readinessFile}`,
    );
  }
  const cniArgs =
    pod === undefined
      ? ''
      : [pod.namespace === undefined ? '' : `K8S_POD_NAMESPACE=${pod.namespace}`, `K8S_POD_NAME=${pod.name}`]
          .filter((p) => p !== '')
          .join(';');
  const request = offlineRequest(config, options.ifname, options.cniPath, cniArgs);
  const container = options.container ?? offlineContainer(new RefusingExecutor());
  let registry: AdapterRegistry;
  try {
    registry = await registryFor(container, config);
  } catch (err) {
    return { ...out, notes, problems: problemsOf(err, loaded.mapPath('adapterDirs'), loaded.mapPath) };
  }
  const planned = await plan(request, container, registry, loaded);
  return { ...out, ...planned, notes: [...notes, ...planned.notes] };
}

/**
 * The pod of the request. The Kubernetes source needs a namespace and a name: a missing one is
 * assumed (and said so); in file mode the pod only shows in CNI_ARGS.
 */
function podFor(k8s: boolean, given: PodArg | undefined): Explanation['pod'] {
  if (!k8s) return given === undefined ? undefined : { ...given, assumed: false };
  if (given === undefined) return { ...ASSUMED_POD, assumed: true };
  return given.namespace === undefined
    ? { namespace: ASSUMED_POD.namespace, name: given.name, assumed: true }
    : { ...given, assumed: false };
}

type Planned = Pick<Explanation, 'source' | 'complete' | 'apiCalls' | 'attachments' | 'result' | 'notes' | 'problems'>;

async function plan(
  request: NetworkRequest,
  container: Container,
  registry: AdapterRegistry,
  loaded: ConfigFile,
): Promise<Planned> {
  const kube = new OfflineKubeClientProvider();
  container.rebind(TOKENS.KubeClientProvider).toConstantValue(kube);
  const empty: Planned = {
    source: undefined,
    complete: true,
    apiCalls: [],
    attachments: [],
    result: undefined,
    notes: [],
    problems: [],
  };
  const where = loaded.mapPath('(config)');
  // As the orchestrator picks: the first source that supports the request.
  const source = container.getAll<NetworkSource>(TOKENS.NetworkSource).find((s) => s.supports(request));
  if (source === undefined)
    return { ...empty, problems: [{ path: where, message: 'no network source can serve this config', code: 7 }] };
  let networkPlan: NetworkPlan;
  try {
    networkPlan = await source.resolve(request);
  } catch (err) {
    const needed = apiNeeded(err);
    if (needed === undefined)
      return { ...empty, source: source.name, problems: problemsOf(err, '(networks)', loaded.mapPath) };
    return { ...empty, source: source.name, complete: false, apiCalls: [...new Set(kube.asked)] };
  }
  let prepared: PreparedAttachment[];
  try {
    prepared = prepareAttachments(networkPlan, request, registry);
  } catch (err) {
    return { ...empty, source: source.name, problems: problemsOf(err, '(plan)', loaded.mapPath) };
  }
  const binDirs = delegateBinDirs(request.config, request.env);
  const attachments = await Promise.all(prepared.map((a) => attachmentView(a, request, binDirs, loaded)));
  const master = prepared.find((a) => a.master);
  const notes =
    networkPlan.pod === undefined
      ? []
      : [`the network-status annotation would be written to pod ${networkPlan.pod.namespace}/${networkPlan.pod.name}`];
  if (master !== undefined) notes.push(defaultRouteNote(master.ifname, request.config.masterDefaultRoute));
  return {
    ...empty,
    source: source.name,
    attachments,
    notes,
    result:
      master === undefined
        ? undefined
        : `the master's result (${master.ifname}), converted to cniVersion ${request.config.cniVersion}`,
  };
}

/** What happens to the pod's default routes (configuration.md, masterDefaultRoute). */
function defaultRouteNote(masterIfname: string, masterDefaultRoute: boolean): string {
  if (!masterDefaultRoute)
    return (
      "default routes: each attachment's as its plugin sets them, but a selection's default-route " +
      '(masterDefaultRoute is off)'
    );
  return (
    `default routes: ${masterIfname} (the master) gets the pod's default route of each IP family it has a gateway ` +
    `for when another attachment sets one; those others lose theirs (masterDefaultRoute; a selection's ` +
    `default-route wins for its family)`
  );
}

async function attachmentView(
  a: PreparedAttachment,
  request: NetworkRequest,
  binDirs: readonly string[],
  loaded: ConfigFile,
): Promise<AttachmentView> {
  const env = delegateEnv(request.env, a.ifname, binDirs, delegateCniArgs(request.env.args));
  return {
    index: a.index,
    network: a.network,
    ifname: a.ifname,
    master: a.master,
    origin: loaded.mapPath(a.origin),
    statusName: a.statusName,
    cniVersion: a.cniVersion,
    env: { CNI_COMMAND: 'ADD', CNI_IFNAME: env.CNI_IFNAME, CNI_ARGS: env.CNI_ARGS, CNI_PATH: env.CNI_PATH },
    defaultRoute: a.defaultRoute,
    plugins: await Promise.all(a.plugins.map((p, i) => pluginView(p, i > 0, binDirs, loaded))),
  };
}

async function pluginView(
  p: PreparedPlugin,
  prevResult: boolean,
  binDirs: readonly string[],
  loaded: ConfigFile,
): Promise<PluginView> {
  const ipam = ipamType(p.conf);
  return {
    origin: loaded.mapPath(p.origin),
    type: p.type,
    adapter: p.adapter.name,
    adapterOrigin: adapterOrigin(p.adapter),
    binary: binaryView(await lookupBinary(p.type, binDirs)),
    ipam: ipam === undefined ? undefined : binaryView(await lookupBinary(ipam, binDirs)),
    stdin: p.conf,
    prevResult,
  };
}

function binaryView(found: BinaryLookup): BinaryView {
  return { type: found.type, path: found.path, problem: found.error?.msg };
}

/**
 * The multus config as the runtime would pass it: with `--runtime-config` (only the keys whose
 * capability the config declares, libcni's rule) and, in Kubernetes mode, the pod's annotations
 * where containerd puts them, so the source reads them instead of GETting the pod.
 */
function withRuntimeInput(
  loaded: ConfigFile,
  options: ExplainOptions,
  k8s: boolean,
  notes: string[],
): Record<string, unknown> {
  const raw = loaded.raw;
  const existing = isObject(raw['runtimeConfig']) ? raw['runtimeConfig'] : {};
  const capabilities = isObject(raw['capabilities']) ? raw['capabilities'] : {};
  const given = Object.entries(options.runtimeConfig ?? {});
  const kept = given.filter(([key]) => getIgnoringCase(capabilities, key) === true);
  const dropped = given.filter(([key]) => getIgnoringCase(capabilities, key) !== true).map(([key]) => key);
  if (dropped.length > 0) {
    notes.push(
      `--runtime-config ${dropped.join(', ')} dropped: the multus config declares no such capability, so the ` +
        `runtime would not pass it`,
    );
  }
  const runtimeConfig: Record<string, unknown> = { ...existing, ...Object.fromEntries(kept) };
  if (k8s) runtimeConfig[POD_ANNOTATIONS_KEY] = { ...options.annotations };
  return Object.keys(runtimeConfig).length === 0 ? { ...raw } : { ...raw, runtimeConfig };
}

type SelectionsOutcome =
  { readonly ok: true; readonly views: SelectionView[] } | { readonly ok: false; readonly problems: Problem[] };

/** The pod's selections, parsed by the same functions the Kubernetes source uses. */
function selectionViews(
  annotations: Readonly<Record<string, string>>,
  podNamespace: string,
  multusNamespace: string,
): SelectionsOutcome {
  const key = annotations[NETWORKS_ANNOTATION] !== undefined ? NETWORKS_ANNOTATION : SEED_NETWORKS_ANNOTATION;
  const views: SelectionView[] = [];
  try {
    const override = annotations[DEFAULT_NETWORK_ANNOTATION];
    if (override !== undefined && override.trim() !== '')
      views.push(view(DEFAULT_NETWORK_ANNOTATION, parseDefaultNetwork(override), multusNamespace));
    views.push(...parseNetworkSelections(key, annotations[key] ?? '').map((s) => view(key, s, podNamespace)));
  } catch (err) {
    return { ok: false, problems: problemsOf(err, '--pod-annotation') };
  }
  return { ok: true, views };
}

function view(annotation: string, s: NetworkSelection, namespace: string): SelectionView {
  const requests = runtimeRequests(s);
  return {
    annotation,
    origin: s.origin,
    name: s.name,
    namespace: s.namespace ?? namespace,
    interface: s.interface,
    runtimeConfig: requests.runtimeConfig,
    cniArgs: requests.cniArgs,
    defaultRoute: s.defaultRoute,
  };
}
