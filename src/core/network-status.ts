import type { PreparedAttachment } from './planner';
import type { NetworkStatus } from './ports/status-reporter';
import type { CniResult } from './result';

interface Iface100 {
  readonly name?: string;
  readonly mac?: string;
  readonly sandbox?: string;
  readonly pciID?: string;
  readonly socketPath?: string;
}

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/iu;

/**
 * The device-info of the Device Information Specification (`type`, `version` and the device),
 * where multus knows the device: a PCI address (the result's 1.1.0 `pciID`, else the device the
 * attachment was given: the selection's `deviceID` or the kubelet's device for the network's
 * `resourceName`) or a vhost-user socket (the result's `socketPath`).
 */
function deviceInfo(attachment: StatusSubject, iface: Iface100 | undefined): Record<string, unknown> | undefined {
  const requested = attachment.deviceId ?? attachment.runtimeConfig?.['deviceID'];
  const pci = iface?.pciID ?? (typeof requested === 'string' && PCI_ADDRESS.test(requested) ? requested : undefined);
  if (pci !== undefined && pci !== '') return { type: 'pci', version: '1.1.0', pci: { 'pci-address': pci } };
  if (iface?.socketPath !== undefined && iface.socketPath !== '') {
    return { type: 'vhost-user', version: '1.1.0', 'vhost-user': { path: iface.socketPath } };
  }
  return undefined;
}
interface Ip100 {
  readonly address?: string;
  readonly interface?: number;
}

/** What network-status shows of an attachment besides its result: a prepared or a recorded one. */
export type StatusSubject = Pick<PreparedAttachment, 'network' | 'statusName' | 'ifname' | 'master' | 'deviceId'> &
  Partial<Pick<PreparedAttachment, 'runtimeConfig'>>;

/**
 * The network-status entry of one attachment, from its result: the pod-side interface (the one
 * named like the attachment, in a sandbox when the result says so), its MAC, its addresses
 * without prefix, its DNS, and its device-info where known. `default` marks the master, the
 * pod's main network.
 */
export function networkStatus(attachment: StatusSubject, result: CniResult): NetworkStatus {
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
  const iface = index >= 0 ? interfaces[index] : undefined;
  const mac = iface?.mac;
  const device = deviceInfo(attachment, iface);
  return {
    ...status,
    ...(mac === undefined || mac === '' ? {} : { mac }),
    ...(device === undefined ? {} : { 'device-info': device }),
  };
}

function podInterfaceIndex(interfaces: readonly Iface100[], ifname: string): number {
  const inSandbox = interfaces.findIndex((i) => i.name === ifname && (i.sandbox ?? '') !== '');
  return inSandbox >= 0 ? inSandbox : interfaces.findIndex((i) => i.name === ifname);
}
