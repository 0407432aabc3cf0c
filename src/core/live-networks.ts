import { inject, injectable } from 'inversify';
import { adaptersFor, type AdapterRegistry } from './adapter-registry';
import { addAttachment } from './attachment-add';
import { recordedAttachment, withState } from './cache-entry';
import { parseCniArgs, type CniEnv } from './cni-env';
import type { MultusConfig } from './config/multus-config';
import { delegateBinDirs, delegateCniArgs, delegateEnv } from './delegate-call';
import { attachmentFailure, runRecorded } from './delete-run';
import type { Planner } from './dry-run';
import { combineProblems, type PreparedAttachment } from './planner';
import { toCniError } from './errors';
import { isRecordPod, recordPod } from './reconcile';
import { networkStatus } from './network-status';
import type { NetworkRequest } from './plan';
import type { AdapterCatalog } from './ports/adapter-catalog';
import type { Clock } from './ports/clock';
import type { ContainerLock } from './ports/container-lock';
import type { KubeClientProvider, PodEvent, PodInfo } from './ports/kube-client';
import type { Logger } from './ports/logger';
import type { PluginVersions } from './ports/plugin-versions';
import type { CacheEntry, CacheKey, RecordedAttachment, ResultCache } from './ports/result-cache';
import type { StatusReporter } from './ports/status-reporter';
import { parseResult } from './result';
import { TOKENS } from './tokens';
import { verifyAttachments } from './verify';
import { negotiateVersions } from './version-negotiation';
import type { CniVersion } from './version';

/** What one pass over a pod did. */
export interface LiveOutcome {
  /** `no-record`: the pod has no sandbox record here; `busy`: its sandbox ADD is not complete. */
  readonly state: 'applied' | 'no-record' | 'busy';
  readonly attached: readonly string[];
  readonly detached: readonly string[];
  readonly failed: readonly string[];
}

/** The interface a selection key asks for (`ns/name@net5#0` → net5), if any. */
export function requestedInterface(selection: string): string | undefined {
  const at = selection.lastIndexOf('@');
  const name = selection.slice(at + 1, selection.lastIndexOf('#'));
  return at < 0 || name === '' ? undefined : name;
}

/** The first `net<n>` (n from `from`) not in `taken`. */
export function nextFreeName(taken: ReadonlySet<string>, from: number): string {
  let n = from;
  while (taken.has(`net${n}`)) n += 1;
  return `net${n}`;
}

