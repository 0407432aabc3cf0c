import { inject, injectable } from 'inversify';
import { adaptersFor } from './adapter-registry';
import { parseCniArgs, type CniEnv } from './cni-env';
import { collectRecord } from './collect-record';
import { toCniError } from './errors';
import type { NetworkRequest } from './plan';
import type { AdapterCatalog } from './ports/adapter-catalog';
import type { Clock } from './ports/clock';
import type { ContainerLock } from './ports/container-lock';
import type { FileProbe } from './ports/file-probe';
import type { Logger } from './ports/logger';
import type { NodePods } from './ports/node-pods';
import type { CacheEntry, ResultCache } from './ports/result-cache';
import {
  judgeRecord,
  podName,
  recordPod,
  reportOf,
  type ReconcileReport,
  type ReconcileSettings,
  type RecordReport,
  type Verdict,
} from './reconcile';
import { TOKENS } from './tokens';

/** Where a reconcile's delegates are looked for after the config's binDir: no runtime gives a CNI_PATH. */
export const RECONCILE_CNI_PATH: readonly string[] = ['/opt/cni/bin'];

/**
 * The daemon's reconcile of its records with its node's pods. {@link pass} judges every record
 * of the cache dir and deletes, as its DEL would, those whose pod has been gone for the grace
 * period and whose netns is gone; {@link review} says what a pass would do, changing nothing.
 * When a pod was first seen gone is kept here, in memory, for the life of the daemon: a restart
 * starts each grace period again, which only delays a delete.
 */
@injectable()
export class Reconciler {
  /** When a pass first saw each record's pod gone, by `containerId/ifname`. */
  private readonly goneSince = new Map<string, Date>();

