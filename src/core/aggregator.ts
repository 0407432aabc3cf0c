import { CniCode, CniError } from './errors';
import type { PreparedAttachment } from './planner';
import type { CniResult } from './result';
import type { CniVersion } from './version';

/**
 * The result the runtime gets: the master attachment's, converted to the multus config's
 * cniVersion. Other attachments stay invisible to the runtime (the seed's rule).
 */
export function masterResult(
  attachments: readonly PreparedAttachment[],
  results: readonly CniResult[],
  version: CniVersion,
): Record<string, unknown> {
  const index = attachments.findIndex((a) => a.master);
  const master = attachments[index];
  const result = results[index];
  if (master === undefined || result === undefined) {
    throw new CniError(CniCode.Internal, 'internal error: no master attachment result to return');
  }
  try {
    return result.asVersion(version).toJSON();
  } catch (err) {
    if (err instanceof CniError) {
      throw err.withContext(`master network "${master.network}" (${master.origin}, type "${master.type}")`);
    }
    throw err;
  }
}
