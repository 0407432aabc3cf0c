import { withDeviceId } from '../../../src/core/device-id';
import type { DelegateConf } from '../../../src/core/plan';

const PCI = '0000:af:06.2';

describe('withDeviceId', () => {
  test.each<[string, DelegateConf, DelegateConf]>([
    [
      'sriov gets deviceID',
      { type: 'sriov', name: 'vf', vlan: 5 },
      { type: 'sriov', name: 'vf', vlan: 5, deviceID: PCI },
    ],
    [
      'host-device gets pciBusID',
      { type: 'host-device', name: 'hd' },
      { type: 'host-device', name: 'hd', pciBusID: PCI },
    ],
    ['another type is left alone', { type: 'macvlan', master: 'eth1' }, { type: 'macvlan', master: 'eth1' }],
    ['a config without type is left alone', { name: 'x' }, { name: 'x' }],
    [
      'a deviceID already in the config is replaced',
      { type: 'sriov', deviceID: '0000:00:00.1' },
      { type: 'sriov', deviceID: PCI },
    ],
    [
      'any spelling of the key is replaced (the plugins decode JSON case-insensitively)',
      { type: 'sriov', deviceid: '0000:00:00.1' },
      { type: 'sriov', deviceID: PCI },
    ],
    [
      'host-device: a pcibusid spelling is replaced',
      { type: 'host-device', PCIBUSID: 'x' },
      { type: 'host-device', pciBusID: PCI },
    ],
    [
      'host-device keeps its other fields (device wins over pciBusID in the plugin)',
      { type: 'host-device', device: 'veth1' },
      { type: 'host-device', device: 'veth1', pciBusID: PCI },
    ],
    [
      'conflist: every sriov plugin, every host-device plugin, nothing else',
      {
        cniVersion: '1.0.0',
        name: 'l',
        plugins: [{ type: 'sriov' }, { type: 'tuning' }, { type: 'host-device' }, { type: 'sriov', vlan: 3 }],
      },
      {
        cniVersion: '1.0.0',
        name: 'l',
        plugins: [
          { type: 'sriov', deviceID: PCI },
          { type: 'tuning' },
          { type: 'host-device', pciBusID: PCI },
          { type: 'sriov', vlan: 3, deviceID: PCI },
        ],
      },
    ],
    [
      'conflist: a top-level type is not a plugin',
      { type: 'sriov', plugins: [{ type: 'tuning' }] },
      { type: 'sriov', plugins: [{ type: 'tuning' }] },
    ],
    [
      'conflist: entries that are not objects stay for the planner to report',
      { plugins: [{ type: 'sriov' }, 'junk'] },
      { plugins: [{ type: 'sriov', deviceID: PCI }, 'junk'] },
    ],
    ['conflist: plugins that is not a list is returned as it is', { plugins: 'junk' }, { plugins: 'junk' }],
  ])('%s', (_name, conf, expected) => {
    expect(withDeviceId(conf, PCI)).toEqual(expected);
  });

  test('the input is not modified', () => {
    const plugin = { type: 'sriov', deviceID: 'old' };
    const conf = { plugins: [plugin] };
    withDeviceId(conf, PCI);
    expect(conf).toEqual({ plugins: [{ type: 'sriov', deviceID: 'old' }] });
    expect(withDeviceId(plugin, PCI)).not.toBe(plugin);
  });
});
