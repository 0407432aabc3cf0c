import type { PreparedAttachment } from './planner';
import type { NetworkStatus } from './ports/status-reporter';
import type { CniResult } from './result';

interface Iface100 {
  readonly name?: string;
  readonly mac?: string;
  readonly sandbox?: string;
}
interface Ip100 {
  readonly address?: string;
  readonly interface?: number;
}

/**
 * The network-status entry of one attachment, from its result: the pod-side interface (the one
 * named like the attachment, in a sandbox when the result says so), its MAC, its addresses
 * without prefix, its DNS. `default` marks the master, the pod's main network.
 */
export function networkStatus(attachment: PreparedAttachment, result: CniResult): NetworkStatus {
  const json = result.asVersion('1.1.0').toJSON();
  const interfaces = (Array.isArray(json['interfaces']) ? json['interfaces'] : []) as Iface100[];
  const ips = (Array.isArray(json['ips']) ? json['ips'] : []) as Ip100[];
  const index = podInterfaceIndex(interfaces, attachment.ifname);
  const mine = ips.filter((ip) => index < 0 || ip.interface === undefined || ip.interface === index);
  const status: NetworkStatus = {
    name: attachment.statusName ?? attachment.network,
    interface: attachment.ifname,
    ips: mine.map((ip) => String(ip.address ?? '').split('/')[0] ?? '').filter((a) => a !== ''),
    default: attachment.master,
    dns: (json['dns'] as Record<string, unknown> | undefined) ?? {},
  };
  const mac = index >= 0 ? interfaces[index]?.mac : undefined;
  return mac === undefined || mac === '' ? status : { ...status, mac };
}

function podInterfaceIndex(interfaces: readonly Iface100[], ifname: string): number {
  const inSandbox = interfaces.findIndex((i) => i.name === ifname && (i.sandbox ?? '') !== '');
  return inSandbox >= 0 ? inSandbox : interfaces.findIndex((i) => i.name === ifname);
}
