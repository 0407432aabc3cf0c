import { inject, injectable } from 'inversify';
import { adaptersFor, type AdapterRegistry } from './adapter-registry';
import { masterResult } from './aggregator';
import { cacheKey, newCacheEntry, withState, type EntryContext } from './cache-entry';
import { defaultRouteRequests, masterDefaultRoutes, withOwnDefaultRoutes, withoutDefaultRoutes } from './default-route';
import { delegateBinDirs, delegateCniArgs } from './delegate-call';
import { attachmentFailure, DeleteRun, runRecorded, type DeleteOutcome } from './delete-run';
import { addAttachment, cancelled } from './attachment-add';
import { noteMissingChain } from './auxiliary-chain';
import { AttachmentFailed, runAttachments } from './attachment-runner';
import { CniCode, CniError, toCniError } from './errors';
import { isHostNetns } from './host-netns';
import { networkStatus } from './network-status';
import { publishNetworkStatus } from './status-publish';
import type { NetworkRequest, PodRef } from './plan';
import type { Planner } from './dry-run';
import type { PreparedAttachment } from './planner';
import type { AdapterCatalog } from './ports/adapter-catalog';
import type { Clock } from './ports/clock';
import type { ContainerLock } from './ports/container-lock';
import type { FileProbe } from './ports/file-probe';
import type { Logger } from './ports/logger';
import type { PluginVersions } from './ports/plugin-versions';
import type { PodRoutes } from './ports/pod-routes';
import type { CacheEntry, CacheKey, ResultCache } from './ports/result-cache';
import type { StatusReporter } from './ports/status-reporter';
import type { CniResult } from './result';
import { TOKENS } from './tokens';
import { verifyAttachments } from './verify';
import { negotiateVersions } from './version-negotiation';
import { versionAtLeast } from './version';

/** What a rollback needs to know about the ADD that failed. */
interface Rollback {
  readonly key: CacheKey;
  readonly entry: CacheEntry;
  /** The attachment that failed; undefined when the ADD failed after every delegate ran. */
  readonly failed?: PreparedAttachment;
  readonly cause: CniError;
  /** Parallel ADD: attachments after the failed one may have been made too. */
  readonly all?: boolean;
}

/** The plan made runnable, with the adapters the request's config can use. */
interface Prepared {
  readonly attachments: readonly PreparedAttachment[];
  readonly pod: PodRef | undefined;
  readonly adapters: AdapterRegistry;
}

/**
 * Runs a pod's attachments. ADD is transactional: the cache is written before the first
 * delegate runs and after each success; a failure deletes what was made, in reverse, and
 * leaves nothing behind. DEL and CHECK work from the cache, so they need neither the config's
 * delegates nor the API.
 */
