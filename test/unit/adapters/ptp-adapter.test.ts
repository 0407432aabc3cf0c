import 'reflect-metadata';
import { PtpAdapter } from '../../../src/adapters/ptp-adapter';
import { runAdapterSuite, ScriptedExecutor, type Case } from './adapter-test-helpers';

const cases: readonly Case[] = [
  [
    'the README example',
    { type: 'ptp', ipam: { type: 'host-local', subnet: '10.1.1.0/24' }, dns: { nameservers: ['10.1.1.1'] } },
    [],
  ],
  [
    'kindnet style: ranges, dataDir and IPv6 routes',
    {
      type: 'ptp',
      ipMasq: false,
      mtu: 1500,
      ipam: {
        type: 'host-local',
        dataDir: '/run/cni-ipam-state',
        routes: [{ dst: '::/0' }],
        ranges: [[{ subnet: 'fd00:10:244:1::/64' }]],
      },
    },
    [],
  ],
  ['a vendor IPAM passes untouched', { type: 'ptp', ipam: { type: 'whereabouts', range: 'anything' } }, []],
  ['ipam is required', { type: 'ptp' }, ['delegates[2].ipam: is required']],
  [
    '"ipam": {} is not enough for ptp',
    { type: 'ptp', ipam: {} },
    ['delegates[2].ipam.type: must be a non-empty string'],
  ],
  [
    'ipMasq as a string',
    { type: 'ptp', ipMasq: 'false', ipam: { type: 'dhcp' } },
    ['delegates[2].ipMasq: must be true or false, got "false"'],
  ],
  [
    'mtu too large',
    { type: 'ptp', mtu: 70000, ipam: { type: 'dhcp' } },
    ['delegates[2].mtu: must be an integer from 68 to 65535, got 70000'],
  ],
  [
    'ipam as a string',
    { type: 'ptp', ipam: 'host-local' },
    ['delegates[2].ipam: must be a JSON object, got "host-local"'],
  ],
];

describe('PtpAdapter', () => {
  runAdapterSuite(() => new PtpAdapter(new ScriptedExecutor()), cases, { name: 'ptp', other: 'bridge' });
});
