import { CniCode } from '../../../../src/core/errors';
import { convertResult, parseResult, Result020, Result040, Result100 } from '../../../../src/core/result';
import type { CniVersion } from '../../../../src/core/version';
import { thrownCniError } from '../../../support/cni-error';

const W = 'delegate "sriov"';

const NOT_CIDR = 'result.ips[0].address: must be an IP address with prefix (CIDR), got ';
const IFS = [{ name: 'lo0' }, { name: 'veth0' }, { name: 'eth0', sandbox: '/var/run/netns/a' }];

describe('parseResult: malformed results are DelegateBadOutput (102) naming where and the path', () => {
  const cases: Array<[string, unknown, string]> = [
    ['null', null, 'result: must be a JSON object, got null'],
    ['an array', [], 'result: must be a JSON object, got []'],
    ['a string', 'ok', 'result: must be a JSON object, got "ok"'],
    ['a number', 42, 'result: must be a JSON object, got 42'],
    ['cniVersion of the wrong type', { cniVersion: 1 }, 'result.cniVersion: must be a string, got 1'],
    ['address not CIDR', { cniVersion: '1.0.0', ips: [{ address: 'x' }] }, `${NOT_CIDR}"x"`],
    ['address without prefix', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.5' }] }, `${NOT_CIDR}"10.0.0.5"`],
    [
      'IPv4 prefix too long',
      { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.5/33' }] },
      `${NOT_CIDR}"10.0.0.5/33"`,
    ],
    ['IPv6 prefix too long', { cniVersion: '1.1.0', ips: [{ address: 'fd00::5/129' }] }, `${NOT_CIDR}"fd00::5/129"`],
    ['address missing', { cniVersion: '1.0.0', ips: [{ gateway: '10.0.0.1' }] }, `${NOT_CIDR}nothing`],
    [
      'gateway not an IP',
      { cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24', gateway: '10.0.0.1/24' }] },
      'result.ips[0].gateway: must be an IP address, got "10.0.0.1/24"',
    ],
    [
      'interface index out of range',
      { cniVersion: '1.0.0', interfaces: IFS, ips: [{ address: '10.0.0.5/24', interface: 3 }] },
      'result.ips[0].interface: must be an index into result.interfaces (0..2), got 3',
    ],
    [
      'interface index without interfaces',
      { cniVersion: '0.3.1', ips: [{ version: '4', address: '10.0.0.5/24', interface: 0 }] },
      'result.ips[0].interface: must be an index into result.interfaces, which is empty, got 0',
    ],
    [
      'negative interface index',
      { cniVersion: '1.0.0', interfaces: IFS, ips: [{ address: '10.0.0.5/24', interface: -1 }] },
      'result.ips[0].interface: must be a non-negative integer, got -1',
    ],
    [
      'string interface index',
      { cniVersion: '1.0.0', interfaces: IFS, ips: [{ address: '10.0.0.5/24', interface: '1' }] },
      'result.ips[0].interface: must be a non-negative integer, got "1"',
    ],
    [
      'ips not an array',
      { cniVersion: '1.0.0', ips: { address: '10.0.0.5/24' } },
      'result.ips: must be an array, got {"address":"10.0.0.5/24"}',
    ],
    [
      'ips entry not an object',
      { cniVersion: '1.0.0', ips: ['10.0.0.5/24'] },
      'result.ips[0]: must be a JSON object, got "10.0.0.5/24"',
    ],
    [
      'interface without name',
      { cniVersion: '1.0.0', interfaces: [{ name: 'a' }, { mac: 'x' }] },
      'result.interfaces[1].name: must be a string, got nothing',
    ],
    [
      'interface mac not a string',
      { cniVersion: '0.4.0', interfaces: [{ name: 'a', mac: 5 }] },
      'result.interfaces[0].mac: must be a string, got 5',
    ],
    [
      'version neither 4 nor 6',
      { cniVersion: '0.4.0', ips: [{ version: '5', address: '10.0.0.5/24' }] },
      'result.ips[0].version: must be "4" or "6", got "5"',
    ],
    [
      'version not matching the address',
      { cniVersion: '0.3.0', ips: [{ version: '4', address: 'fd00::5/64' }] },
      'result.ips[0].version: must match the address family of "fd00::5/64" ("6"), got "4"',
    ],
    [
      'route dst not CIDR',
      { cniVersion: '1.0.0', routes: [{ dst: 'default' }] },
      'result.routes[0].dst: must be an IP address with prefix (CIDR), got "default"',
    ],
    [
      'route gw not an IP',
      { cniVersion: '1.0.0', routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0', gw: 'router' }] },
      'result.routes[1].gw: must be an IP address, got "router"',
    ],
    [
      '1.1.0 route mtu a string',
      { cniVersion: '1.1.0', routes: [{ dst: '0.0.0.0/0', mtu: '1500' }] },
      'result.routes[0].mtu: must be a non-negative integer, got "1500"',
    ],
    [
      '1.1.0 route table fractional',
      { cniVersion: '1.1.0', routes: [{ dst: '0.0.0.0/0', table: 1.5 }] },
      'result.routes[0].table: must be a non-negative integer, got 1.5',
    ],
    [
      '1.1.0 interface mtu negative',
      { cniVersion: '1.1.0', interfaces: [{ name: 'a', mtu: -1 }] },
      'result.interfaces[0].mtu: must be a non-negative integer, got -1',
    ],
    [
      '1.1.0 interface pciID not a string',
      { cniVersion: '1.1.0', interfaces: [{ name: 'a', pciID: 1 }] },
      'result.interfaces[0].pciID: must be a string, got 1',
    ],
    [
      'dns not an object',
      { cniVersion: '1.0.0', dns: ['10.0.0.10'] },
      'result.dns: must be a JSON object, got ["10.0.0.10"]',
    ],
    [
      'dns nameservers not a list',
      { cniVersion: '1.0.0', dns: { nameservers: '10.0.0.10' } },
      'result.dns.nameservers: must be an array, got "10.0.0.10"',
    ],
    [
      'dns search entry not a string',
      { cniVersion: '0.2.0', dns: { search: ['a', 2] } },
      'result.dns.search[1]: must be a string, got 2',
    ],
    [
      '0.2.0 ip4 holding an IPv6 address',
      { cniVersion: '0.2.0', ip4: { ip: 'fd00::5/64' } },
      'result.ip4.ip: must be an IPv4 address with prefix (CIDR), got "fd00::5/64"',
    ],
    [
      '0.2.0 ip6 holding an IPv4 address',
      { cniVersion: '0.1.0', ip6: { ip: '10.0.0.5/24' } },
      'result.ip6.ip: must be an IPv6 address with prefix (CIDR), got "10.0.0.5/24"',
    ],
    [
      '0.2.0 ip6 route dst bad',
      { cniVersion: '0.2.0', ip6: { ip: 'fd00::5/64', routes: [{ dst: '::' }] } },
      'result.ip6.routes[0].dst: must be an IP address with prefix (CIDR), got "::"',
    ],
    [
      '0.2.0 ip4 not an object',
      { cniVersion: '0.2.0', ip4: '10.0.0.5/24' },
      'result.ip4: must be a JSON object, got "10.0.0.5/24"',
    ],
  ];

  test.each(cases)('%s', (_name, raw, msg) => {
    const err = thrownCniError(() => parseResult(raw, '1.0.0', W));
    expect(err.code).toBe(CniCode.DelegateBadOutput);
    expect(err.msg).toBe(`${W}: ${msg}`);
  });

  test('long offending values are shortened in the message', () => {
    const err = thrownCniError(() =>
      parseResult({ cniVersion: '1.0.0', ips: [{ address: 'x'.repeat(200) }] }, '1.0.0', W),
    );
    expect(err.msg).toMatch(/got "x{76}\.\.\.$/);
  });
});

describe('parseResult: versions', () => {
  test('an unknown cniVersion is IncompatibleVersion (1) naming the version and the supported list', () => {
    const err = thrownCniError(() => parseResult({ cniVersion: '0.9.0', ips: [] }, '1.0.0', W));
    expect(err.code).toBe(CniCode.IncompatibleVersion);
    expect(err.msg).toBe(
      `${W}: result.cniVersion: unsupported CNI version "0.9.0" (supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, ` +
        `1.0.0, 1.1.0)`,
    );
  });

  test.each([undefined, null, ''])('cniVersion %p falls back to the given version', (cniVersion) => {
    const raw = { cniVersion, ips: [{ version: '4', address: '10.0.0.5/24' }] };
    const result = parseResult(raw, '0.3.1', W);
    expect(result.version).toBe('0.3.1');
    expect(result.toJSON()).toStrictEqual({ cniVersion: '0.3.1', ips: [{ version: '4', address: '10.0.0.5/24' }] });
  });

  const classes: Array<[CniVersion, unknown]> = [
    ['0.1.0', Result020],
    ['0.2.0', Result020],
    ['0.3.0', Result040],
    ['0.3.1', Result040],
    ['0.4.0', Result040],
    ['1.0.0', Result100],
    ['1.1.0', Result100],
  ];
  test.each(classes)('a %s result is wrapped in the class of its family', (version, cls) => {
    const result = parseResult({ cniVersion: version }, '1.1.0', W);
    expect(result).toBeInstanceOf(cls);
    expect(result.version).toBe(version);
  });
});

describe('parseResult: normalisation mirrors Go (omitempty, null as absent)', () => {
  test('nulls, empty strings, empty lists and an empty dns are dropped; unknown keys ignored', () => {
    const raw = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '', sandbox: null }],
      ips: [{ address: '10.0.0.5/24', gateway: '', interface: null }],
      routes: [],
      dns: { nameservers: [], domain: '', search: null },
      extra: { anything: true },
    };
    expect(parseResult(raw, '1.0.0', W).toJSON()).toStrictEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0' }],
      ips: [{ address: '10.0.0.5/24' }],
    });
  });

  test('interface index 0, table 0 and scope 0 are kept; mtu, advmss and priority 0 are dropped', () => {
    const raw = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mtu: 0 }],
      ips: [{ address: 'fd00::5/64', interface: 0 }],
      routes: [{ dst: '::/0', mtu: 0, advmss: 0, priority: 0, table: 0, scope: 0 }],
    };
    expect(parseResult(raw, '1.1.0', W).toJSON()).toStrictEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0' }],
      ips: [{ interface: 0, address: 'fd00::5/64' }],
      routes: [{ dst: '::/0', table: 0, scope: 0 }],
    });
  });

  test('a 0.4.0 ips entry without version gets it from its address', () => {
    const raw = { cniVersion: '0.4.0', ips: [{ address: 'fd00::5/64' }, { address: '10.0.0.5/24' }] };
    expect(parseResult(raw, '0.4.0', W).toJSON()).toStrictEqual({
      cniVersion: '0.4.0',
      ips: [
        { version: '6', address: 'fd00::5/64' },
        { version: '4', address: '10.0.0.5/24' },
      ],
    });
  });

  test('a 1.0.0 result ignores a stray ips[].version and the 1.1.0-only fields (even malformed ones)', () => {
    const raw = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mtu: 'junk', socketPath: 1, pciID: '0000:00:01.0' }],
      ips: [{ version: '4', address: '10.0.0.5/24' }],
      routes: [{ dst: '0.0.0.0/0', table: -3 }],
    };
    expect(convertResult(raw, '1.1.0', '1.0.0', W)).toStrictEqual({
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0' }],
      ips: [{ address: '10.0.0.5/24' }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
  });

  test('0.x results ignore the 1.1.0 route and interface fields', () => {
    const raw = {
      cniVersion: '0.3.0',
      interfaces: [{ name: 'eth0', mtu: 9000 }],
      routes: [{ dst: '0.0.0.0/0', priority: 5 }],
    };
    expect(parseResult(raw, '0.3.0', W).toJSON()).toStrictEqual({
      cniVersion: '0.3.0',
      interfaces: [{ name: 'eth0' }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
  });
});
