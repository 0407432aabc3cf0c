import type { Container } from 'inversify';
import type { AdapterRegistry } from '../../core/adapter-registry';
import { parseMultusConfig, type MultusConfig } from '../../core/config/multus-config';
import { getIgnoringCase, POD_ANNOTATIONS_KEY } from '../../core/delegate-conf';
import type { BinaryFact, DryRun } from '../../core/dry-run';
import { isObject } from '../../core/json';
import type { NetworkRequest } from '../../core/plan';
import type { PreparedAttachment, PreparedPlugin } from '../../core/planner';
import { DEFAULT_NETWORK_ANNOTATION, podSelections, type NetworkSelection } from '../../core/selection';
import { runtimeRequests } from '../../sources/kube/selection-rules';
import { readConfigFile, type ConfigFile } from '../validate/config-file';
import {
  kubeconfigProblems,
  offlineAdapters,
  offlineContainer,
  offlineRequest,
  offlineServices,
  planProblems,
  type OfflineServices,
} from '../validate/offline';
import { apiNeeded } from '../validate/offline-kube';
import { problemsOf, type Problem } from '../validate/problem';

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
  /**
   * True after the first plugin of a chain (the previous plugin's result is added as `prevResult`),
   * and for the auxiliary chain's first plugin (the master's result).
   */
  readonly prevResult: boolean;
}

export interface AttachmentView {
  readonly index: number;
  readonly network: string;
  readonly ifname: string;
  readonly master: boolean;
  /** The auxiliary CNI chain: chained plugins on the master's interface, started with the master's result. */
  readonly auxiliary: boolean;
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

type Planned = Pick<Explanation, 'source' | 'complete' | 'apiCalls' | 'attachments' | 'result' | 'notes' | 'problems'>;

/** The plan's fields but its source, before there is a plan: complete until an API call is found missing. */
function nothingPlanned(): Omit<Planned, 'source'> {
  return { complete: true, apiCalls: [], attachments: [], result: undefined, notes: [], problems: [] };
}

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
    ...nothingPlanned(),
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
  }
  notes.push(...configNotes(config, options, k8s));
  const request = offlineRequest(config, options.ifname, options.cniPath, podCniArgs(pod));
  const services = offlineServices(options.container ?? offlineContainer());
  const { adapters, problems } = await offlineAdapters(services, config, loaded);
  if (adapters === undefined) return { ...out, notes, problems };
  notes.push(...(await kubeconfigNotes(services, config, loaded)));
  const planned = await plan(request, services, adapters, loaded);
  return { ...out, ...planned, notes: [...notes, ...planned.notes] };
}

/** CNI_ARGS for the pod, as a runtime passes them (`K8S_POD_NAMESPACE=…;K8S_POD_NAME=…`). */
function podCniArgs(pod: Explanation['pod']): string {
  if (pod === undefined) return '';
  const pairs = [pod.namespace === undefined ? '' : `K8S_POD_NAMESPACE=${pod.namespace}`, `K8S_POD_NAME=${pod.name}`];
  return pairs.filter((p) => p !== '').join(';');
}

/** Explain reads no kubeconfig to make its plan; what an ADD would find wrong with it is a note. */
async function kubeconfigNotes(services: OfflineServices, config: MultusConfig, loaded: ConfigFile): Promise<string[]> {
  const problems = await kubeconfigProblems(services, config, loaded);
  return problems.map((p) => `an ADD would fail (code ${p.code}): ${p.path}: ${p.message}`);
}

/** What explain says before the plan: annotations without a kubeconfig, the readiness wait. */
function configNotes(config: MultusConfig, options: ExplainOptions, k8s: boolean): string[] {
  const notes: string[] = [];
  if (!k8s && Object.keys(options.annotations).length > 0)
    notes.push(
      '--pod-annotation ignored: the config has no kubeconfig, so its delegates are the networks and ' +
        'annotations select nothing',
    );
  if (config.readinessFile !== undefined)
    notes.push(
      `an ADD first waits up to ${config.readinessTimeoutMs / 1000} s for the readiness file ${config.readinessFile}`,
    );
  return notes;
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

async function plan(
  request: NetworkRequest,
  services: OfflineServices,
  adapters: AdapterRegistry,
  loaded: ConfigFile,
): Promise<Planned> {
  const run = await services.planner.dryRun(request, adapters, { binaries: true });
  const planned: Planned = { source: run.source, ...nothingPlanned() };
  if (run.problems.some((p) => apiNeeded(p.error) !== undefined))
    return { ...planned, complete: false, apiCalls: [...new Set(services.kube.asked)] };
  if (run.problems.length > 0) return { ...planned, problems: planProblems(run, loaded) };
  const attachments = run.attachments.map((a) => attachmentView(a, run, adapters, loaded));
  const master = run.attachments.find((a) => a.master);
  const notes =
    run.pod === undefined
      ? []
      : [`the network-status annotation would be written to pod ${run.pod.namespace}/${run.pod.name}`];
  if (master !== undefined) notes.push(defaultRouteNote(master.ifname, request.config.masterDefaultRoute));
  return {
    ...planned,
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

function attachmentView(
  a: PreparedAttachment,
  run: DryRun,
  adapters: AdapterRegistry,
  loaded: ConfigFile,
): AttachmentView {
  const { CNI_IFNAME, CNI_ARGS, CNI_PATH } = a.env;
  return {
    index: a.index,
    network: a.network,
    ifname: a.ifname,
    master: a.master,
    auxiliary: a.auxiliary === true,
    origin: loaded.mapPath(a.origin),
    statusName: a.statusName,
    cniVersion: a.cniVersion,
    env: { CNI_COMMAND: 'ADD', CNI_IFNAME, CNI_ARGS, CNI_PATH },
    defaultRoute: a.defaultRoute,
    plugins: a.plugins.map((p, i) => pluginView(p, i > 0 || a.auxiliary === true, run, adapters, loaded)),
  };
}

function pluginView(
  p: PreparedPlugin,
  prevResult: boolean,
  run: DryRun,
  adapters: AdapterRegistry,
  loaded: ConfigFile,
): PluginView {
  const binary = (at: string): BinaryFact | undefined => run.binaries.find((b) => b.at === at);
  const ipam = binary(`${p.origin}.ipam.type`);
  return {
    origin: loaded.mapPath(p.origin),
    type: p.type,
    adapter: p.adapter.name,
    adapterOrigin: adapters.originOf(p.adapter),
    binary: binaryView(binary(`${p.origin}.type`) ?? { at: '', type: p.type, path: undefined, error: undefined }),
    ipam: ipam === undefined ? undefined : binaryView(ipam),
    stdin: p.conf,
    prevResult,
  };
}

function binaryView(found: BinaryFact): BinaryView {
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
  const views: SelectionView[] = [];
  try {
    const { key, selections, chosenDefault } = podSelections(annotations);
    if (chosenDefault !== undefined) views.push(view(DEFAULT_NETWORK_ANNOTATION, chosenDefault, multusNamespace));
    views.push(...selections.map((s) => view(key, s, podNamespace)));
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
