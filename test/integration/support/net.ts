import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Cleanup } from './cleanup';

/**
 * Looking at network namespaces and host links from the test process, always through `ip` (and
 * `ip -n`): the test never enters a namespace itself (STYLE.md 14).
 */

export interface AddrInfo {
  readonly family: string;
  readonly local: string;
  readonly prefixlen: number;
}

export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly address?: string;
  readonly link_index?: number;
  readonly link_netnsid?: number;
  readonly master?: string;
  readonly addr_info?: readonly AddrInfo[];
}

export interface IpRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
}

export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function ipJson<T>(args: readonly string[]): T {
  const text = ip(['-j', ...args]).trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}

/** The path runtimes pass as CNI_NETNS for a namespace made by `ip netns add`. */
export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** `ip netns add NAME`, registered for deletion; returns its path. */
export function createNetns(name: string, cleanup: Cleanup): string {
  cleanup.netns(name);
  ip(['netns', 'add', name]);
  return netnsPath(name);
}

/**
 * A netns shared by the tests of a file: made on the first call (so inside a hook or test, after
 * the workspace exists), registered on the file's `cleanup`; later calls return the same path.
 */
export function sharedNetns(name: () => string, cleanup: Cleanup): () => string {
  let path: string | undefined;
  return () => (path ??= createNetns(name(), cleanup));
}

export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** A veth pair on the host, both ends up, registered for deletion (deleting one end deletes both). */
export function createVethPair(a: string, b: string, cleanup: Cleanup): void {
  cleanup.link(a);
  cleanup.link(b);
  ip(['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
  ip(['link', 'set', a, 'up']);
  ip(['link', 'set', b, 'up']);
}

/** `ip -n NS -j addr`: every link of the namespace with its addresses. */
export function netnsAddrs(ns: string): IpLink[] {
  return ipJson<IpLink[]>(['-n', ns, 'addr']);
}

export function netnsLinkNames(ns: string): string[] {
  return netnsAddrs(ns)
    .map((l) => l.ifname)
    .sort();
}

/** The IPv4 addresses (`a.b.c.d/len`) of one link in a namespace. */
export function ipv4Of(ns: string, ifname: string): string[] {
  const link = netnsAddrs(ns).find((l) => l.ifname === ifname);
  return (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

export function netnsLink(ns: string, ifname: string): IpLink | undefined {
  return ipJson<IpLink[]>(['-n', ns, 'link']).find((l) => l.ifname === ifname);
}

/** `ip -d` details of a link in a namespace: its kind (veth, macvlan, ...) and the kind's data. */
export function netnsLinkKind(ns: string, ifname: string): { kind?: string; data?: Record<string, unknown> } {
  const [link] = ipJson<Array<{ linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }>>([
    '-n',
    ns,
    '-d',
    'link',
    'show',
    ifname,
  ]);
  return { kind: link?.linkinfo?.info_kind, data: link?.linkinfo?.info_data };
}

export function netnsRoutes(ns: string): IpRoute[] {
  return ipJson<IpRoute[]>(['-n', ns, 'route']);
}

export function hostLinks(): IpLink[] {
  return ipJson<IpLink[]>(['link']);
}

export function hostLink(name: string): IpLink | undefined {
  return hostLinks().find((l) => l.ifname === name);
}

/** Host links attached to a bridge (empty when the bridge does not exist). */
export function bridgePorts(bridge: string): string[] {
  if (hostLink(bridge) === undefined) return [];
  return ipJson<IpLink[]>(['link', 'show', 'master', bridge]).map((l) => l.ifname);
}

/**
 * Host links whose peer lives in namespace `ns` (veth host ends of the pod): found through the
 * namespace id the host assigned to it. A namespace without an id has no such link.
 */
export function hostLinksInto(ns: string): string[] {
  const ids = ipJson<Array<{ nsid: number; name?: string }>>(['netns', 'list-id']);
  const id = ids.find((i) => i.name === ns)?.nsid;
  if (id === undefined) return [];
  return hostLinks()
    .filter((l) => l.link_netnsid === id)
    .map((l) => l.ifname);
}

/** Host addresses inside `prefix` (e.g. `10.234.2.`): ptp puts its gateway on the host veth. */
export function hostAddrsWithPrefix(prefix: string): string[] {
  return ipJson<IpLink[]>(['addr'])
    .flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname}:${a.local}`))
    .filter((s) => s.split(':')[1]?.startsWith(prefix) === true);
}

function ipv4ToInt(ipv4: string): number {
  const parts = ipv4.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ipv4}`);
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** Whether `address` (with or without `/len`) lies in `cidr`. */
export function inSubnet(address: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const bits = Number(len);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4ToInt(net ?? '') / size) * size;
  const value = ipv4ToInt(address.split('/')[0] ?? '');
  return value >= start && value < start + size;
}

export function inRange(address: string, first: string, last: string): boolean {
  const value = ipv4ToInt(address.split('/')[0] ?? '');
  return value >= ipv4ToInt(first) && value <= ipv4ToInt(last);
}
