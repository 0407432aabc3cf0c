import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import {
  bridgePorts,
  hostAddrsWithPrefix,
  hostLink,
  hostLinks,
  hostLinksInto,
  inRange,
  inSubnet,
  ipv4Of,
  netnsLink,
  netnsLinkNames,
  netnsRoutes,
} from './net';
import { REFERENCE_PLUGINS } from './run-multus';
import { cacheFile, cacheFiles, leaseFiles, type Workspace } from './workspace';

/**
 * The seed README's three-delegate pod ("Using Multus with a CNI configuration file") with its
 * flannel master replaced by a bridge master (no flannel binary exists here): bridge (master,
 * eth0), ptp with a gateway and a default route (net0), bridge with rangeStart/rangeEnd (net1).
 * `net` is the second octet of the file's 10.x subnets, `third` the first third octet used, and
 * `suffix` (one letter) tells the pods of one file apart in link and network names.
 */
export class SeedPod {
  readonly bridges: readonly [string, string];
  readonly subnets: { readonly master: string; readonly ptp: string; readonly ranged: string };
  readonly ptpGateway: string;
  readonly range: { readonly start: string; readonly end: string };
  readonly masterName = 'seed-master';

  constructor(
    private readonly ws: Workspace,
    private readonly suffix: string,
    net: number,
    third: number,
    cleanup: Cleanup,
  ) {
    this.bridges = [`${ws.prefix}${suffix}0`, `${ws.prefix}${suffix}1`];
    for (const b of this.bridges) cleanup.link(b);
    const [a, b, c] = [third, third + 1, third + 2].map((t) => `10.${net}.${t}`) as [string, string, string];
    this.subnets = { master: `${a}.0/24`, ptp: `${b}.0/24`, ranged: `${c}.0/24` };
    this.ptpGateway = `${b}.1`;
    this.range = { start: `${c}.10`, end: `${c}.20` };
  }

  /** The master delegate as written in the config (also what is run directly to compare). */
  masterDelegate(): Record<string, unknown> {
    return {
      name: this.masterName,
      type: 'bridge',
      bridge: this.bridges[0],
      isGateway: true,
      ipam: { type: 'host-local', subnet: this.subnets.master, dataDir: this.ws.ipamDir },
    };
  }

  /** The multus config; `cniVersion` undefined leaves the key out, as the seed does. */
  config(cniVersion: string | undefined): Record<string, unknown> {
    return {
      name: `seed-${this.suffix}`,
      type: 'multus',
      ...(cniVersion === undefined ? {} : { cniVersion }),
      log_level: 'debug',
      cniDir: this.ws.cniDir,
      delegates: [
        { ...this.masterDelegate(), masterplugin: true },
        {
          type: 'ptp',
          ipam: {
            type: 'host-local',
            subnet: this.subnets.ptp,
            routes: [{ dst: '0.0.0.0/0' }],
            gateway: this.ptpGateway,
            dataDir: this.ws.ipamDir,
          },
        },
        {
          type: 'bridge',
          bridge: this.bridges[1],
          ipam: {
            type: 'host-local',
            subnet: this.subnets.ranged,
            rangeStart: this.range.start,
            rangeEnd: this.range.end,
            dataDir: this.ws.ipamDir,
          },
        },
      ],
    };
  }

  /** The master's gateway: with the seed's rule the pod's default route goes through it. */
  get masterGateway(): string {
    return this.subnets.master.replace(/0\/24$/u, '1');
  }

