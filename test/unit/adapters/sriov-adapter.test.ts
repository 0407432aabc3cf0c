import 'reflect-metadata';
import { SriovAdapter } from '../../../src/adapters/sriov-adapter';
import { runAdapterSuite, ScriptedExecutor, type Case } from './adapter-test-helpers';

const dpdk = { kernel_driver: 'ixgbevf', dpdk_driver: 'igb_uio', dpdk_tool: '/opt/dpdk/usertools/dpdk-devbind.py' };

const cases: readonly Case[] = [
  [
    'the README example with IPAM',
    { type: 'sriov', if0: 'enp1s0f1', ipam: { type: 'host-local', subnet: '10.55.206.0/26' } },
    [],
  ],
  ['the seed multus example with DPDK', { type: 'sriov', if0: 'ens786f1', if0name: 'net0', dpdk }, []],
  ['a VF by PCI address (deviceID)', { type: 'sriov', deviceID: '0000:03:02.3', vf: 3, vlan: 100, l2enable: true }, []],
  ['the Go tag spelling (deviceid)', { type: 'sriov', deviceid: '0000:af:00.1' }, []],
  ['neither if0 nor deviceID', { type: 'sriov', vlan: 5 }, ['delegates[2]: needs "if0"', '"deviceID"']],
  [
    'deviceID not a PCI address',
    { type: 'sriov', deviceID: '03:02.3' },
    ['delegates[2].deviceID: must be a PCI address such as 0000:03:02.3, got "03:02.3"'],
  ],
  [
    'deviceid spelled lower case, bad',
    { type: 'sriov', deviceid: 7 },
    ['delegates[2].deviceid: must be a PCI address'],
  ],
  ['if0 with a colon', { type: 'sriov', if0: 'eth1:0' }, ['delegates[2].if0: must be a Linux interface name']],
  [
    'if0name too long',
    { type: 'sriov', if0: 'eth1', if0name: 'sixteen-chars-xx' },
    ['delegates[2].if0name:', 'longer than 15 bytes'],
  ],
  ['negative vf', { type: 'sriov', if0: 'eth1', vf: -1 }, ['delegates[2].vf: must be an integer 0 or more, got -1']],
  [
    'vlan out of range',
    { type: 'sriov', if0: 'eth1', vlan: 5000 },
    ['delegates[2].vlan: must be an integer from 0 to 4094, got 5000'],
  ],
  [
    'l2enable as a string',
    { type: 'sriov', if0: 'eth1', l2enable: 'yes' },
    ['delegates[2].l2enable: must be true or false, got "yes"'],
  ],
  ['dpdk as a list', { type: 'sriov', if0: 'eth1', dpdk: [] }, ['delegates[2].dpdk: must be a JSON object, got []']],
  [
    'dpdk missing its drivers, relative tool',
    { type: 'sriov', if0: 'eth1', dpdk: { dpdk_tool: 'dpdk-devbind.py' } },
    [
      'delegates[2].dpdk.kernel_driver: must be a non-empty string',
      'delegates[2].dpdk.dpdk_driver: must be a non-empty string',
      'delegates[2].dpdk.dpdk_tool: must be an absolute path, got "dpdk-devbind.py"',
    ],
  ],
];

describe('SriovAdapter', () => {
  runAdapterSuite(() => new SriovAdapter(new ScriptedExecutor()), cases, { name: 'sriov', other: 'host-device' });
});
