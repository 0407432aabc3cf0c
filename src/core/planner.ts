import type { AdapterRegistry } from './adapter-registry';
import { checkDefaultRoutes } from './default-route';
import { delegateBinDirs, delegateCniArgs, delegateEnv } from './delegate-call';
import { expandPlugins, runtimeConfigForMaster, withRuntimeRequests, type PluginConf } from './delegate-conf';
import { CniCode, CniError, toCniError } from './errors';
import { assignInterfaceNames, selectMaster } from './naming';
import type { Attachment, DelegateConf, NetworkPlan, NetworkRequest, PlannedAttachment } from './plan';
import { pluginTypeProblem } from './plugin-type';
import type { DelegateAdapter } from './ports/delegate-adapter';
import type { DelegateEnv } from './ports/executor';
import type { CniVersion } from './version';

/** One plugin ready to run: its adapter chosen, its config validated and shaped. */
export interface PreparedPlugin {
  readonly adapter: DelegateAdapter;
  readonly type: string;
  /** What the plugin receives on stdin (before prevResult is added). */
  readonly conf: DelegateConf;
  readonly origin: string;
  /** Its `cniVersion` was written in its config, not inherited: it is checked, not negotiated. */
  readonly explicitVersion: boolean;
}

/** An attachment ready to run: named, with its plugins (one, or a conflist's chain) and their env. */
export interface PreparedAttachment extends PlannedAttachment {
  readonly plugins: readonly PreparedPlugin[];
  /** The plugin types, comma-separated, for messages. */
  readonly type: string;
  /** The attachment's result version (its config's, or its conflist's). */
  readonly cniVersion: CniVersion;
  /** The CNI_* variables each of its plugins gets. */
  readonly env: DelegateEnv;
}

/** Something that would stop the ADD, and where: a JSON path in the request's config (`delegates[1].type`). */
export interface PlanProblem {
  readonly at: string;
  readonly error: CniError;
}

/** What the planner made of a source's plan: the attachments when nothing is wrong, else every problem. */
export interface Preparation {
  readonly attachments: readonly PreparedAttachment[];
  readonly problems: readonly PlanProblem[];
  /** Every plugin config of every attachment, expanded (a conflist's chain), for binary lookups. */
  readonly plugins: readonly PluginConf[];
}

/**
 * Turns a source's plan into runnable attachments. Everything that can be wrong with the plan
 * (master marks, names, default routes, each plugin's type and config through its adapter) is
 * found here, before any delegate runs, and every problem is reported, not only the first.
 */
export function prepareAttachments(plan: NetworkPlan, request: NetworkRequest, registry: AdapterRegistry): Preparation {
  const { attachments } = plan;
  const problems: PlanProblem[] = [];
  let masterIndex = 0;
  let names: readonly string[] = [];
  try {
    masterIndex = selectMaster(attachments);
    names = assignInterfaceNames(attachments, masterIndex, request.env.ifname, request.config.ifnameIndexFrom);
    checkDefaultRoutes(attachments);
  } catch (err) {
    problems.push({ at: 'delegates', error: toCniError(err) });
  }
  const binDirs = delegateBinDirs(request.config, request.env);
  const cniArgs = delegateCniArgs(request.env.args);
  const expanded: PluginConf[] = [];
  const prepared = attachments.map((attachment, index): PreparedAttachment => {
    const master = index === masterIndex;
    const ifname = names[index] ?? '';
    const plugins = preparePlugins(attachment, master, request, registry, { problems, expanded });
    return {
      ...attachment,
      master,
      ifname,
      index,
      plugins,
      type: plugins.map((p) => p.type).join(','),
      cniVersion: (plugins[0]?.conf['cniVersion'] ?? request.config.cniVersion) as CniVersion,
      env: delegateEnv(request.env, ifname, binDirs, cniArgs),
    };
  });
  return { attachments: problems.length > 0 ? [] : prepared, problems, plugins: expanded };
}

interface Found {
  readonly problems: PlanProblem[];
  readonly expanded: PluginConf[];
}

function preparePlugins(
  attachment: Attachment,
  master: boolean,
  request: NetworkRequest,
  registry: AdapterRegistry,
  found: Found,
): PreparedPlugin[] {
  // The auxiliary chain acts on the master's interface: it may ask for the runtime's requests too.
  const runtimeConfig =
    master || attachment.auxiliary === true
      ? { ...runtimeConfigForMaster(request.config), ...attachment.runtimeConfig }
      : attachment.runtimeConfig;
  let confs: PluginConf[];
  try {
    confs = expandPlugins(attachment.conf, request.config, attachment.origin).map((c, i) => ({
      ...c,
      origin: attachment.pluginOrigins?.[i] ?? c.origin,
    }));
  } catch (err) {
    found.problems.push({ at: attachment.origin, error: toCniError(err) });
    return [];
  }
  const plugins: PreparedPlugin[] = [];
  for (const { conf, origin, explicitVersion } of confs) {
    const typeProblem = checkType(conf, origin);
    if (typeProblem !== undefined) {
      found.problems.push(typeProblem);
      continue;
    }
    found.expanded.push({ conf, origin, explicitVersion });
    try {
      const adapter = registry.pick(conf, origin);
      const shaped = adapter.prepare(withRuntimeRequests(conf, runtimeConfig, attachment.cniArgs), {
        network: attachment.network,
        origin,
      });
      plugins.push({ adapter, type: String(shaped['type']), conf: shaped, origin, explicitVersion });
    } catch (err) {
      found.problems.push({ at: origin, error: toCniError(err) });
    }
  }
  return plugins;
}

/** A type must be a plain plugin name (no path, no dots): it names a file in CNI_PATH. */
function checkType(conf: DelegateConf, origin: string): PlanProblem | undefined {
  const type = conf['type'];
  const problem = typeof type === 'string' ? pluginTypeProblem(type) : 'must be a string';
  if (problem === undefined) return undefined;
  const path = `${origin}.type`;
  const message = `${JSON.stringify(type)} is not a plain plugin name: it ${problem}`;
  return {
    at: path,
    error: new CniError(CniCode.InvalidConfig, `${path}: ${message}`, { problems: [{ path, message }] }),
  };
}

/** Every problem in one error; the code is the first problem's. */
export function combineProblems(problems: readonly CniError[]): CniError {
  const first = problems[0] as CniError;
  if (problems.length === 1) return first;
  return new CniError(first.code, problems.map((p) => p.msg).join('; '), {
    details: `${problems.length} attachments have problems`,
    cause: first,
  });
}
