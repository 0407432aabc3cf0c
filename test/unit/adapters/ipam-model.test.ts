import 'reflect-metadata';
import { ipamFieldProblems, validateIpam } from '../../../src/adapters/ipam-model';
import { formatProblems } from '../../../src/core/validation';

const P = 'delegates[2].ipam';

/** [label, ipam, expected problems as "path: message" fragments; [] when valid] */
const cases: ReadonlyArray<readonly [string, unknown, readonly string[]]> = [
  [
    'host-local with subnet',
    { type: 'host-local', subnet: '10.1.0.0/24', rangeStart: '10.1.0.10', rangeEnd: '10.1.0.20', gateway: '10.1.0.1' },
    [],
  ],
  [
    'host-local with ranges',
    { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24', gateway: '10.1.0.1' }, { subnet: 'fd00::/64' }]] },
    [],
  ],
  [
    'host-local with paths',
    { type: 'host-local', subnet: '10.1.0.0/24', dataDir: '/run/ipam', resolvConf: '/etc/resolv.conf' },
    [],
  ],
  [
    'static',
    {
      type: 'static',
      addresses: [{ address: '10.10.0.1/24', gateway: '10.10.0.254' }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.10.0.254' }],
    },
    [],
  ],
  ['another IPAM type passes untouched', { type: 'whereabouts', range: 5, whatever: [1] }, []],
  ['not an object', ['host-local'], [`${P}: must be a JSON object, got ["host-local"]`]],
  ['no type', {}, [`${P}.type: must be a non-empty string`]],
  ['empty type', { type: '' }, [`${P}.type: must be a non-empty string, got ""`]],
  ['host-local without subnet or ranges', { type: 'host-local' }, [`${P}: host-local needs "subnet" or "ranges"`]],
  [
    'bad subnet',
    { type: 'host-local', subnet: '10.1.0.0/33' },
    [`${P}.subnet: must be a CIDR such as 10.1.0.0/24, got "10.1.0.0/33"`],
  ],
  [
    'zoned IPv6 subnet (host-local parses it with Go ParseCIDR)',
    { type: 'host-local', subnet: 'fe80::1%eth0/64' },
    [`${P}.subnet: must be a CIDR such as 10.1.0.0/24, got "fe80::1%eth0/64"`],
  ],
  [
    'bad rangeStart and rangeEnd',
    { type: 'host-local', subnet: '10.1.0.0/24', rangeStart: 'a', rangeEnd: 10 },
    [
      `${P}.rangeStart: must be an IPv4 or IPv6 address, got "a"`,
      `${P}.rangeEnd: must be an IPv4 or IPv6 address, got 10`,
    ],
  ],
  [
    'relative dataDir and resolvConf',
    { type: 'host-local', subnet: '10.1.0.0/24', dataDir: 'ipam', resolvConf: 'resolv.conf' },
    [
      `${P}.dataDir: must be an absolute path, got "ipam"`,
      `${P}.resolvConf: must be an absolute path, got "resolv.conf"`,
    ],
  ],
  [
    'routes not a list',
    { type: 'host-local', subnet: '10.1.0.0/24', routes: { dst: '0.0.0.0/0' } },
    [`${P}.routes: must be a list`],
  ],
  [
    'a bad route',
    { type: 'host-local', subnet: '10.1.0.0/24', routes: [{ dst: '0.0.0.0/0' }, { dst: '0.0.0.0', gw: 'gw' }] },
    [`${P}.routes[1].dst: must be a CIDR`, `${P}.routes[1].gw: must be an IPv4 or IPv6 address, got "gw"`],
  ],
  [
    'a route that is not an object',
    { type: 'host-local', subnet: '10.1.0.0/24', routes: ['0.0.0.0/0'] },
    [`${P}.routes[0]: must be a JSON object`],
  ],
  [
    'ranges not a list',
    { type: 'host-local', ranges: { subnet: '10.1.0.0/24' } },
    [`${P}.ranges: must be a list of range sets`],
  ],
  [
    'a range set that is not a list',
    { type: 'host-local', ranges: [{ subnet: '10.1.0.0/24' }] },
    [`${P}.ranges[0]: must be a non-empty list of ranges`],
  ],
  [
    'an empty range set',
    { type: 'host-local', ranges: [[]] },
    [`${P}.ranges[0]: must be a non-empty list of ranges, got []`],
  ],
  [
    "the brief's example path",
    { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: '10.2.0.0/24' }, { subnet: 'x' }]] },
    [`${P}.ranges[1][1].subnet: must be a CIDR such as 10.1.0.0/24, got "x"`],
  ],
  [
    'a range without subnet',
    { type: 'host-local', ranges: [[{ rangeStart: '10.1.0.5' }]] },
    [`${P}.ranges[0][0].subnet: must be a CIDR`],
  ],
  [
    'a range with bad bounds',
    { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24', rangeStart: '10.1.0', gateway: '::x' }]] },
    [`${P}.ranges[0][0].rangeStart:`, `${P}.ranges[0][0].gateway:`],
  ],
  [
    'static address not a CIDR',
    { type: 'static', addresses: [{ address: '10.10.0.1' }] },
    [`${P}.addresses[0].address: must be a CIDR such as 10.1.0.0/24, got "10.10.0.1"`],
  ],
  [
    'static addresses not a list',
    { type: 'static', addresses: '10.10.0.1/24' },
    [`${P}.addresses: must be a list, got "10.10.0.1/24"`],
  ],
  [
    'static route without dst',
    { type: 'static', routes: [{ gw: '10.10.0.254' }] },
    [`${P}.routes[0].dst: must be a CIDR`],
  ],
];

describe('validateIpam', () => {
  test.each(cases)('%s', (_label, ipam, fragments) => {
    const text = formatProblems(validateIpam(ipam, P));
    if (fragments.length === 0) expect(text).toBe('');
    for (const fragment of fragments) expect(text).toContain(fragment);
  });

  test('allowEmpty accepts {} and a lone empty type, nothing more', () => {
    expect(validateIpam({}, P, { allowEmpty: true })).toEqual([]);
    expect(validateIpam({ type: '' }, P, { allowEmpty: true })).toEqual([]);
    expect(formatProblems(validateIpam({ subnet: '10.1.0.0/24' }, P, { allowEmpty: true }))).toContain(
      `${P}.type: must be a non-empty string`,
    );
  });

  test('a path at the top level has no leading dot', () => {
    expect(formatProblems(validateIpam({ type: 'host-local', subnet: 'x' }, 'ipam'))).toBe(
      'ipam.subnet: must be a CIDR such as 10.1.0.0/24, got "x"',
    );
  });
});

describe('ipamFieldProblems', () => {
  test('absent ipam is fine unless required', () => {
    expect(ipamFieldProblems({ type: 'bridge' }, 'delegates[0]')).toEqual([]);
    expect(ipamFieldProblems({ type: 'ptp' }, 'delegates[0]', { required: true })).toEqual([
      { path: 'delegates[0].ipam', message: 'is required: this plugin always runs its IPAM plugin' },
    ]);
  });

  test('locates problems under the origin', () => {
    expect(ipamFieldProblems({ ipam: { type: 'host-local', subnet: 'y' } }, 'annotation networks[1]')[0]?.path).toBe(
      'annotation networks[1].ipam.subnet',
    );
  });
});
