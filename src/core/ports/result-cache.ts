/** Which record: one per container and pod interface, under the config's `cniDir`. */
export interface CacheKey {
  readonly dir: string;
  readonly containerId: string;
  readonly ifname: string;
}

export type AttachmentState = 'pending' | 'added' | 'deleted';

/** One attachment as recorded: enough to DEL or CHECK it without the config or the API. */
export interface RecordedAttachment {
  readonly index: number;
  readonly network: string;
  readonly type: string;
  readonly ifname: string;
  readonly master: boolean;
  readonly origin: string;
  /** Each plugin's config exactly as sent (without prevResult): one, or a conflist's chain. */
  readonly confs: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Where each plugin's config came from (`delegates[1]`, `... .plugins[0]`), for picking its adapter again. */
  readonly origins: readonly string[];
  /** The attachment's result version. */
  readonly cniVersion: string;
  /** pending: ADD not (yet) known to have succeeded; added: result recorded; deleted: DEL succeeded. */
  readonly state: AttachmentState;
  /** The attachment's (last plugin's) result. */
  readonly result?: Readonly<Record<string, unknown>>;
  /** The name network-status shows (`namespace/name` for Kubernetes networks); `network` when absent. */
  readonly statusName?: string;
  /** The device it was given (network-status device-info). */
  readonly deviceId?: string;
  /** The networks-annotation entry that made it (see Attachment.selection): live networks match by it. */
  readonly selection?: string;
  /** Attached to the running pod by live networks (not by the runtime's ADD). */
  readonly hotplug?: boolean;
  /** The auxiliary CNI chain (Attachment.auxiliary): on the master's interface, never in network-status. */
  readonly auxiliary?: boolean;
}

/** The versioned on-disk record of a container's attachments, written before the first delegate runs. */
export interface CacheEntry {
  readonly kind: 'multus-ts/attachments';
  /** 2 since the unused `binDirs` went (and `cniPath`, back since as a string); version 1 records are still read. */
  readonly version: 2;
  readonly containerId: string;
  readonly ifname: string;
  readonly netns: string;
  readonly cniVersion: string;
  readonly network: string;
  readonly cniArgs: string;
  /** The runtime's CNI_PATH at ADD: live networks run delegates with it later. Absent in older records. */
  readonly cniPath?: string;
  readonly createdAt: string;
  readonly attachments: readonly RecordedAttachment[];
}

/**
 * The on-disk record of a container's attachments (files 0600 in a 0700 dir). Written before the
 * first delegate runs and after each success, so a DEL can always undo what an ADD made.
 */
export interface ResultCache {
  /** The entry, or undefined when there is none. A corrupt entry is a CniError (code 5). */
  load(key: CacheKey): Promise<CacheEntry | undefined>;
  save(key: CacheKey, entry: CacheEntry): Promise<void>;
  /** Removes the entry; no error when it is already gone. */
  remove(key: CacheKey): Promise<void>;
  /** Every entry in a cache dir (GC), or only one container's; unreadable entries are skipped. */
  list(dir: string, containerId?: string): Promise<CacheEntry[]>;
}
