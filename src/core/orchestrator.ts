import { inject, injectable, multiInject, optional } from 'inversify';
import type { AdapterRegistry } from './adapter-registry';
import { masterResult } from './aggregator';
import { cacheKey, newCacheEntry, withState } from './cache-entry';
import { delegateBinDirs, delegateCniArgs, delegateEnv } from './delegate-call';
import { attachmentFailure, DeleteRun, type DeleteOutcome } from './delete-run';
import { CniCode, CniError, toCniError } from './errors';
import type { NetworkRequest } from './plan';
import { prepareAttachments, type PreparedAttachment } from './planner';
import type { Clock } from './ports/clock';
import type { Logger } from './ports/logger';
import type { NetworkSource } from './ports/network-source';
import type { CacheEntry, CacheKey, ResultCache } from './ports/result-cache';
import { parseResult, type CniResult } from './result';
import { TOKENS } from './tokens';
import { versionAtLeast, type CniVersion } from './version';

/**
 * Runs a pod's attachments. ADD is transactional: the cache is written before the first
 * delegate runs and after each success; a failure deletes what was made, in reverse, and
 * leaves nothing behind. DEL and CHECK work from the cache, so they need neither the config's
 * delegates nor the API.
 */
@injectable()
export class Orchestrator {
  constructor(
    @inject(TOKENS.AdapterRegistry) private readonly registry: AdapterRegistry,
    @inject(TOKENS.ResultCache) private readonly cache: ResultCache,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @multiInject(TOKENS.NetworkSource) @optional() private readonly sources: readonly NetworkSource[] = [],
  ) {}

  /** ADD: returns the master's result in the multus config's cniVersion. */
  async add(request: NetworkRequest, log: Logger): Promise<Record<string, unknown>> {
    const attachments = await this.prepare(request);
    const key = cacheKey(request);
    await this.clearStale(key, request, log);
    const binDirs = delegateBinDirs(request.config, request.env);
    const cniArgs = delegateCniArgs(request.env.args);
    let entry = newCacheEntry({ request, cniArgs, binDirs, now: this.clock.now() }, attachments);
    await this.cache.save(key, entry);
    const results: CniResult[] = [];
    for (const attachment of attachments) {
      try {
        const result = await this.addOne(attachment, request, binDirs, cniArgs);
        results.push(result);
        entry = withState(entry, attachment.index, 'added', result.toJSON());
        await this.cache.save(key, entry);
        log.debug({ network: attachment.network, interface: attachment.ifname, type: attachment.type }, 'attachment added');
      } catch (err) {
        throw await this.rollback(key, entry, attachment, toCniError(err), request, log);
      }
    }
    try {
      return masterResult(attachments, results, request.config.cniVersion);
    } catch (err) {
      throw await this.rollback(key, entry, undefined, toCniError(err), request, log);
    }
  }

  /** DEL: from the cache in reverse; without a cache, a best-effort DEL of the configured delegates. */
  async del(request: NetworkRequest, log: Logger): Promise<void> {
    const key = cacheKey(request);
    const entry = await this.loadForDelete(key, log);
    if (entry === undefined) {
      await this.delWithoutCache(request, log);
      return;
    }
    const outcome = await this.deleteRun(request, log).run(entry, entry.attachments.length - 1);
    await this.settle(key, outcome);
    if (outcome.failures.length > 0) throw DeleteRun.aggregate(outcome.failures, 'DEL');
  }

  /** CHECK: each added attachment's delegate CHECK with its cached result; stops at the first failure. */
  async check(request: NetworkRequest, log: Logger): Promise<void> {
    const key = cacheKey(request);
    const entry = await this.cache.load(key);
    if (entry === undefined) {
      throw new CniError(CniCode.UnknownContainer, `no attachments recorded for container ${key.containerId} interface ${key.ifname} in ${key.dir}`);
    }
    const binDirs = delegateBinDirs(request.config, request.env);
    const cniArgs = delegateCniArgs(request.env.args);
    for (const cached of entry.attachments) {
      if (cached.state !== 'added' || cached.result === undefined) {
        throw attachmentFailure(cached, 'CHECK', new CniError(CniCode.UnknownContainer, `its ADD did not complete (state ${cached.state})`));
      }
      const version = String(cached.conf['cniVersion']);
      if (!versionAtLeast(version, '0.4.0')) {
        log.debug({ network: cached.network, cniVersion: version }, 'CHECK skipped: delegate config is older than 0.4.0');
        continue;
      }
      const adapter = this.registry.pick(cached.conf, cached.origin);
      const prevResult = parseResult(cached.result, version as CniVersion, cached.origin).asVersion(version as CniVersion).toJSON();
      try {
        await adapter.check({ conf: cached.conf, env: delegateEnv(request.env, cached.ifname, binDirs, cniArgs), binDirs, prevResult });
      } catch (err) {
        throw attachmentFailure(cached, 'CHECK', toCniError(err));
      }
    }
  }

