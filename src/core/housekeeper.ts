import { inject, injectable } from 'inversify';
import { adaptersFor, type AdapterRegistry } from './adapter-registry';
import { collectRecord } from './collect-record';
import { delegateBinDirs, delegateEnv, delegateInvocation } from './delegate-call';
import { expandPlugins, type PluginConf } from './delegate-conf';
import { attachmentFailure, DeleteRun } from './delete-run';
import { CniCode, CniError, toCniError } from './errors';
import type { DelegateConf, NetworkRequest } from './plan';
import type { AdapterCatalog } from './ports/adapter-catalog';
import type { Clock } from './ports/clock';
import type { ContainerLock } from './ports/container-lock';
import type { FileProbe } from './ports/file-probe';
import type { Logger } from './ports/logger';
import type { PluginVersions } from './ports/plugin-versions';
import type { CacheEntry, ResultCache } from './ports/result-cache';
import { TOKENS } from './tokens';
import { answerFor, askVersions, highestCommonVersion } from './version-negotiation';
import { versionAtLeast } from './version';

/** GC and STATUS are CNI 1.1 commands: a plugin gets them only at this version or later. */
const HOUSEKEEPING_VERSION = '1.1.0';

/** The key libcni puts the runtime's list of live attachments under, on a GC call's config. */
export const VALID_ATTACHMENTS_KEY = 'cni.dev/valid-attachments';

const READINESS_POLL_MS = 250;

/** An entry of libcni's `cni.dev/valid-attachments` list: a container interface the runtime still uses. */
interface ValidAttachment {
  readonly containerID: string;
  readonly ifname: string;
}

function validAttachments(raw: Readonly<Record<string, unknown>>): ValidAttachment[] {
  const list = raw[VALID_ATTACHMENTS_KEY] ?? [];
  const ok =
    Array.isArray(list) &&
    list.every(
      (a: unknown) =>
        typeof a === 'object' &&
        a !== null &&
        'containerID' in a &&
        typeof a.containerID === 'string' &&
        'ifname' in a &&
        typeof a.ifname === 'string',
    );
  if (!ok)
    throw new CniError(
      CniCode.InvalidConfig,
      `${VALID_ATTACHMENTS_KEY}: must be a list of {"containerID", "ifname"} objects`,
    );
  return list as ValidAttachment[];
}

/**
 * The CNI 1.1 housekeeping commands and the readiness gate. GC deletes every recorded
 * attachment the runtime no longer lists, then lets delegates that speak 1.1 collect their own
 * garbage; STATUS says whether an ADD could succeed now.
 */
