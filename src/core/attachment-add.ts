import { delegateInvocation } from './delegate-call';
import { CniCode, CniError, toCniError } from './errors';
import type { NetworkRequest } from './plan';
import type { PreparedAttachment } from './planner';
import { parseResult, type CniResult } from './result';

/** The error for an ADD stopped between two delegates. */
export function cancelled(signal: AbortSignal): CniError {
  const why = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
  return new CniError(CniCode.TryAgainLater, `ADD stopped: ${why}`);
}

/**
 * Runs an attachment's plugins in order (one, or a conflist's chain), each after the first with
 * the previous result as prevResult; returns the last one's result, post-processed by its adapter.
 * `prev` is the first plugin's prevResult (the auxiliary chain's: the master's result).
 * The sandbox ADD and live networks' attach both add attachments with it.
 */
export async function addAttachment(
  attachment: PreparedAttachment,
  request: NetworkRequest,
  binDirs: readonly string[],
  prev?: CniResult,
): Promise<CniResult> {
  const env = attachment.env;
  let result: CniResult | undefined = prev;
  for (const plugin of attachment.plugins) {
    const prevResult = result?.asVersion(attachment.cniVersion).toJSON();
    if (request.signal?.aborted === true) throw cancelled(request.signal);
    const call = delegateInvocation(request, { conf: plugin.conf, env, binDirs, prevResult, signal: request.signal });
    const raw = await plugin.adapter.add(call).catch((err: unknown) => {
      // The auxiliary chain gathers plugins from several files: say which one failed.
      throw attachment.auxiliary === true ? toCniError(err).withContext(`${plugin.origin} (type ${plugin.type})`) : err;
    });
    const where = `result of ${plugin.origin}`;
    if (raw === undefined) throw new CniError(CniCode.DelegateBadOutput, `${where}: the plugin printed nothing on ADD`);
    const parsed = parseResult(raw, attachment.cniVersion, where);
    result = plugin.adapter.postProcess?.(parsed, { network: attachment.network, origin: plugin.origin }) ?? parsed;
  }
  return result as CniResult;
}
