import type { AdapterRegistry } from './adapter-registry';
import { withInheritedFields } from './delegate-call';
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
  return attachments.map((attachment, index): PreparedAttachment => {
    const conf = withInheritedFields(attachment.conf, request.config);
    const adapter = registry.pick(conf, attachment.origin);
    const prepared = adapter.prepare(conf, { network: attachment.network, origin: attachment.origin });
    return {
      ...attachment,
      master: index === masterIndex,
      ifname: names[index] as string,
      index,
      adapter,
      type: String(prepared['type']),
      prepared,
    };
  });
}
