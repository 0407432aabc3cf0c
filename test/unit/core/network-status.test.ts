import { networkStatus } from '../../../src/core/network-status';
import type { PreparedAttachment } from '../../../src/core/planner';
import { parseResult } from '../../../src/core/result';

function attachment(extra: Partial<PreparedAttachment> = {}): PreparedAttachment {
  return {
    network: 'sriov-net',
    statusName: 'ns1/sriov-net',
    ifname: 'net1',
    master: false,
    ...extra,
  } as PreparedAttachment;
}

const result = (iface: Record<string, unknown>): ReturnType<typeof parseResult> =>
  parseResult(
    {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'net1', mac: '02:00:00:00:00:01', sandbox: '/var/run/netns/p', ...iface }],
      ips: [{ address: '10.9.0.5/24', interface: 0 }],
    },
    '1.1.0',
    'test',
  );

test('name, interface, ips without prefix, mac, dns, default', () => {
  expect(networkStatus(attachment(), result({}))).toEqual({
    name: 'ns1/sriov-net',
    interface: 'net1',
    ips: ['10.9.0.5'],
    mac: '02:00:00:00:00:01',
    default: false,
    dns: {},
  });
});

test.each([
  [
    'the result names a PCI device',
    attachment(),
    { pciID: '0000:03:02.3' },
    { type: 'pci', version: '1.1.0', pci: { 'pci-address': '0000:03:02.3' } },
  ],
  [
    'the selection asked for a PCI deviceID',
    attachment({ runtimeConfig: { deviceID: '0000:05:00.1' } }),
    {},
    { type: 'pci', version: '1.1.0', pci: { 'pci-address': '0000:05:00.1' } },
  ],
  [
    "the source gave it a PCI device (the kubelet's, for a resourceName)",
    attachment({ deviceId: '0000:af:06.2' }),
    {},
    { type: 'pci', version: '1.1.0', pci: { 'pci-address': '0000:af:06.2' } },
  ],
  [
    "the result's pciID wins over the device given",
    attachment({ deviceId: '0000:af:06.2' }),
    { pciID: '0000:03:02.3' },
    { type: 'pci', version: '1.1.0', pci: { 'pci-address': '0000:03:02.3' } },
  ],
  [
    'a vhost-user socket',
    attachment(),
    { socketPath: '/var/run/vhost/sock0' },
    { type: 'vhost-user', version: '1.1.0', 'vhost-user': { path: '/var/run/vhost/sock0' } },
  ],
  ['nothing known', attachment({ runtimeConfig: { deviceID: 'not-a-pci-address' } }), {}, undefined],
  ['a device given that is not a PCI address', attachment({ deviceId: 'mlx5_core.sf.4' }), {}, undefined],
])('device-info when %s', (_name, a, iface, expected) => {
  expect(networkStatus(a, result(iface))['device-info']).toEqual(expected);
});
