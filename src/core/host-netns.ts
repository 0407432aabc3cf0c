import type { FileProbe } from './ports/file-probe';

/**
 * Paths that name the host's network namespace: the one multus itself runs in (a runtime execs
 * its CNI plugins in the host's), and init's (which a sandbox may not let anyone stat).
 */
export const HOST_NETNS_PATHS = ['/proc/self/ns/net', '/proc/1/ns/net'] as const;

/**
 * Whether `netns` (a CNI_NETNS) is the host's own network namespace, compared by device and
 * inode, so any path that names it (a bind mount, /proc/<pid>/ns/net) is recognised.
 */
export async function isHostNetns(probe: FileProbe, netns: string): Promise<boolean> {
  if (netns === '') return false;
  for (const host of HOST_NETNS_PATHS) {
    if (await probe.sameFile(netns, host)) return true;
  }
  return false;
}
