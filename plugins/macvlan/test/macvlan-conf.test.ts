import { ADAPTER_API } from '../../../src/index';
import { ipLinkMtu, macvlanProblems, masterLinkProblem } from '../src/macvlan-conf';

const hostLocal = { type: 'host-local', subnet: '10.1.0.0/24' };

describe('macvlanProblems', () => {
  test.each([
    ['the README example', { type: 'macvlan', master: 'eth0', mode: 'bridge', ipam: { type: 'dhcp' } }],
    ['no master: the default route interface', { type: 'macvlan', ipam: hostLocal }],
    ['every mode', { type: 'macvlan', mode: 'private' }],
    ['vepa', { type: 'macvlan', mode: 'vepa' }],
    ['passthru', { type: 'macvlan', mode: 'passthru' }],
    ['mtu 0 means the master mtu', { type: 'macvlan', mtu: 0 }],
    ['mtu 68 and up', { type: 'macvlan', mtu: 68 }],
    ['L2 only with "ipam": {}', { type: 'macvlan', master: 'eth1', ipam: {} }],
    ['linkInContainer', { type: 'macvlan', master: 'net1', linkInContainer: true }],
    ['unknown keys pass', { type: 'macvlan', bcqueuelen: 1000, 'x-vendor': { a: [1] } }],
  ])('%s: no problem', (_label, conf) => {
    expect(macvlanProblems(conf, 'delegates[1]', ADAPTER_API)).toEqual([]);
  });

  test.each([
    ['master not a string', { master: 3 }, 'delegates[1].master', 'must be an interface name (string), got 3'],
    [
      'master too long',
      { master: 'a-very-long-master0' },
      'delegates[1].master',
      'must be a Linux interface name: "a-very-long-master0" is longer than 15 bytes',
    ],
    [
      'master with a slash',
      { master: 'eth/0' },
      'delegates[1].master',
      "must be a Linux interface name: \"eth/0\" must not contain '/', ':' or white space",
    ],
    ['master empty', { master: '' }, 'delegates[1].master', 'must be a Linux interface name: must not be empty'],
    [
      'unknown mode',
      { mode: 'bridged' },
      'delegates[1].mode',
      'must be one of bridge, private, vepa, passthru, got "bridged"',
    ],
    [
      'mode in capitals',
      { mode: 'Bridge' },
      'delegates[1].mode',
      'must be one of bridge, private, vepa, passthru, got "Bridge"',
    ],
    ['mode not a string', { mode: 1 }, 'delegates[1].mode', 'must be one of bridge, private, vepa, passthru, got 1'],
    [
      'mtu as a string',
      { mtu: '1500' },
      'delegates[1].mtu',
      'must be an integer from 68 to 65535 (or 0: the master\'s), got "1500"',
    ],
    [
      'mtu not an integer',
      { mtu: 1500.5 },
      'delegates[1].mtu',
      "must be an integer from 68 to 65535 (or 0: the master's), got 1500.5",
    ],
    [
      'mtu too small',
      { mtu: 67 },
      'delegates[1].mtu',
      "must be an integer from 68 to 65535 (or 0: the master's), got 67",
    ],
    [
      'mtu too large',
      { mtu: 65536 },
      'delegates[1].mtu',
      "must be an integer from 68 to 65535 (or 0: the master's), got 65536",
    ],
    [
      'linkInContainer as a string',
      { linkInContainer: 'yes' },
      'delegates[1].linkInContainer',
      'must be true or false, got "yes"',
    ],
    [
      'ipam with a bad subnet',
      { ipam: { type: 'host-local', subnet: '10.1.0.0' } },
      'delegates[1].ipam.subnet',
      'must be a CIDR such as 10.1.0.0/24, got "10.1.0.0"',
    ],
    ['ipam not an object', { ipam: 'dhcp' }, 'delegates[1].ipam', 'must be a JSON object, got "dhcp"'],
  ])('%s: %s', (_label, fields, path, message) => {
    expect(macvlanProblems({ type: 'macvlan', ...fields }, 'delegates[1]', ADAPTER_API)).toEqual([{ path, message }]);
  });

  test('reports every problem at once, in field order', () => {
    const problems = macvlanProblems(
      { type: 'macvlan', master: 5, mode: 'x', mtu: -1, ipam: [] },
      'delegates[0]',
      ADAPTER_API,
    );
    expect(problems.map((p) => p.path)).toEqual([
      'delegates[0].master',
      'delegates[0].mode',
      'delegates[0].mtu',
      'delegates[0].ipam',
    ]);
  });
});

describe('ipLinkMtu', () => {
  test.each([
    ["ip's JSON", JSON.stringify([{ ifindex: 3, ifname: 'eth1', mtu: 1500, operstate: 'UP' }]), 1500],
    ['no output (ip printed nothing)', '', undefined],
    ['output that is not JSON', 'eth1: <UP> mtu 1500', undefined],
    ['JSON without an mtu', JSON.stringify([{ ifname: 'eth1' }]), undefined],
  ])('%s', (_label, output, mtu) => {
    expect(ipLinkMtu(output)).toBe(mtu);
  });
});

describe('masterLinkProblem', () => {
  test.each([
    ['no mtu asked', 1500, undefined],
    ['mtu 0: the master mtu', 1500, 0],
    ['mtu below the master', 1500, 1400],
    ['mtu equal to the master', 1500, 1500],
    ["the master's mtu unknown", undefined, 9000],
  ])('%s: no problem', (_label, masterMtu, mtu) => {
    expect(masterLinkProblem('eth1', masterMtu, mtu)).toBeUndefined();
  });

  test('an mtu above the master mtu is refused, naming both', () => {
    expect(masterLinkProblem('eth1', 1500, 9000)).toBe(
      'mtu 9000 is larger than the mtu 1500 of master "eth1": a macvlan cannot exceed its master\'s',
    );
  });
});
