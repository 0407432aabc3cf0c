import type { NetworkRequest } from './plan';
import type { PreparedAttachment } from './planner';
import type { AttachmentState, CacheEntry, CacheKey, RecordedAttachment } from './ports/result-cache';

export function cacheKey(request: NetworkRequest): CacheKey {
  return { dir: request.config.cacheDir, containerId: request.env.containerId, ifname: request.env.ifname };
}

export interface EntryContext {
  readonly request: NetworkRequest;
  readonly cniArgs: string;
  readonly binDirs: readonly string[];
  readonly now: Date;
}

/** The record written before the first delegate runs: every attachment pending. */
export function newCacheEntry(ctx: EntryContext, attachments: readonly PreparedAttachment[]): CacheEntry {
  const { env, config } = ctx.request;
  return {
    kind: 'multus-ts/attachments',
    version: 2,
    containerId: env.containerId,
    ifname: env.ifname,
    netns: env.netns,
    cniVersion: config.cniVersion,
    network: config.name,
    cniArgs: ctx.cniArgs,
    ...(env.path.length === 0 ? {} : { cniPath: env.path.join(':') }),
    createdAt: ctx.now.toISOString(),
    attachments: attachments.map((a) => recordedAttachment(a)),
  };
}

/** An attachment as the record keeps it, pending until its ADD succeeds. */
export function recordedAttachment(a: PreparedAttachment, extra: { hotplug?: boolean } = {}): RecordedAttachment {
  return {
    index: a.index,
    network: a.network,
    type: a.type,
    ifname: a.ifname,
    master: a.master,
    origin: a.origin,
    confs: a.plugins.map((p) => p.conf),
    origins: a.plugins.map((p) => p.origin),
    cniVersion: a.cniVersion,
    state: 'pending',
    ...(a.statusName === undefined ? {} : { statusName: a.statusName }),
    ...(a.deviceId === undefined ? {} : { deviceId: a.deviceId }),
    ...(a.selection === undefined ? {} : { selection: a.selection }),
    ...(extra.hotplug === true ? { hotplug: true } : {}),
    ...(a.auxiliary === true ? { auxiliary: true } : {}),
  };
}

/** A copy of the entry with one attachment's state (and result) changed. */
export function withState(
  entry: CacheEntry,
  index: number,
  state: AttachmentState,
  result?: Readonly<Record<string, unknown>>,
): CacheEntry {
  return {
    ...entry,
    attachments: entry.attachments.map((a) => {
      if (a.index !== index) return a;
      return result === undefined ? { ...a, state } : { ...a, state, result };
    }),
  };
}
