import type { AdapterRegistry } from './adapter-registry';
import { expandPlugins, runtimeConfigForMaster, withRuntimeRequests } from './delegate-conf';
import { CniCode, CniError, toCniError } from './errors';
import { assignInterfaceNames, selectMaster } from './naming';
import type { Attachment, DelegateConf, NetworkPlan, NetworkRequest, PlannedAttachment } from './plan';
import { pluginTypeProblem } from './plugin-type';
import type { DelegateAdapter } from './ports/delegate-adapter';
import { checkDefaultRoutes } from './default-route';
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

/** An attachment ready to run: named, with its plugins (one, or a conflist's chain). */
export interface PreparedAttachment extends PlannedAttachment {
  readonly plugins: readonly PreparedPlugin[];
  /** The plugin types, comma-separated, for messages. */
  readonly type: string;
  /** The attachment's result version (its config's, or its conflist's). */
  readonly cniVersion: CniVersion;
}

/**
 * Turns a source's plan into runnable attachments. Everything that can be wrong with the plan
 * (master marks, names, default routes, each delegate's config) is found here, before any
 * delegate runs, and every attachment's problem is reported at once.
 */
export function prepareAttachments(
  plan: NetworkPlan,
  request: NetworkRequest,
  registry: AdapterRegistry,
): PreparedAttachment[] {
  const { attachments } = plan;
  const masterIndex = selectMaster(attachments);
  const names = assignInterfaceNames(attachments, masterIndex, request.env.ifname, request.config.ifnameIndexFrom);
  checkDefaultRoutes(attachments);
  const problems: CniError[] = [];
  const prepared = attachments.map((attachment, index): PreparedAttachment | undefined => {
    try {
      const master = index === masterIndex;
      const plugins = preparePlugins(attachment, master, request, registry);
      const first = plugins[0] as PreparedPlugin;
      const base = { ...attachment, master, ifname: names[index] as string, index };
      return {
        ...base,
        plugins,
        type: plugins.map((p) => p.type).join(','),
        cniVersion: first.conf['cniVersion'] as CniVersion,
      };
    } catch (err) {
      problems.push(toCniError(err));
      return undefined;
    }
  });
  if (problems.length > 0) throw combineProblems(problems);
  return prepared as PreparedAttachment[];
}

function preparePlugins(
  attachment: Attachment,
  master: boolean,
  request: NetworkRequest,
  registry: AdapterRegistry,
): PreparedPlugin[] {
  const runtimeConfig = master
    ? { ...runtimeConfigForMaster(request.config), ...attachment.runtimeConfig }
    : attachment.runtimeConfig;
  return expandPlugins(attachment.conf, request.config, attachment.origin).map(({ conf, origin, explicitVersion }) => {
    checkType(conf, origin);
    const adapter = registry.pick(conf, origin);
    const shaped = adapter.prepare(withRuntimeRequests(conf, runtimeConfig, attachment.cniArgs), {
      network: attachment.network,
      origin,
    });
    return { adapter, type: String(shaped['type']), conf: shaped, origin, explicitVersion };
  });
}

function checkType(conf: DelegateConf, origin: string): void {
  const type = conf['type'];
  const problem = typeof type === 'string' ? pluginTypeProblem(type) : 'must be a string';
  if (problem !== undefined) {
    throw new CniError(
      CniCode.InvalidConfig,
      `${origin}.type: ${JSON.stringify(type)} is not a plain plugin name: it ${problem}`,
    );
  }
}

/** Every attachment's problem in one error; the code is the first problem's. */
export function combineProblems(problems: readonly CniError[]): CniError {
  const first = problems[0] as CniError;
  if (problems.length === 1) return first;
  return new CniError(first.code, problems.map((p) => p.msg).join('; '), {
    details: `${problems.length} attachments have problems`,
    cause: first,
  });
}
