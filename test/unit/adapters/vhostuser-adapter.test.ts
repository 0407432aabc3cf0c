import 'reflect-metadata';
import { VhostUserAdapter } from '../../../src/adapters/vhostuser-adapter';
import { runAdapterSuite, ScriptedExecutor, type Case } from './adapter-test-helpers';

const ipam = {
  type: 'host-local',
  subnet: '10.56.217.0/24',
  rangeStart: '10.56.217.131',
  rangeEnd: '10.56.217.190',
  routes: [{ dst: '0.0.0.0/0' }],
  gateway: '10.56.217.1',
};

const cases: readonly Case[] = [
  [
    'the README example',
    { type: 'vhostuser', if0name: 'net0', vhost: { vhost_tool: '/opt/vhost/vpp-config.py' }, ipam },
    [],
  ],
  [
    'extra vhost keys pass through',
    { type: 'vhostuser', vhost: { vhost_tool: '/t.py', vhostmac: 'x' }, ipam: { type: 'dhcp' } },
    [],
  ],
  ['vhost missing', { type: 'vhostuser', ipam }, ['delegates[2].vhost: is required']],
  [
    'vhost as a string',
    { type: 'vhostuser', vhost: '/t.py', ipam },
    ['delegates[2].vhost: must be a JSON object, got "/t.py"'],
  ],
  [
    'vhost_tool missing',
    { type: 'vhostuser', vhost: {}, ipam },
    ['delegates[2].vhost.vhost_tool: must be an absolute path'],
  ],
  [
    'vhost_tool relative',
    { type: 'vhostuser', vhost: { vhost_tool: 'vpp-config.py' }, ipam },
    ['delegates[2].vhost.vhost_tool: must be an absolute path, got "vpp-config.py"'],
  ],
  ['ipam missing', { type: 'vhostuser', vhost: { vhost_tool: '/t.py' } }, ['delegates[2].ipam: is required']],
  [
    'if0name with white space',
    { type: 'vhostuser', if0name: 'net 0', vhost: { vhost_tool: '/t.py' }, ipam },
    ['delegates[2].if0name: must be a Linux interface name'],
  ],
  [
    'bad ipam gateway',
    { type: 'vhostuser', vhost: { vhost_tool: '/t.py' }, ipam: { ...ipam, gateway: '10.56.217' } },
    ['delegates[2].ipam.gateway: must be an IPv4 or IPv6 address, got "10.56.217"'],
  ],
];

describe('VhostUserAdapter', () => {
  runAdapterSuite(() => new VhostUserAdapter(new ScriptedExecutor()), cases, { name: 'vhostuser', other: 'sriov' });
});
