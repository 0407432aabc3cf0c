import 'reflect-metadata';
import { BridgeAdapter } from '../../../src/adapters/bridge-adapter';
import { runAdapterSuite, ScriptedExecutor, type Case } from './adapter-test-helpers';

const hostLocal = { type: 'host-local', subnet: '10.1.0.0/24' };

const cases: readonly Case[] = [
  [
    'the README example',
    {
      type: 'bridge',
      bridge: 'mynet0',
      isDefaultGateway: true,
      forceAddress: false,
      ipMasq: true,
      hairpinMode: true,
      ipam: hostLocal,
    },
    [],
  ],
  ['L2 only with "ipam": {}', { type: 'bridge', bridge: 'mynet0', ipam: {} }, []],
  ['no ipam at all', { type: 'bridge' }, []],
  ['unknown keys pass through', { type: 'bridge', macspoofchk: true, vendorThing: { a: 1 }, ipam: hostLocal }, []],
  [
    'every boolean as a boolean',
    { type: 'bridge', isGateway: false, promiscMode: true, mtu: 1500, vlan: 0, ipam: hostLocal },
    [],
  ],
  [
    'bridge name with a slash',
    { type: 'bridge', bridge: 'br/0' },
    ['delegates[2].bridge: must be a Linux interface name', "must not contain '/'"],
  ],
  [
    'bridge name too long',
    { type: 'bridge', bridge: 'a-very-long-bridge-name' },
    ['delegates[2].bridge:', 'longer than 15 bytes'],
  ],
  [
    'isGateway as a string',
    { type: 'bridge', isGateway: 'true' },
    ['delegates[2].isGateway: must be true or false, got "true"'],
  ],
  [
    'hairpinMode as a number',
    { type: 'bridge', hairpinMode: 1 },
    ['delegates[2].hairpinMode: must be true or false, got 1'],
  ],
  ['mtu too small', { type: 'bridge', mtu: 67 }, ['delegates[2].mtu: must be an integer from 68 to 65535, got 67']],
  [
    'mtu not an integer',
    { type: 'bridge', mtu: 1500.5 },
    ['delegates[2].mtu: must be an integer from 68 to 65535, got 1500.5'],
  ],
  [
    'vlan 4095 is reserved',
    { type: 'bridge', vlan: 4095 },
    ['delegates[2].vlan: must be an integer from 0 to 4094, got 4095'],
  ],
  [
    'ipam with a bad subnet',
    { type: 'bridge', ipam: { type: 'host-local', subnet: '10.1.0.0' } },
    ['delegates[2].ipam.subnet: must be a CIDR such as 10.1.0.0/24, got "10.1.0.0"'],
  ],
  [
    'ipam keys without a type',
    { type: 'bridge', ipam: { subnet: '10.1.0.0/24' } },
    ['delegates[2].ipam.type: must be a non-empty string'],
  ],
  [
    'several problems in one error',
    { type: 'bridge', ipMasq: 'no', vlan: -1 },
    ['network "net-a" (delegates[2], type "bridge"): ', 'delegates[2].ipMasq:', '; delegates[2].vlan:'],
  ],
];

describe('BridgeAdapter', () => {
  runAdapterSuite(() => new BridgeAdapter(new ScriptedExecutor()), cases, {
    name: 'bridge',
    other: 'ptp',
    title: 'claims only bridge configs, above the generic adapter',
  });
});
