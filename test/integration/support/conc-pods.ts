import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Cleanup } from './cleanup';
import { bridgePorts, hostAddrsWithPrefix, hostLinks, ip, type IpLink, netnsExists } from './net';
import { cacheFiles, leaseFiles, type Workspace } from './workspace';

const execFileAsync = promisify(execFile);

/**
 * The pods of the concurrency tests: every pod has the same three delegates, so they all contend
 * for the same resources. bridge (the master, eth0) on one shared bridge, ptp (net0) and a second
 * bridge (net1) on another shared bridge, each delegate with ONE host-local range (its own
 * network name, one dataDir for all) shared by every pod. Each pod has its own netns.
 */
export class SharedPodNetwork {
  /** Network name (host-local keeps its leases under `<dataDir>/<name>/`) → subnet, per pod interface. */
  readonly ranges: ReadonlyArray<{ readonly network: string; readonly ifname: string; readonly subnet: string }>;
  readonly bridges: readonly [string, string];
  /**
   * The start of every address of this file, e.g. `10.240.`: any host address with it is a leftover (ptp puts the
   * gateway on host veths).
   */
  readonly hostPrefix: string;

  constructor(
    private readonly ws: Workspace,
    net: number,
    cleanup: Cleanup,
  ) {
    this.bridges = [`${ws.prefix}m`, `${ws.prefix}s`];
    for (const b of this.bridges) cleanup.link(b);
    this.hostPrefix = `10.${net}.`;
    // /22 each: 1022 addresses, far more than the pods alive at once.
    this.ranges = [
      { network: 'cc-master', ifname: 'eth0', subnet: `10.${net}.0.0/22` },
      { network: 'cc-ptp', ifname: 'net0', subnet: `10.${net}.4.0/22` },
      { network: 'cc-side', ifname: 'net1', subnet: `10.${net}.8.0/22` },
    ];
  }

  /** The multus config every pod gets (cniVersion 1.0.0, so DEL gets prevResult). */
  config(): Record<string, unknown> {
    const [master, ptp, side] = this.ranges;
    const ipam = (subnet: string | undefined): Record<string, unknown> => ({
      type: 'host-local',
      subnet,
      dataDir: this.ws.ipamDir,
    });
    return {
      name: 'cc-pods',
      type: 'multus',
      cniVersion: '1.0.0',
      cniDir: this.ws.cniDir,
      logLevel: 'warn',
      delegates: [
        {
          name: master?.network,
          type: 'bridge',
          bridge: this.bridges[0],
          ipam: ipam(master?.subnet),
          masterplugin: true,
        },
        { name: ptp?.network, type: 'ptp', ipam: ipam(ptp?.subnet) },
        { name: side?.network, type: 'bridge', bridge: this.bridges[1], ipam: ipam(side?.subnet) },
      ],
    };
  }
}

/**
 * A pod's IPv4 addresses (without prefix length) by interface, read with `ip -n NS -j addr` (asynchronously, so other
 * runs go on).
 */
export async function podAddresses(ns: string): Promise<Record<string, string[]>> {
  const { stdout } = await execFileAsync('ip', ['-n', ns, '-j', 'addr'], { encoding: 'utf8' });
  const links = (stdout.trim() === '' ? [] : JSON.parse(stdout)) as IpLink[];
  return Object.fromEntries(
    links
      .filter((l) => l.ifname !== 'lo')
      .map((l) => [l.ifname, (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local)]),
  );
}

/** One address held by one pod during [from, to] (ms timestamps; to = Infinity while it is still alive). */
export interface Holding {
  readonly network: string;
  readonly address: string;
  readonly containerId: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Pairs of holdings of the same address in the same range whose periods overlap: an address given
 * to two pods alive at the same time. Counted per extra holder, so N pods on one address count N-1.
 */
export function duplicateHoldings(holdings: readonly Holding[]): Holding[][] {
  const byAddress = new Map<string, Holding[]>();
  for (const h of holdings) {
    const key = `${h.network} ${h.address}`;
    byAddress.set(key, [...(byAddress.get(key) ?? []), h]);
  }
  const clashes: Holding[][] = [];
  for (const list of byAddress.values()) {
    const sorted = [...list].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) {
      const current = sorted[i] as Holding;
      const overlapping = sorted.slice(0, i).filter((earlier) => earlier.to >= current.from);
      if (overlapping.length > 0) clashes.push([...overlapping, current]);
    }
  }
  return clashes;
}

/**
 * Everything of the pods still on the host, as readable lines (empty when nothing leaked): cache,
 * lock and temp files in the cniDir, host-local leases, links in the pods' netns besides lo, host
 * veths whose peer is in one of them, ports on the shared bridges, host addresses of the file's
 * subnets. Reads the host with one `ip` call per namespace plus a few for the host.
 */
export function podLeftovers(ws: Workspace, network: SharedPodNetwork, namespaces: readonly string[]): string[] {
  const found: string[] = [];
  for (const f of cacheFiles(ws.cniDir)) found.push(`cniDir file ${f}`);
  for (const f of leaseFiles(ws.ipamDir)) found.push(`host-local lease ${f}`);
  const ours = new Set(namespaces);
  for (const ns of namespaces) {
    if (!netnsExists(ns)) continue;
    const links = (JSON.parse(ip(['-n', ns, '-j', 'link']).trim() || '[]') as IpLink[])
      .map((l) => l.ifname)
      .filter((n) => n !== 'lo');
    for (const l of links) found.push(`netns ${ns}: link ${l}`);
  }
  const ids = JSON.parse(ip(['-j', 'netns', 'list-id']).trim() || '[]') as Array<{ nsid: number; name?: string }>;
  const ourIds = new Set(ids.filter((i) => i.name !== undefined && ours.has(i.name)).map((i) => i.nsid));
  for (const l of hostLinks()) {
    if (l.link_netnsid !== undefined && ourIds.has(l.link_netnsid))
      found.push(`host link ${l.ifname} into a pod netns`);
  }
  for (const b of network.bridges) for (const p of bridgePorts(b)) found.push(`port ${p} on bridge ${b}`);
  for (const a of hostAddrsWithPrefix(network.hostPrefix)) found.push(`host address ${a}`);
  return found;
}

/** Namespaces of `names` that still exist. */
export function remainingNetns(names: readonly string[]): string[] {
  return names.filter((n) => netnsExists(n));
}

/** `ip netns del` of each that still exists (a few ms each). */
export function deleteNetns(names: readonly string[]): void {
  for (const n of names) if (netnsExists(n)) ip(['netns', 'del', n]);
}