/** The sandbox record of a pod among `entries`: its pod named in CNI_ARGS (and its UID when recorded), the newest. */
export function recordOfPod(entries: readonly CacheEntry[], pod: PodInfo): CacheEntry | undefined {
  const mine = entries.filter((e) => {
    const named = recordPod(e);
    return (
      named !== undefined && named.namespace === pod.namespace && named.name === pod.name && isRecordPod(named, pod)
    );
  });
  return mine.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

/**
 * Live networks: makes a running pod's interfaces follow its networks annotation. The pod's
 * plan is made again (the same source and planner as its ADD); entries of the annotation that
 * its record does not hold are attached, recorded ones no longer in the annotation detached.
 * Existing interfaces are never touched. Each attach is a transaction of its own: recorded
 * pending before its delegate runs, rolled back when it fails. Outcomes are pod events, and the
 * network-status annotation is rewritten to what the pod now has. Runs under the container's
 * lock, so it never overlaps the runtime's ADD or DEL of the same sandbox.
 */
@injectable()
export class LiveNetworks {
  constructor(
    @inject(TOKENS.AdapterCatalog) private readonly catalog: AdapterCatalog,
    @inject(TOKENS.Planner) private readonly planner: Planner,
    @inject(TOKENS.ResultCache) private readonly cache: ResultCache,
    @inject(TOKENS.PluginVersions) private readonly versions: PluginVersions,
    @inject(TOKENS.ContainerLock) private readonly lock: ContainerLock,
    @inject(TOKENS.StatusReporter) private readonly reporter: StatusReporter,
    @inject(TOKENS.KubeClientProvider) private readonly clients: KubeClientProvider,
    @inject(TOKENS.Clock) private readonly clock: Clock,
  ) {}

  /** Brings the pod's attachments in line with its annotation as the API has it now. */
  async apply(pod: PodInfo, config: MultusConfig, log: Logger): Promise<LiveOutcome> {
    const none = { attached: [], detached: [], failed: [] };
    const found = recordOfPod(await this.cache.list(config.cacheDir), pod);
    if (found === undefined) return { state: 'no-record', ...none };
    const key: CacheKey = { dir: config.cacheDir, containerId: found.containerId, ifname: found.ifname };
    const held = await this.lock.acquire(key, config.delegateTimeoutMs);
    try {
      const entry = await this.cache.load(key);
      if (entry === undefined) return { state: 'no-record', ...none };
      const deps: LiveDeps = {
        catalog: this.catalog,
        planner: this.planner,
        cache: this.cache,
        versions: this.versions,
        reporter: this.reporter,
        clients: this.clients,
        clock: this.clock,
      };
      // Delegates started are noted in the lock: should this daemon die mid-attach, the next holder kills them.
      const onSpawn = (pid: number): void => held.noteChild(pid);
      return await new LivePass(deps, { key, entry, pod, config, log, onSpawn }).run();
    } finally {
      await held.release();
    }
  }
}

/** What a pass uses of the service. */
interface LiveDeps {
  readonly catalog: AdapterCatalog;
  readonly planner: Planner;
  readonly cache: ResultCache;
  readonly versions: PluginVersions;
  readonly reporter: StatusReporter;
  readonly clients: KubeClientProvider;
  readonly clock: Clock;
}

interface PassInput {
  readonly key: CacheKey;
  readonly entry: CacheEntry;
  readonly pod: PodInfo;
  readonly config: MultusConfig;
  readonly log: Logger;
  readonly onSpawn: (pid: number) => void;
}

/** One pass over one pod, under its lock: the record as it goes, and what was done. */
class LivePass {
  private entry: CacheEntry;
  private readonly request: NetworkRequest;
  private readonly attached: string[] = [];
  private readonly detached: string[] = [];
  private readonly failed: string[] = [];

  constructor(
    private readonly deps: LiveDeps,
    private readonly input: PassInput,
  ) {
    this.entry = input.entry;
    const env: CniEnv = {
      command: 'ADD',
      containerId: input.entry.containerId,
      netns: input.entry.netns,
      ifname: input.entry.ifname,
      args: parseCniArgs(input.entry.cniArgs),
      path: (input.entry.cniPath ?? '').split(':').filter((p) => p !== ''),
    };
    this.request = { env, config: input.config, onSpawn: input.onSpawn };
  }

  async run(): Promise<LiveOutcome> {
    const adapters = await adaptersFor(this.deps.catalog, this.request, this.input.log);
    await this.rollBackInterrupted(adapters);
    if (this.entry.attachments.some((a) => !a.hotplug && a.state !== 'added')) return this.outcome('busy');
    const plan = await this.deps.planner.dryRun(this.request, adapters);
    if (plan.problems.length > 0) {
      const error = combineProblems(plan.problems.map((p) => p.error));
      await this.event('Warning', 'AttachFailed', `the networks annotation cannot be applied: ${error.msg}`);
      this.failed.push('(annotation)');
      return this.outcome('applied');
    }
    await this.refuseMasterChange(plan.attachments);
    const wanted = plan.attachments.filter((a) => a.selection !== undefined && !a.master);
    const keys = new Set(wanted.map((a) => a.selection));
    const current = this.entry.attachments.filter((a) => a.selection !== undefined && a.state === 'added');
    for (const gone of [...current].reverse().filter((a) => !keys.has(a.selection))) await this.detach(gone, adapters);
    const held = new Set(current.map((a) => a.selection));
    for (const added of wanted.filter((a) => !held.has(a.selection))) await this.attach(added);
    if (this.attached.length + this.detached.length > 0) await this.publishStatus();
    return this.outcome('applied');
  }

  private outcome(state: LiveOutcome['state']): LiveOutcome {
    return { state, attached: this.attached, detached: this.detached, failed: this.failed };
  }

  /** Attachments a pass left pending (the daemon stopped mid-attach) are deleted and dropped. */
  private async rollBackInterrupted(adapters: AdapterRegistry): Promise<void> {
    for (const a of this.entry.attachments.filter((x) => x.hotplug === true && x.state === 'pending')) {
      await runRecorded(adapters, this.requestFor(a.ifname), a, 'DEL').catch((err: unknown) =>
        this.input.log.warn(
          { ifname: a.ifname, reason: toCniError(err).msg },
          'live networks: DEL of an interrupted attach failed',
        ),
      );
      await this.save(this.without(a.index));
      this.input.log.info({ ifname: a.ifname, network: a.network }, 'live networks: rolled back an interrupted attach');
    }
  }

  /** A pod whose default network is no longer the one it runs with needs the runtime: told, not done. */
  private async refuseMasterChange(planned: readonly PreparedAttachment[]): Promise<void> {
    const now = planned.find((a) => a.master);
    const was = this.entry.attachments.find((a) => a.master);
    if (now === undefined || was === undefined) return;
    const name = (a: { statusName?: string; network: string }): string => a.statusName ?? a.network;
    if (name(now) === name(was)) return;
    await this.event(
      'Warning',
      'NetworkChangeRefused',
      `the pod's default network is now ${name(now)}, but it runs on ${name(was)}: changing it needs the ` +
        'runtime (recreate the pod); the other networks were applied',
    );
  }

  private async detach(recorded: RecordedAttachment, adapters: AdapterRegistry): Promise<void> {
    try {
      await runRecorded(adapters, this.requestFor(recorded.ifname), recorded, 'DEL');
    } catch (err) {
      const failure = attachmentFailure(recorded, 'DEL', toCniError(err));
      this.failed.push(recorded.ifname);
      await this.event('Warning', 'DetachFailed', `${failure.msg}; the interface stays recorded`);
      return;
    }
    await this.save(this.without(recorded.index));
    this.detached.push(recorded.ifname);
    await this.event(
      'Normal',
      'RemovedInterface',
      `Remove ${recorded.ifname} from ${recorded.statusName ?? recorded.network}`,
    );
  }

  /** One new attachment: named, checked, recorded pending, added; rolled back and reported when it fails. */
  private async attach(planned: PreparedAttachment): Promise<void> {
    const taken = new Set(this.entry.attachments.map((a) => a.ifname));
    const asked = requestedInterface(planned.selection as string);
    const from = `${planned.statusName ?? planned.network} (${planned.origin})`;
    if (asked !== undefined && taken.has(asked)) {
      this.failed.push(asked);
      await this.event('Warning', 'AttachFailed', `${from}: interface ${asked} is already in the pod`);
      return;
    }
    const ifname = asked ?? nextFreeName(taken, this.input.config.ifnameIndexFrom);
    if ((planned.defaultRoute ?? []).length > 0) {
      this.failed.push(ifname);
      await this.event(
        'Warning',
        'AttachFailed',
        `${from}: default-route needs the runtime (the pod's routes are set at its ADD)`,
      );
      return;
    }
    const index = Math.max(-1, ...this.entry.attachments.map((a) => a.index)) + 1;
    const binDirs = delegateBinDirs(this.input.config, this.request.env);
    const env = delegateEnv(this.request.env, ifname, binDirs, delegateCniArgs(this.request.env.args));
    try {
      const [attachment] = await negotiateVersions([{ ...planned, ifname, index, env }], {
        versions: this.deps.versions,
        request: this.request,
        binDirs,
      });
      const ready = attachment as PreparedAttachment;
      await verifyAttachments([ready], this.request.env.netns);
      await this.save({
        ...this.entry,
        attachments: [...this.entry.attachments, recordedAttachment(ready, { hotplug: true })],
      });
      const result = await addAttachment(ready, this.request, binDirs).catch(async (err: unknown) => {
        await this.rollBack(index);
        throw err;
      });
      await this.save(withState(this.entry, index, 'added', result.toJSON()));
      this.attached.push(ifname);
      const ips = (result.toJSON()['ips'] as Array<{ address?: string }> | undefined) ?? [];
      const shown = ips.map((ip) => ip.address ?? '').join(', ');
      await this.event(
        'Normal',
        'AddedInterface',
        `Add ${ifname} [${shown}] from ${planned.statusName ?? planned.network}`,
      );
    } catch (err) {
      const failure = attachmentFailure({ ...planned, ifname }, 'ADD', toCniError(err));
      this.failed.push(ifname);
      await this.event('Warning', 'AttachFailed', `${failure.msg}; the pod keeps what it had`);
    }
  }

  /** DEL of a failed attach, then its record entry dropped (its DEL failing is logged: it may have made nothing). */
  private async rollBack(index: number): Promise<void> {
    const recorded = this.entry.attachments.find((a) => a.index === index);
    if (recorded === undefined) return;
    const adapters = await adaptersFor(this.deps.catalog, this.request, this.input.log);
    await runRecorded(adapters, this.requestFor(recorded.ifname), recorded, 'DEL').catch((err: unknown) =>
      this.input.log.warn(
        { ifname: recorded.ifname, reason: toCniError(err).msg },
        'live networks: rollback DEL failed',
      ),
    );
    await this.save(this.without(index));
  }

  /** network-status of every attachment the pod has now, in order. */
  private async publishStatus(): Promise<void> {
    const statuses = this.entry.attachments
      .filter((a) => a.state === 'added' && a.result !== undefined && a.auxiliary !== true)
      .map((a) => networkStatus(a, parseResult(a.result, a.cniVersion as CniVersion, a.origin)));
    const { namespace, name } = this.input.pod;
    await this.deps.reporter
      .report(this.request, { namespace, name }, statuses, this.input.log)
      .catch((err: unknown) =>
        this.input.log.warn({ reason: toCniError(err).msg }, 'live networks: network-status not written'),
      );
  }

  private requestFor(ifname: string): NetworkRequest {
    return { ...this.request, env: { ...this.request.env, command: 'DEL', ifname } };
  }

  private without(index: number): CacheEntry {
    return { ...this.entry, attachments: this.entry.attachments.filter((a) => a.index !== index) };
  }

  private async save(entry: CacheEntry): Promise<void> {
    this.entry = entry;
    await this.deps.cache.save(this.input.key, entry);
  }

  /** A pod event, and the same line in the log; an event that cannot be written is logged only. */
  private async event(type: PodEvent['type'], reason: string, message: string): Promise<void> {
    const { pod, config, log } = this.input;
    log[type === 'Normal' ? 'info' : 'warn']({ pod: `${pod.namespace}/${pod.name}`, reason }, message);
    if (config.kubeconfig === undefined) return;
    try {
      const client = await this.deps.clients.get(config.kubeconfig);
      await client.createPodEvent(pod, { type, reason, message }, this.deps.clock.now());
    } catch (err) {
      log.warn({ reason: toCniError(err).msg }, `live networks: event ${reason} not written`);
    }
  }
}
