import { cidrFamily, ipFamily, parseCidr } from '../../../../src/core/result/ip-cidr';
import { CIDRS, NOT_CIDRS } from '../cidr-cases';

describe('ipFamily', () => {
  test.each([
    ['10.0.0.1', 4],
    ['255.255.255.255', 4],
    ['::', 6],
    ['2001:db8::1', 6],
    ['::ffff:10.0.0.1', 6],
    ['fe80::1%eth0', undefined],
    ['10.0.0.256', undefined],
    ['10.0.0.1/24', undefined],
    ['', undefined],
    ['host.example', undefined],
  ])('%p -> %p', (text, family) => {
    expect(ipFamily(text)).toBe(family);
  });
});

describe('parseCidr: the one CIDR rule', () => {
  test.each(CIDRS)('%p is family %p, prefix %p', (text, family, prefix) => {
    expect(parseCidr(text)).toStrictEqual({ address: text, family, prefix });
  });

  test.each(NOT_CIDRS)('%p is not a CIDR address: %s', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('cidrFamily', () => {
  test('returns the family of a valid CIDR and throws on anything else', () => {
    expect(cidrFamily('fd00::/8')).toBe(6);
    expect(() => cidrFamily('nope')).toThrow('not a CIDR address: "nope"');
  });
});