@injectable()
export class Orchestrator {
  constructor(
    @inject(TOKENS.AdapterCatalog) private readonly catalog: AdapterCatalog,
    @inject(TOKENS.Planner) private readonly planner: Planner,
    @inject(TOKENS.ResultCache) private readonly cache: ResultCache,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.PluginVersions) private readonly versions: PluginVersions,
    @inject(TOKENS.FileProbe) private readonly probe: FileProbe,
    @inject(TOKENS.PodRoutes) private readonly podRoutes: PodRoutes,
    @inject(TOKENS.StatusReporter) private readonly reporter: StatusReporter,
    @inject(TOKENS.ContainerLock) private readonly lock: ContainerLock,
  ) {}

  /** ADD: returns the master's result in the multus config's cniVersion. */
  async add(request: NetworkRequest, log: Logger): Promise<Record<string, unknown>> {
    await this.refuseHostNetns(request);
    const prepared = await this.prepare(request, 'ADD', await adaptersFor(this.catalog, request, log), log);
    return this.locked(request, (r) => this.addLocked(r, prepared, log));
  }

  /**
   * DEL: from the cache in reverse; without a cache, a best-effort DEL of the configured
   * delegates. A CNI_NETNS that is the host's own is not passed on: the delegates get an empty
   * one (release what you hold, touch no interface), so no DEL ever targets the node's links.
   */
  async del(request: NetworkRequest, log: Logger): Promise<void> {
    let safe = request;
    if (await isHostNetns(this.probe, request.env.netns)) {
      log.warn(
        { netns: request.env.netns },
        "DEL: CNI_NETNS is the host's own network namespace; delegates get an empty CNI_NETNS",
      );
      safe = { ...request, env: { ...request.env, netns: '' } };
    }
    const adapters = await adaptersFor(this.catalog, safe, log);
    return this.locked(safe, (r) => this.delLocked(r, log, adapters));
  }

  /** CHECK: each added attachment's delegates CHECK with its cached result; stops at the first failure. */
  async check(request: NetworkRequest, log: Logger): Promise<void> {
    await this.refuseHostNetns(request);
    // Read-only: without a record, answer before the lock would create the cache dir.
    await this.recordToCheck(request);
    const adapters = await adaptersFor(this.catalog, request, log);
    return this.locked(request, (r) => this.checkLocked(r, adapters, log));
  }

  /** The record CHECK works from; none is code 3. */
  private async recordToCheck(request: NetworkRequest): Promise<CacheEntry> {
    const key = cacheKey(request);
    const entry = await this.cache.load(key);
    if (entry === undefined) {
      throw new CniError(
        CniCode.UnknownContainer,
        `no attachments recorded for container ${key.containerId} interface ${key.ifname} in ${key.dir}`,
      );
    }
    return entry;
  }

  /** ADD and CHECK never run a delegate in the host's own network namespace (code 4). */
  private async refuseHostNetns(request: NetworkRequest): Promise<void> {
    if (!(await isHostNetns(this.probe, request.env.netns))) return;
    throw new CniError(
      CniCode.InvalidEnvironment,
      `CNI_NETNS: ${request.env.netns} is the host's own network namespace (the one multus runs in); refusing ` +
        `to ${request.env.command} pod interfaces there`,
    );
  }

  /** Runs `work` holding the container's lock; delegates started meanwhile are recorded in it. */
  private async locked<T>(request: NetworkRequest, work: (r: NetworkRequest) => Promise<T>): Promise<T> {
    const held = await this.lock.acquire(cacheKey(request), request.config.delegateTimeoutMs);
    try {
      return await work({ ...request, onSpawn: (pid) => held.noteChild(pid) });
    } finally {
      await held.release();
    }
  }

  private async addLocked(
    request: NetworkRequest,
    { attachments, pod, adapters }: Prepared,
    log: Logger,
  ): Promise<Record<string, unknown>> {
    const key = cacheKey(request);
    await this.clearStale(key, request, log, adapters);
    const ctx = this.entryContext(request);
    let entry = newCacheEntry(ctx, attachments);
    await this.cache.save(key, entry);
    const results: CniResult[] = [];
    // Records are saved one at a time, in completion order, even when attachments run in parallel.
    let saving = Promise.resolve();
    const addAndRecord = async (attachment: PreparedAttachment, signal: AbortSignal | undefined): Promise<void> => {
      // The auxiliary chain starts from the master's result (it runs after the master, even in parallel).
      const prev = attachment.auxiliary === true ? results[attachments.findIndex((a) => a.master)] : undefined;
      const result = await addAttachment(attachment, { ...request, signal }, ctx.binDirs, prev);
      results[attachment.index] = result;
      saving = saving.then(() => {
        entry = withState(entry, attachment.index, 'added', result.toJSON());
        return this.cache.save(key, entry);
      });
      await saving;
      log.debug(
        { network: attachment.network, interface: attachment.ifname, type: attachment.type },
        'attachment added',
      );
    };
    const parallel = request.config.parallelDelegates;
    try {
      await runAttachments(attachments, parallel, addAndRecord, request.signal);
    } catch (err) {
      const failed =
        err instanceof AttachmentFailed ? err : new AttachmentFailed(attachments[0] as PreparedAttachment, err);
      // A stop (SIGTERM) that killed a running delegate is the stop's error, not the delegate's.
      const cause = request.signal?.aborted === true ? cancelled(request.signal) : toCniError(failed.error);
      // In parallel, attachments after the failed one may have been made too: roll back all.
      throw await this.rollback(
        { key, entry, failed: failed.attachment, cause, all: parallel },
        request,
        log,
        adapters,
      );
    }
    try {
      return await this.finish(request, attachments, results, pod, log);
    } catch (err) {
      throw await this.rollback({ key, entry, cause: toCniError(err) }, request, log, adapters);
    }
  }

  private async delLocked(request: NetworkRequest, log: Logger, adapters: AdapterRegistry): Promise<void> {
    const key = cacheKey(request);
    const entry = await this.loadForDelete(key, log);
    if (entry === undefined) {
      // Nothing recorded and a config that cannot say what to delete: its problem is the answer.
      if (request.configProblem !== undefined) throw request.configProblem;
      await this.delWithoutCache(request, log, adapters);
      return;
    }
    const outcome = await new DeleteRun(adapters, request, log).run(entry, entry.attachments.length - 1);
    await this.settle(key, outcome);
    if (outcome.failures.length > 0) throw DeleteRun.aggregate(outcome.failures, 'DEL');
  }

  private async checkLocked(request: NetworkRequest, adapters: AdapterRegistry, log: Logger): Promise<void> {
    const entry = await this.recordToCheck(request);
    for (const cached of entry.attachments) {
      if (cached.state !== 'added' || cached.result === undefined) {
        throw attachmentFailure(
          cached,
          'CHECK',
          new CniError(CniCode.UnknownContainer, `its ADD did not complete (state ${cached.state})`),
        );
      }
      if (!versionAtLeast(cached.cniVersion, '0.4.0')) {
        log.debug(
          { network: cached.network, cniVersion: cached.cniVersion },
          'CHECK skipped: delegate config is older than 0.4.0',
        );
        continue;
      }
      try {
        await runRecorded(adapters, request, cached, 'CHECK');
      } catch (err) {
        throw attachmentFailure(cached, 'CHECK', toCniError(err));
      }
    }
  }

  /**
   * The plan, made runnable: attachments named and checked, each one's CNI version settled with
   * its plugins, and, for an ADD, every delegate's host checks passed; all before anything runs.
   */
  private async prepare(
    request: NetworkRequest,
    command: 'ADD' | 'DEL',
    adapters: AdapterRegistry,
    log: Logger,
  ): Promise<Prepared> {
    const { attachments: planned, pod } = await this.planner.plan(request, adapters);
    const binDirs = delegateBinDirs(request.config, request.env);
    const attachments = await negotiateVersions(planned, {
      versions: this.versions,
      request,
      binDirs,
      bestEffort: command === 'DEL',
    });
    if (command === 'ADD') await verifyAttachments(attachments, request.env.netns);
    noteMissingChain(request, attachments, log);
    return { attachments, pod, adapters };
  }

  private entryContext(request: NetworkRequest): EntryContext {
    const binDirs = delegateBinDirs(request.config, request.env);
    return { request, binDirs, cniArgs: delegateCniArgs(request.env.args), now: this.clock.now() };
  }

  /**
   * After every attachment is up: default routes requested by the selection, and by the seed's
   * rule the master's (masterDefaultRoute), are set in the pod, added to the owner's result and
   * dropped from the other attachments' results; the network-status is published, and the
   * master's result is returned.
   */
  private async finish(
    request: NetworkRequest,
    attachments: readonly PreparedAttachment[],
    results: readonly CniResult[],
    pod: PodRef | undefined,
    log: Logger,
  ): Promise<Record<string, unknown>> {
    const requested = defaultRouteRequests(attachments);
    const claimed = new Set(requested.map((r) => r.family));
    // The auxiliary chain's result repeats the master's routes: it is not "another attachment" here.
    const own = attachments.flatMap((a, i) => (a.auxiliary === true ? [] : [{ a, r: results[i] as CniResult }]));
    const routes = request.config.masterDefaultRoute
      ? [
          ...requested,
          ...masterDefaultRoutes(
            own.map((o) => o.a),
            own.map((o) => o.r),
            claimed,
          ),
        ]
      : requested;
    for (const route of routes) {
      await this.podRoutes.setDefaultRoute(request.env.netns, route.ifname, route.gateway);
    }
    const adjusted = results.map((result, i) => {
      const a = attachments[i] as PreparedAttachment;
      const where = `result of ${a.origin}`;
      const foreign = new Set(routes.filter((r) => r.ifname !== a.ifname).map((r) => r.family));
      return withOwnDefaultRoutes(
        withoutDefaultRoutes(result, foreign, where),
        routes.filter((r) => r.ifname === a.ifname),
        where,
      );
    });
    if (pod !== undefined) {
      // The auxiliary chain makes no interface of its own: network-status shows the master's once.
      const statuses = attachments.flatMap((a, i) =>
        a.auxiliary === true ? [] : [networkStatus(a, adjusted[i] as CniResult)],
      );
      await publishNetworkStatus(this.reporter, request, pod, statuses, log);
    }
    return masterResult(attachments, adjusted, request.config.cniVersion);
  }

  /** Deletes attachments 0..failed (all, for a parallel ADD) in reverse after an ADD failure; returns the error. */
  private async rollback(
    { key, entry, failed, cause, all = false }: Rollback,
    request: NetworkRequest,
    log: Logger,
    adapters: AdapterRegistry,
  ): Promise<CniError> {
    const upTo = all || failed === undefined ? entry.attachments.length - 1 : failed.index;
    const error = failed === undefined ? cause : attachmentFailure(failed, 'ADD', cause);
    log.warn({ code: error.code, network: failed?.network, type: failed?.type }, 'ADD failed; rolling back');
    const outcome = await new DeleteRun(adapters, request, log).run(entry, upTo);
    await this.settle(key, outcome).catch((err: unknown) =>
      outcome.failures.push(toCniError(err, 'removing the cache entry')),
    );
    if (outcome.failures.length === 0) return error;
    const rollback = DeleteRun.aggregate(outcome.failures, 'rollback DEL');
    const details = [
      error.details,
      `${rollback.msg}; the attachments that could not be deleted stay recorded for the runtime's DEL`,
    ];
    return new CniError(error.code, error.msg, {
      details: details.filter((d) => d !== undefined).join('; '),
      cause: error,
    });
  }

  /** Removes the entry when nothing is left to delete, else records what was deleted. */
  private async settle(key: CacheKey, outcome: DeleteOutcome): Promise<void> {
    if (outcome.failures.length === 0) await this.cache.remove(key);
    else await this.cache.save(key, outcome.entry);
  }

  /** An ADD for a container whose earlier attachments were never deleted: delete them first. */
  private async clearStale(
    key: CacheKey,
    request: NetworkRequest,
    log: Logger,
    adapters: AdapterRegistry,
  ): Promise<void> {
    const stale = await this.loadForDelete(key, log);
    if (stale === undefined) return;
    log.warn({ dir: key.dir }, 'ADD found attachments of an earlier ADD without DEL; deleting them first');
    const outcome = await new DeleteRun(adapters, request, log).run(stale, stale.attachments.length - 1);
    await this.settle(key, outcome);
    if (outcome.failures.length > 0) throw DeleteRun.aggregate(outcome.failures, 'DEL of the earlier ADD');
  }

  private async loadForDelete(key: CacheKey, log: Logger): Promise<CacheEntry | undefined> {
    return this.cache.load(key).catch((err: unknown) => {
      log.warn({ err: toCniError(err).msg, dir: key.dir }, 'cache entry unreadable; deleting from the config instead');
      return undefined;
    });
  }

  /**
   * No record: DEL what the config (or the API) names, best effort, so IPAM leases are released;
   * never fails. Every attachment counts as unfinished, so its DEL errors are logged only. An
   * interface another record of this container holds (an ADD under another CNI_IFNAME) is
   * that record's: it is skipped, and so is its lease.
   */
  private async delWithoutCache(request: NetworkRequest, log: Logger, adapters: AdapterRegistry): Promise<void> {
    let prepared: Prepared;
    try {
      prepared = await this.prepare(request, 'DEL', adapters, log);
    } catch (err) {
      log.warn({ err: toCniError(err).msg }, 'DEL without a cache entry: networks not resolvable, nothing deleted');
      return;
    }
    const others = await this.cache.list(request.config.cacheDir, request.env.containerId).catch(() => []);
    const taken = new Set(others.flatMap((e) => e.attachments.map((a) => a.ifname)));
    const mine = prepared.attachments.filter((a) => !taken.has(a.ifname));
    if (mine.length < prepared.attachments.length) {
      const skipped = prepared.attachments.filter((a) => taken.has(a.ifname)).map((a) => `${a.ifname} (${a.origin})`);
      const records = others.map((e) => e.ifname).join(', ');
      log.info(
        { skipped, records },
        `DEL without a record of its own: skipped interfaces that the container's records under CNI_IFNAME ` +
          `${records} hold`,
      );
    }
    const entry = newCacheEntry(this.entryContext(request), mine);
    await new DeleteRun(adapters, request, log).run(entry, Number.MAX_SAFE_INTEGER);
  }
}