@injectable()
export class Housekeeper {
  constructor(
    @inject(TOKENS.AdapterCatalog) private readonly catalog: AdapterCatalog,
    @inject(TOKENS.ResultCache) private readonly cache: ResultCache,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.FileProbe) private readonly probe: FileProbe,
    @inject(TOKENS.PluginVersions) private readonly versions: PluginVersions,
    @inject(TOKENS.ContainerLock) private readonly lock: ContainerLock,
  ) {}

  /** Waits (bounded by readinessTimeoutSeconds) for the readiness indicator file; code 11 naming it. */
  async waitUntilReady(request: NetworkRequest): Promise<void> {
    const file = request.config.readinessFile;
    if (file === undefined) return;
    for (let waited = 0; !(await this.probe.exists(file)); waited += READINESS_POLL_MS) {
      if (waited >= request.config.readinessTimeoutMs) {
        const seconds = request.config.readinessTimeoutMs / 1000;
        throw new CniError(
          CniCode.TryAgainLater,
          `readiness indicator file ${file} did not appear within ${seconds} s: the cluster network is not ready`,
        );
      }
      await this.clock.sleep(READINESS_POLL_MS);
    }
  }

  /**
   * STATUS: code 50 while the readiness file is missing, else the first delegate STATUS failure.
   * Only plugins that speak CNI 1.1 (by their VERSION answer) are asked; the others are skipped.
   */
  async status(request: NetworkRequest, log: Logger): Promise<void> {
    const file = request.config.readinessFile;
    if (file !== undefined && !(await this.probe.exists(file))) {
      throw new CniError(
        CniCode.PluginNotAvailable,
        `readiness indicator file ${file} does not exist: the cluster network is not ready`,
      );
    }
    const adapters = await adaptersFor(this.catalog, request, log);
    for (const spec of request.config.delegates) {
      for (const plugin of expandPlugins(spec.conf, request.config, spec.path)) {
        const conf = await this.housekeepingConf(request, plugin, 'STATUS', log);
        if (conf === undefined) continue;
        await this.runOnDelegate(request, adapters, conf, plugin.origin, 'STATUS').catch((err: unknown) => {
          throw toCniError(err).withContext(`${plugin.origin} (type "${String(conf['type'])}") STATUS`);
        });
      }
    }
  }

  /**
   * The config to send a GC or STATUS with: at the plugin's highest version up to the multus
   * config's (or its own explicit one), or undefined, logged at debug, when that is below 1.1.0
   * or the plugin does not speak it.
   */
  private async housekeepingConf(
    request: NetworkRequest,
    plugin: PluginConf,
    command: 'GC' | 'STATUS',
    log: Logger,
  ): Promise<DelegateConf | undefined> {
    const type = String(plugin.conf['type']);
    const answers = await askVersions([type], {
      versions: this.versions,
      request,
      binDirs: delegateBinDirs(request.config, request.env),
    });
    const supported = answerFor(answers, type, `${plugin.origin} (type "${type}")`);
    const asked = String(plugin.conf['cniVersion']);
    const version = plugin.explicitVersion ? asked : highestCommonVersion(asked, [supported]);
    const speaks = version !== undefined && (supported === undefined || supported.includes(version));
    if (speaks && versionAtLeast(version, HOUSEKEEPING_VERSION)) return { ...plugin.conf, cniVersion: version };
    log.debug(
      { type, origin: plugin.origin, cniVersion: version, supported },
      `${command} skipped: the plugin does not speak CNI ${HOUSEKEEPING_VERSION} here`,
    );
    return undefined;
  }

  /** GC: DEL every recorded attachment not in `cni.dev/valid-attachments`, then delegate GC. */
  async gc(request: NetworkRequest, log: Logger): Promise<void> {
    const valid = validAttachments(request.config.raw);
    const isValid = (e: CacheEntry): boolean =>
      valid.some((a) => a.containerID === e.containerId && a.ifname === e.ifname);
    const entries = await this.cache.list(request.config.cacheDir);
    const failures: CniError[] = [];
    const adapters = await adaptersFor(this.catalog, request, log);
    const ports = { cache: this.cache, lock: this.lock, probe: this.probe };
    for (const entry of entries.filter((e) => !isValid(e))) {
      await collectRecord(ports, request, adapters, entry, log, 'GC').catch((err: unknown) =>
        failures.push(toCniError(err)),
      );
    }
    const kept = entries.filter(isValid);
    for (const [recorded, attachments] of delegatesToCollect(kept)) {
      const origin = `cached network "${String(recorded['name'])}"`;
      const conf = await this.housekeepingConf(
        request,
        { conf: recorded, origin, explicitVersion: true },
        'GC',
        log,
      ).catch((err: unknown) => {
        failures.push(toCniError(err));
        return undefined;
      });
      if (conf === undefined) continue;
      const gcConf = { ...conf, [VALID_ATTACHMENTS_KEY]: attachments };
      await this.runOnDelegate(request, adapters, gcConf, origin, 'GC').catch((err: unknown) =>
        failures.push(toCniError(err)),
      );
    }
    log.info({ collected: entries.length - kept.length, kept: kept.length, failures: failures.length }, 'GC done');
    if (failures.length > 0) throw DeleteRun.aggregate(failures, 'GC');
  }

  private async runOnDelegate(
    request: NetworkRequest,
    adapters: AdapterRegistry,
    conf: DelegateConf,
    origin: string,
    command: 'GC' | 'STATUS',
  ): Promise<void> {
    const binDirs = delegateBinDirs(request.config, request.env);
    // GC and STATUS concern no one container: the spec passes them CNI_PATH only.
    const env = { ...delegateEnv(request.env, '', binDirs, ''), CNI_CONTAINERID: '', CNI_NETNS: '' };
    const adapter = adapters.pick(conf, origin);
    const call = delegateInvocation(request, { conf, env, binDirs });
    try {
      await (command === 'GC' ? adapter.gc(call) : adapter.status(call));
    } catch (err) {
      const failed = { network: String(conf['name']), origin, type: String(conf['type']), ifname: '-' };
      throw attachmentFailure(failed, command, toCniError(err));
    }
  }
}

/** Each recorded plugin config of CNI ≥ 1.1.0 once, with the attachments that still use it. */
function delegatesToCollect(kept: readonly CacheEntry[]): Map<DelegateConf, ValidAttachment[]> {
  const byJson = new Map<string, { conf: DelegateConf; attachments: ValidAttachment[] }>();
  for (const entry of kept) {
    for (const a of entry.attachments) {
      if (!versionAtLeast(a.cniVersion, HOUSEKEEPING_VERSION)) continue;
      for (const conf of a.confs) {
        const id = JSON.stringify(conf);
        const slot = byJson.get(id) ?? { conf, attachments: [] };
        slot.attachments.push({ containerID: entry.containerId, ifname: a.ifname });
        byJson.set(id, slot);
      }
    }
  }
  return new Map([...byJson.values()].map((s) => [s.conf, s.attachments]));
}