  constructor(
    @inject(TOKENS.ResultCache) private readonly cache: ResultCache,
    @inject(TOKENS.NodePods) private readonly pods: NodePods,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.FileProbe) private readonly probe: FileProbe,
    @inject(TOKENS.ContainerLock) private readonly lock: ContainerLock,
    @inject(TOKENS.AdapterCatalog) private readonly catalog: AdapterCatalog,
  ) {}

  /** What a pass would do now, without doing it or starting any grace period. */
  async review(settings: ReconcileSettings): Promise<ReconcileReport> {
    const synced = this.pods.synced();
    const entries = await this.cache.list(settings.config.cacheDir);
    const records: RecordReport[] = [];
    for (const entry of entries) records.push(await this.judge(entry, synced, settings, false));
    return this.report(settings, synced, records);
  }

  /**
   * One pass: nothing at all while the pod cache is not synced; otherwise every record judged,
   * logged, and deleted when its verdict says so (only reported with `dryRun`). A record whose
   * DEL fails is kept with its attachments' new states, and tried again at the next pass. Once
   * `signal` is aborted (the daemon stops), no further record is deleted.
   */
  async pass(settings: ReconcileSettings, log: Logger, signal?: AbortSignal): Promise<ReconcileReport> {
    if (!this.pods.synced()) {
      log.debug({ reason: 'not_synced' }, 'reconcile skipped: the pod cache is not synced');
      return this.report(settings, false, []);
    }
    const entries = await this.cache.list(settings.config.cacheDir);
    this.forgetAllBut(entries);
    const records: RecordReport[] = [];
    for (const entry of entries) {
      const judged = await this.judge(entry, true, settings, true);
      const done =
        judged.action === 'delete' && signal?.aborted !== true ? await this.act(entry, judged, settings, log) : judged;
      logRecord(log, done);
      records.push(done);
    }
    return this.report(settings, true, records);
  }

  private async judge(
    entry: CacheEntry,
    synced: boolean,
    settings: ReconcileSettings,
    observe: boolean,
  ): Promise<RecordReport> {
    const pod = recordPod(entry);
    const found = pod === undefined ? undefined : this.pods.get(pod.namespace, pod.name);
    const facts = { synced, pod, found, goneForMs: 0, netnsExists: false, netns: entry.netns };
    let verdict: Verdict = judgeRecord(facts, settings.graceMs);
    if (verdict.reason === 'not_synced' || verdict.reason === 'no_pod' || verdict.reason === 'pod_present') {
      if (observe) this.goneSince.delete(keyOf(entry));
      return reportOf(entry, verdict, undefined);
    }
    const now = this.clock.now();
    let since = this.goneSince.get(keyOf(entry));
    if (since === undefined && observe) this.goneSince.set(keyOf(entry), (since = now));
    const goneForMs = since === undefined ? 0 : now.getTime() - since.getTime();
    const netnsExists = entry.netns !== '' && (await this.probe.exists(entry.netns));
    verdict = judgeRecord({ ...facts, goneForMs, netnsExists }, settings.graceMs);
    return reportOf(entry, verdict, since);
  }

  /** Deletes one record as its DEL would (or only says it would, with dryRun). */
  private async act(
    entry: CacheEntry,
    judged: RecordReport,
    settings: ReconcileSettings,
    log: Logger,
  ): Promise<RecordReport> {
    if (settings.dryRun) return { ...judged, outcome: 'would_delete' };
    const request = reconcileRequest(settings);
    const pod = judged.pod === undefined ? {} : { pod: podName(judged.pod) };
    const recordLog = log.child({ containerId: entry.containerId, ifname: entry.ifname, ...pod });
    const ports = { cache: this.cache, lock: this.lock, probe: this.probe };
    try {
      const adapters = await adaptersFor(this.catalog, request, recordLog);
      await collectRecord(ports, request, adapters, entry, recordLog, 'reconcile');
      this.goneSince.delete(keyOf(entry));
      return { ...judged, outcome: 'deleted' };
    } catch (err) {
      const error = toCniError(err);
      return { ...judged, outcome: 'failed', error: { code: error.code, msg: error.msg } };
    }
  }

  /** Forgets when the pods of records no longer in the cache dir went. */
  private forgetAllBut(entries: readonly CacheEntry[]): void {
    const listed = new Set(entries.map(keyOf));
    for (const key of [...this.goneSince.keys()]) if (!listed.has(key)) this.goneSince.delete(key);
  }

  private report(settings: ReconcileSettings, synced: boolean, records: RecordReport[]): ReconcileReport {
    return {
      at: this.clock.now().toISOString(),
      synced,
      dryRun: settings.dryRun,
      graceSeconds: settings.graceMs / 1000,
      cacheDir: settings.config.cacheDir,
      records,
    };
  }
}

function keyOf(entry: CacheEntry): string {
  return `${entry.containerId}/${entry.ifname}`;
}

/** The DEL a reconcile sends: the record fills in the container, interface, netns and CNI_ARGS. */
function reconcileRequest(settings: ReconcileSettings): NetworkRequest {
  const env: CniEnv = {
    command: 'DEL',
    containerId: '',
    netns: '',
    ifname: '',
    args: parseCniArgs(''),
    path: RECONCILE_CNI_PATH,
  };
  return { env, config: settings.config };
}

/**
 * One log line per record: a delete (done, failed, or one a dry run would do) at warn, as the
 * daemon's default level shows it: it means the runtime never sent the pod's DEL. Why a record
 * was kept, at debug.
 */
function logRecord(log: Logger, record: RecordReport): void {
  const fields = {
    containerId: record.containerId,
    ifname: record.ifname,
    ...(record.pod === undefined ? {} : { pod: podName(record.pod), podUid: record.pod.uid }),
    reason: record.outcome,
    ...(record.error === undefined ? {} : { code: record.error.code }),
  };
  if (record.outcome === 'failed')
    log.warn(fields, `reconcile: delete failed (${record.why}): ${record.error?.msg ?? ''}`);
  else if (record.outcome === 'deleted') log.warn(fields, `reconcile: record deleted: ${record.why}`);
  else if (record.outcome === 'would_delete') log.warn(fields, `reconcile (dry run): would delete: ${record.why}`);
  else log.debug(fields, `reconcile: record kept: ${record.why}`);
}
