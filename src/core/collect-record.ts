import type { AdapterRegistry } from './adapter-registry';
import { parseCniArgs } from './cni-env';
import { DeleteRun } from './delete-run';
import { isHostNetns } from './host-netns';
import type { NetworkRequest } from './plan';
import type { ContainerLock } from './ports/container-lock';
import type { FileProbe } from './ports/file-probe';
import type { Logger } from './ports/logger';
import type { CacheEntry, ResultCache } from './ports/result-cache';

/** How long a collection waits for a container's lock: a call holding it is the runtime's, and wins. */
const COLLECT_LOCK_WAIT_MS = 1000;

/** The ports collecting a record goes through. */
export interface RecordPorts {
  readonly cache: ResultCache;
  readonly lock: ContainerLock;
  readonly probe: FileProbe;
}

/**
 * Deletes one container's recorded attachments the way its DEL would (each delegate with its
 * recorded result, in reverse), under the container's lock, without the runtime: GC of an
 * attachment the runtime no longer lists, and the daemon's reconcile of a pod that is gone. The
 * record is read again under the lock, so a DEL that got there first is not repeated (false).
 * All deleted: the record is removed (true). Otherwise the new states are saved and the failure
 * is thrown (one, or code 103 listing them), naming `what`.
 */
export async function collectRecord(
  ports: RecordPorts,
  request: NetworkRequest,
  adapters: AdapterRegistry,
  listed: CacheEntry,
  log: Logger,
  what: string,
): Promise<boolean> {
  const key = { dir: request.config.cacheDir, containerId: listed.containerId, ifname: listed.ifname };
  const held = await ports.lock.acquire(key, COLLECT_LOCK_WAIT_MS);
  try {
    const entry = await ports.cache.load(key);
    if (entry === undefined) return false;
    // A record naming the host's own namespace (written by an older multus) never sends a DEL there.
    const netns = (await isHostNetns(ports.probe, entry.netns)) ? '' : entry.netns;
    // The CNI_PATH its ADD had, when the record keeps it (IPAM plugins are found there); else the caller's.
    const path = entry.cniPath === undefined ? request.env.path : entry.cniPath.split(':').filter((p) => p !== '');
    const env = {
      ...request.env,
      containerId: entry.containerId,
      ifname: entry.ifname,
      netns,
      args: parseCniArgs(entry.cniArgs),
      path,
    };
    const outcome = await new DeleteRun(adapters, { ...request, env }, log).run(entry, entry.attachments.length - 1);
    if (outcome.failures.length === 0) {
      await ports.cache.remove(key);
      return true;
    }
    await ports.cache.save(key, outcome.entry);
    throw DeleteRun.aggregate(outcome.failures, `${what} of container ${entry.containerId}`);
  } finally {
    await held.release();
  }
}