  private async prepare(request: NetworkRequest): Promise<PreparedAttachment[]> {
    const source = this.sources.find((s) => s.supports(request));
    if (source === undefined) {
      throw new CniError(CniCode.InvalidConfig, `no network source can serve this request (sources: ${this.sources.map((s) => s.name).join(', ') || 'none'})`);
    }
    const plan = await source.resolve(request);
    return prepareAttachments(plan, request, this.registry);
  }

  private async addOne(attachment: PreparedAttachment, request: NetworkRequest, binDirs: readonly string[], cniArgs: string): Promise<CniResult> {
    const env = delegateEnv(request.env, attachment.ifname, binDirs, cniArgs);
    const raw = await attachment.adapter.add({ conf: attachment.prepared, env, binDirs });
    const version = String(attachment.prepared['cniVersion']) as CniVersion;
    const where = `result of ${attachment.origin}`;
    if (raw === undefined) throw new CniError(CniCode.DelegateBadOutput, `${where}: the plugin printed nothing on ADD`);
    const result = parseResult(raw, version, where);
    const context = { network: attachment.network, origin: attachment.origin };
    return attachment.adapter.postProcess?.(result, context) ?? result;
  }

  /** Deletes attachments 0..failed (reverse) after an ADD failure; returns the error to report. */
  private async rollback(
    key: CacheKey,
    entry: CacheEntry,
    failed: PreparedAttachment | undefined,
    cause: CniError,
    request: NetworkRequest,
    log: Logger,
  ): Promise<CniError> {
    const upTo = failed?.index ?? entry.attachments.length - 1;
    const error = failed === undefined ? cause : attachmentFailure(entry.attachments[failed.index] ?? failed, 'ADD', cause);
    log.warn({ code: error.code, network: failed?.network, type: failed?.type }, 'ADD failed; rolling back');
    const outcome = await this.deleteRun(request, log).run(entry, upTo);
    await this.settle(key, outcome).catch((err: unknown) => outcome.failures.push(toCniError(err, 'removing the cache entry')));
    if (outcome.failures.length === 0) return error;
    const rollback = DeleteRun.aggregate(outcome.failures, 'rollback DEL');
    const details = [error.details, `${rollback.msg}; the attachments that could not be deleted stay recorded for the runtime's DEL`];
    return new CniError(error.code, error.msg, { details: details.filter((d) => d !== undefined).join('; '), cause: error });
  }

  private deleteRun(request: NetworkRequest, log: Logger): DeleteRun {
    return new DeleteRun(this.registry, request, log);
  }

  /** Removes the entry when nothing is left to delete, else records what was deleted. */
  private async settle(key: CacheKey, outcome: DeleteOutcome): Promise<void> {
    if (outcome.failures.length === 0) await this.cache.remove(key);
    else await this.cache.save(key, outcome.entry);
  }

  /** An ADD for a container whose earlier attachments were never deleted: delete them first. */
  private async clearStale(key: CacheKey, request: NetworkRequest, log: Logger): Promise<void> {
    const stale = await this.loadForDelete(key, log);
    if (stale === undefined) return;
    log.warn({ dir: key.dir }, 'ADD found attachments of an earlier ADD without DEL; deleting them first');
    const outcome = await this.deleteRun(request, log).run(stale, stale.attachments.length - 1);
    await this.settle(key, outcome);
    if (outcome.failures.length > 0) throw DeleteRun.aggregate(outcome.failures, 'DEL of the earlier ADD');
  }

  private async loadForDelete(key: CacheKey, log: Logger): Promise<CacheEntry | undefined> {
    return this.cache.load(key).catch((err: unknown) => {
      log.warn({ err: toCniError(err).msg, dir: key.dir }, 'cache entry unreadable; deleting from the config instead');
      return undefined;
    });
  }

  /** No record: DEL what the config names, best effort, so IPAM leases are released; never fails. */
  private async delWithoutCache(request: NetworkRequest, log: Logger): Promise<void> {
    let attachments: PreparedAttachment[];
    try {
      attachments = await this.prepare(request);
    } catch (err) {
      log.warn({ err: toCniError(err).msg }, 'DEL without a cache entry: config not usable, nothing deleted');
      return;
    }
    const binDirs = delegateBinDirs(request.config, request.env);
    const cniArgs = delegateCniArgs(request.env.args);
    for (const attachment of [...attachments].reverse()) {
      const env = delegateEnv(request.env, attachment.ifname, binDirs, cniArgs);
      await attachment.adapter.del({ conf: attachment.prepared, env, binDirs }).catch((err: unknown) => {
        const e = toCniError(err);
        log.warn({ network: attachment.network, type: attachment.type, code: e.code }, `DEL without a cache entry: ${e.msg}`);
      });
    }
  }
}