  /**
   * eth0, net0, net1 with addresses in their subnets, leases and the cache file. The seed's
   * rule: the pod's one default route is via the master's gateway on eth0, not net0's (its IPAM
   * asked for `0.0.0.0/0`).
   */
  expectUp(ns: string, containerId: string): void {
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
    const [eth0, net0, net1] = ['eth0', 'net0', 'net1'].map((i) => ipv4Of(ns, i));
    expect(eth0).toHaveLength(1);
    expect(net0).toHaveLength(1);
    expect(net1).toHaveLength(1);
    expect(inSubnet(eth0?.[0] ?? '', this.subnets.master)).toBe(true);
    expect(inSubnet(net0?.[0] ?? '', this.subnets.ptp)).toBe(true);
    expect(inSubnet(net1?.[0] ?? '', this.subnets.ranged)).toBe(true);
    expect(inRange(net1?.[0] ?? '', this.range.start, this.range.end)).toBe(true);
    const defaults = netnsRoutes(ns).filter((r) => r.dst === 'default');
    expect(defaults).toEqual([expect.objectContaining({ dst: 'default', gateway: this.masterGateway, dev: 'eth0' })]);
    const leases = leaseFiles(this.ws.ipamDir).map((f) => f.split('/').pop() ?? '');
    expect(leases.sort()).toEqual([eth0?.[0], net0?.[0], net1?.[0]].map((a) => a?.split('/')[0]).sort());
    const file = cacheFile(this.ws.cniDir, containerId);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(this.ws.cniDir).mode & 0o777).toBe(0o700);
  }

  /** Nothing of the pod left: only lo in the netns, no leases, no cache file, no host veth or ptp address. */
  expectGone(ns: string): void {
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(this.ws.ipamDir)).toEqual([]);
    expect(cacheFiles(this.ws.cniDir)).toEqual([]);
    expect(hostLinksInto(ns)).toEqual([]);
    expect(this.bridges.flatMap((b) => bridgePorts(b))).toEqual([]);
    expect(hostAddrsWithPrefix(this.subnets.ptp.replace(/0\/24$/u, ''))).toEqual([]);
  }

  /**
   * The master's result as the bridge plugin reports it, built from what is really there: the
   * bridge, the host veth that is eth0's peer, eth0 with the sandbox and its address; and the
   * default route via its gateway that the seed's rule set.
   */
  expectedMasterResult(ns: string, netnsPath: string, cniVersion: string): Record<string, unknown> {
    const eth0 = netnsLink(ns, 'eth0');
    const address = ipv4Of(ns, 'eth0')[0] ?? '';
    const gateway = this.masterGateway;
    const routes = [{ dst: '0.0.0.0/0', gw: gateway }];
    if (cniVersion === '0.1.0' || cniVersion === '0.2.0') return { cniVersion, ip4: { ip: address, gateway, routes } };
    const peer = hostLinks().find((l) => l.ifindex === eth0?.link_index);
    const ipConfig = { ...(cniVersion.startsWith('0.') ? { version: '4' } : {}), interface: 2, address, gateway };
    return {
      cniVersion,
      interfaces: [
        { name: this.bridges[0], mac: hostLink(this.bridges[0])?.address },
        { name: peer?.ifname, mac: peer?.address },
        { name: 'eth0', mac: eth0?.address, sandbox: netnsPath },
      ],
      ips: [ipConfig],
      routes,
    };
  }

  /** What the bridge plugin printed for the master alone, with the default route the seed's rule adds. */
  withMasterDefaultRoute(result: Record<string, unknown> | undefined, cniVersion: string): Record<string, unknown> {
    const routes = [{ dst: '0.0.0.0/0', gw: this.masterGateway }];
    if (cniVersion === '0.1.0' || cniVersion === '0.2.0')
      return { ...result, ip4: { ...(result?.['ip4'] as object), routes } };
    return { ...result, routes };
  }
}

/** Drops an empty `dns` object: the plugins print `"dns": {}`, which says nothing. */
export function withoutEmptyDns(result: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (result === undefined) return undefined;
  const { dns, ...rest } = result;
  const empty = typeof dns === 'object' && dns !== null && Object.keys(dns).length === 0;
  return empty ? rest : result;
}

/** A result with the per-run values masked (MACs, veth names, last octets, sandbox), to compare shapes. */
export function resultShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resultShape);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resultShape(v)]));
  }
  if (typeof value !== 'string') return value;
  if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/u.test(value)) return '<mac>';
  if (/^veth[0-9a-f]{8}$/u.test(value)) return '<veth>';
  if (value.startsWith('/var/run/netns/')) return '<netns>';
  return value.replace(
    /^(\d+\.\d+\.\d+)\.(\d+)\/(\d+)$/u,
    (_m, net: string, _host: string, len: string) => `${net}.<host>/${len}`,
  );
}

/** Runs the bridge plugin itself (ADD or DEL) with `conf`: what multus's result is compared against. */
export function runBridgeDirectly(
  command: 'ADD' | 'DEL',
  conf: Record<string, unknown>,
  netnsPath: string,
  containerId: string,
): Record<string, unknown> | undefined {
  const child = spawnSync(join(REFERENCE_PLUGINS, 'bridge'), [], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netnsPath,
      CNI_IFNAME: 'eth0',
      CNI_PATH: REFERENCE_PLUGINS,
      CNI_ARGS: 'IgnoreUnknown=true',
    },
  });
  if (child.status !== 0)
    throw new Error(`bridge ${command} failed (${String(child.status)}): ${child.stdout} ${child.stderr}`);
  return child.stdout.trim() === '' ? undefined : (JSON.parse(child.stdout) as Record<string, unknown>);
}
