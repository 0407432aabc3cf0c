import type { AdapterRegistry } from './adapter-registry';
import { attachmentHostObjects, runByHostObjects } from './attachment-runner';
import { withState } from './cache-entry';
import { delegateBinDirs, delegateCniArgs, delegateEnv, delegateInvocation } from './delegate-call';
import { CniCode, CniError, toCniError } from './errors';
import type { NetworkRequest } from './plan';
import type { Logger } from './ports/logger';
import type { CacheEntry, RecordedAttachment } from './ports/result-cache';
import { parseResult } from './result';
import { versionAtLeast, type CniVersion } from './version';

/** What deleting some attachments left: the entry with their new states, and the failures. */
export interface DeleteOutcome {
  readonly entry: CacheEntry;
  readonly failures: CniError[];
}

/** What an attachment's failure names: any stage's attachment has these. */
type NamedAttachment = Pick<RecordedAttachment, 'network' | 'type' | 'ifname' | 'origin'>;

/** One attachment's failure, naming the network, where it came from, its type and interface. */
export function attachmentFailure(attachment: NamedAttachment, command: string, cause: CniError): CniError {
  const where =
    `network "${attachment.network}" (${attachment.origin}, type "${attachment.type}", interface ` +
    `${attachment.ifname})`;
  return new CniError(cause.code, `${where}: ${command} failed: ${cause.msg}`, { details: cause.details, cause });
}

/**
 * Runs DEL or CHECK for one recorded attachment, each plugin of its chain with the cached result
 * as prevResult (CNI ≥ 0.4.0). DEL goes in reverse plugin order and on past a failing plugin,
 * throwing the first failure; CHECK goes in order and stops at the first.
 */
export async function runRecorded(
  registry: AdapterRegistry,
  request: NetworkRequest,
  cached: RecordedAttachment,
  command: 'DEL' | 'CHECK',
): Promise<void> {
  const binDirs = delegateBinDirs(request.config, request.env);
  const env = delegateEnv(request.env, cached.ifname, binDirs, delegateCniArgs(request.env.args));
  const version = cached.cniVersion as CniVersion;
  const withPrev = cached.result !== undefined && versionAtLeast(version, '0.4.0');
  const prevResult = withPrev
    ? parseResult(cached.result, version, cached.origin).asVersion(version).toJSON()
    : undefined;
  const order = cached.confs.map((conf, i) => ({ conf, origin: cached.origins[i] ?? cached.origin }));
  if (command === 'DEL') order.reverse();
  let first: unknown;
  for (const { conf, origin } of order) {
    const call = delegateInvocation(request, { conf, env, binDirs, prevResult });
    const adapter = registry.pick(conf, origin);
    try {
      await (command === 'DEL' ? adapter.del(call) : adapter.check(call));
    } catch (err) {
      if (command === 'CHECK') throw err;
      first ??= err;
    }
  }
  if (first !== undefined) throw first as unknown; // the adapter's own error, as it was thrown
}

/**
 * The auxiliary chain's ADD starts from the master's result: when its own never got recorded (its
 * ADD failed or was cut short), its DEL gets the master's as prevResult, converted to its version.
 */
function withChainPrev(cached: RecordedAttachment, entry: CacheEntry): RecordedAttachment {
  if (cached.auxiliary !== true || cached.result !== undefined) return cached;
  const master = entry.attachments.find((a) => a.master && a.result !== undefined);
  if (master?.result === undefined) return cached;
  const version = cached.cniVersion as CniVersion;
  const result = parseResult(master.result, master.cniVersion as CniVersion, master.origin).asVersion(version);
  return { ...cached, result: result.toJSON() };
}

/**
 * Deletes recorded attachments in reverse order (with `parallelDelegates`, independent ones at
 * once), going on past failures. Attachments already
 * deleted are skipped (some plugins' DEL is not idempotent). A failing DEL of an attachment whose
 * ADD never completed is logged, not reported: there may be nothing of it to delete.
 */
export class DeleteRun {
  constructor(
    private readonly registry: AdapterRegistry,
    private readonly request: NetworkRequest,
    private readonly log: Logger,
  ) {}

  /** One error for several failures: the single failure itself, or code 103 listing them all. */
  static aggregate(failures: readonly CniError[], what: string): CniError {
    if (failures.length === 1) return failures[0] as CniError;
    const msg = `${what} failed for ${failures.length} attachments: ${failures.map((f) => f.msg).join('; ')}`;
    return new CniError(CniCode.DelegateCleanupFailed, msg, { cause: failures[0] });
  }

  /**
   * Deletes attachments 0..upTo not yet deleted, in reverse. With `parallelDelegates`, an
   * attachment's DEL waits only for the later ones that share a host object with it (as ADD ran
   * them); failures are reported in reverse order either way.
   */
  async run(entry: CacheEntry, upTo: number): Promise<DeleteOutcome> {
    let current = entry;
    const failed: Array<{ readonly index: number; readonly failure: CniError }> = [];
    const deleteOne = async (cached: RecordedAttachment): Promise<void> => {
      try {
        await runRecorded(this.registry, this.request, withChainPrev(cached, entry), 'DEL');
        current = withState(current, cached.index, 'deleted');
      } catch (err) {
        const failure = attachmentFailure(cached, 'DEL', toCniError(err));
        if (cached.state === 'pending') {
          this.log.warn(
            { network: cached.network, type: cached.type, code: failure.code },
            `DEL of an unfinished attachment: ${failure.msg}`,
          );
          current = withState(current, cached.index, 'deleted');
        } else {
          failed.push({ index: cached.index, failure });
        }
      }
    };
    const todo = [...entry.attachments].reverse().filter((c) => c.index <= upTo && c.state !== 'deleted');
    if (this.request.config.parallelDelegates)
      await runByHostObjects(todo, (c) => attachmentHostObjects(c.confs, c.auxiliary), deleteOne);
    else for (const cached of todo) await deleteOne(cached);
    const failures = failed.sort((a, b) => b.index - a.index).map((f) => f.failure);
    return { entry: current, failures };
  }
}
