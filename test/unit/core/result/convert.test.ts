import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CniCode, CniError } from '../../../../src/core/errors';
import {
  convertResult,
  findConverter,
  type CniResult,
  parseResult,
  Result020,
  Result040,
  Result100,
  RESULT_CONVERTERS,
  type ResultData,
} from '../../../../src/core/result';
import { type CniVersion, SUPPORTED_VERSIONS } from '../../../../src/core/version';

/** One fixture per source version: a representative input and its golden JSON per target. */
interface Golden {
  input: Record<string, unknown>;
  expected: Record<CniVersion, Record<string, unknown>>;
}

const FIXTURES = path.join(__dirname, '../../../fixtures/results');
const golden = (from: CniVersion): Golden =>
  JSON.parse(readFileSync(path.join(FIXTURES, `from-${from}.json`), 'utf8')) as Golden;

const PAIRS: Array<[CniVersion, CniVersion]> = SUPPORTED_VERSIONS.flatMap((from) =>
  SUPPORTED_VERSIONS.map((to): [CniVersion, CniVersion] => [from, to]),
);
const WHERE = 'delegate "macvlan"';

function dataOf(result: CniResult): ResultData {
  if (result instanceof Result020 || result instanceof Result040 || result instanceof Result100) return result.data;
  throw new Error('not one of the result classes');
}

/** Compare values and the key order Go would print (JSON.stringify keeps insertion order). */
function expectGolden(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(actual).toStrictEqual(expected);
  expect(JSON.stringify(actual, null, 2)).toBe(JSON.stringify(expected, null, 2));
}

describe('RESULT_CONVERTERS', () => {
  test('has exactly one entry per (from, to) pair of the supported versions', () => {
    expect(RESULT_CONVERTERS.size).toBe(49);
    expect([...RESULT_CONVERTERS.keys()].sort()).toEqual(PAIRS.map(([f, t]) => `${f}->${t}`).sort());
  });

  test.each(PAIRS)('%s -> %s entry yields data labelled with the target version', (from, to) => {
    const data = dataOf(parseResult(golden(from).input, from, WHERE));
    expect(findConverter(from, to)(data, WHERE).cniVersion).toBe(to);
  });

  test('an entry given data of the wrong family fails as an internal error', () => {
    const data: ResultData = { cniVersion: '1.0.0' };
    expect(() => findConverter('0.2.0', '0.4.0')(data, WHERE)).toThrow(
      expect.objectContaining({ code: CniCode.Internal }),
    );
  });
});

describe('golden conversions', () => {
  test.each(PAIRS)('%s -> %s', (from, to) => {
    const { input, expected } = golden(from);
    const result = parseResult(input, '0.1.0', WHERE);
    expect(result.version).toBe(from);
    const converted = result.asVersion(to);
    expect(converted.version).toBe(to);
    expectGolden(converted.toJSON(), expected[to]);
  });

  test.each(PAIRS)('%s -> %s via convertResult', (from, to) => {
    const { input, expected } = golden(from);
    expectGolden(convertResult(input, to, '0.1.0', WHERE), expected[to]);
  });

  test.each(PAIRS)('golden output %s -> %s is itself a valid result that re-parses unchanged', (from, to) => {
    const out = golden(from).expected[to];
    expectGolden(parseResult(out, '0.1.0', WHERE).toJSON(), out);
  });

  test.each(SUPPORTED_VERSIONS)('converting a %s result leaves its input and its JSON untouched', (from) => {
    const { input } = golden(from);
    const before = JSON.stringify(input);
    const result = parseResult(input, '0.1.0', WHERE);
    const json = result.toJSON();
    for (const to of SUPPORTED_VERSIONS) {
      const out = result.asVersion(to).toJSON();
      (out as { cniVersion: string }).cniVersion = 'mutated';
    }
    (json as { cniVersion: string }).cniVersion = 'mutated';
    expect(JSON.stringify(input)).toBe(before);
    expect(result.toJSON()).toStrictEqual(input);
  });
});

describe('down-conversion to 0.1.0/0.2.0', () => {
  const noIps: Array<[CniVersion, Record<string, unknown>]> = [
    ['0.3.1', { interfaces: [{ name: 'eth0' }], dns: { nameservers: ['10.0.0.10'] } }],
    ['0.4.0', { interfaces: [{ name: 'eth0', sandbox: '/var/run/netns/x' }], routes: [{ dst: '0.0.0.0/0' }] }],
    ['1.0.0', { interfaces: [{ name: 'eth0' }] }],
    ['1.1.0', { interfaces: [{ name: 'vhost0', socketPath: '/run/vhost.sock' }] }],
  ];

  test.each(noIps)('a %s result without IP addresses cannot become 0.2.0 (code 1, names where)', (from, body) => {
    const result = parseResult({ cniVersion: from, ...body }, from, WHERE);
    let caught: unknown;
    try {
      result.asVersion('0.2.0');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CniError);
    expect(caught).toMatchObject({
      code: CniCode.IncompatibleVersion,
      msg: `${WHERE}: cannot convert a result without IP addresses to 0.2.0`,
    });
  });

  test('names the requested target version (0.1.0) too', () => {
    expect(() => convertResult({ cniVersion: '1.0.0' }, '0.1.0', '1.0.0', WHERE)).toThrow(
      `${WHERE}: cannot convert a result without IP addresses to 0.1.0`,
    );
  });

  test('an IPv6-only result keeps ip6 and loses IPv4 routes', () => {
    const raw = {
      cniVersion: '1.0.0',
      ips: [{ address: 'fd00::5/64', gateway: 'fd00::1' }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }, { dst: '::/0' }],
    };
    expectGolden(convertResult(raw, '0.2.0', '1.0.0', WHERE), {
      cniVersion: '0.2.0',
      ip6: { ip: 'fd00::5/64', gateway: 'fd00::1', routes: [{ dst: '::/0' }] },
    });
  });

  test('a 0.2.0 result without IP addresses stays convertible between 0.1.0 and 0.2.0 and upwards', () => {
    const raw = { cniVersion: '0.2.0', dns: { domain: 'example.local' } };
    expectGolden(convertResult(raw, '0.1.0', '0.2.0', WHERE), {
      cniVersion: '0.1.0',
      dns: { domain: 'example.local' },
    });
    expectGolden(convertResult(raw, '1.1.0', '0.2.0', WHERE), {
      cniVersion: '1.1.0',
      dns: { domain: 'example.local' },
    });
  });
});

describe('up-conversion from 0.1.0/0.2.0', () => {
  test('an ip6-only result becomes one ips entry with no interface index', () => {
    const raw = { cniVersion: '0.1.0', ip6: { ip: 'fd00::5/64', routes: [{ dst: '::/0', gw: 'fd00::1' }] } };
    expectGolden(convertResult(raw, '0.4.0', '0.1.0', WHERE), {
      cniVersion: '0.4.0',
      ips: [{ version: '6', address: 'fd00::5/64' }],
      routes: [{ dst: '::/0', gw: 'fd00::1' }],
    });
  });
});
