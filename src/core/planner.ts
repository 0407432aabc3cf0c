import type { AdapterRegistry } from './adapter-registry';
import { withInheritedFields } from './delegate-call';
import { CniCode, CniError, toCniError } from './errors';
import { pluginTypeProblem } from './plugin-type';
import { assignInterfaceNames, selectMaster } from './naming';
import type { DelegateConf, NetworkPlan, NetworkRequest, PlannedAttachment } from './plan';
import type { DelegateAdapter } from './ports/delegate-adapter';

/** An attachment ready to run: named, its adapter chosen, its config validated and shaped. */
export interface PreparedAttachment extends PlannedAttachment {
  readonly adapter: DelegateAdapter;
  readonly type: string;
  /** What the plugin receives on stdin (before prevResult is added for DEL/CHECK). */
  readonly prepared: DelegateConf;
}

/**
 * Turns a source's plan into runnable attachments. Everything that can be wrong with the plan
 * (master marks, names, each delegate's config) is found here, before any delegate runs.
 */
export function prepareAttachments(plan: NetworkPlan, request: NetworkRequest, registry: AdapterRegistry): PreparedAttachment[] {
  const { attachments } = plan;
  const masterIndex = selectMaster(attachments);
  const names = assignInterfaceNames(attachments, masterIndex, request.env.ifname, request.config.ifnameIndexFrom);
  const problems: CniError[] = [];
  const prepared = attachments.map((attachment, index): PreparedAttachment | undefined => {
    try {
      const conf = withInheritedFields(attachment.conf, request.config);
      checkType(conf, attachment.origin);
      const adapter = registry.pick(conf, attachment.origin);
      const shaped = adapter.prepare(conf, { network: attachment.network, origin: attachment.origin });
      const base = { ...attachment, master: index === masterIndex, ifname: names[index] as string, index };
      return { ...base, adapter, type: String(shaped['type']), prepared: shaped };
    } catch (err) {
      problems.push(toCniError(err));
      return undefined;
    }
  });
  if (problems.length > 0) throw combine(problems);
  return prepared as PreparedAttachment[];
}

function checkType(conf: DelegateConf, origin: string): void {
  const type = conf['type'];
  const problem = typeof type === 'string' ? pluginTypeProblem(type) : 'must be a string';
  if (problem !== undefined) {
    throw new CniError(CniCode.InvalidConfig, `${origin}.type: ${JSON.stringify(type)} is not a plain plugin name: it ${problem}`);
  }
}

/** Every attachment's problem in one error; the code is the first problem's. */
function combine(problems: readonly CniError[]): CniError {
  const first = problems[0] as CniError;
  if (problems.length === 1) return first;
  return new CniError(first.code, problems.map((p) => p.msg).join('; '), { details: `${problems.length} attachments have problems`, cause: first });
}
