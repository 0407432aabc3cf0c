import { cidrFamily, ipFamily, parseCidr } from '../../../../src/core/result/ip-cidr';

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

describe('parseCidr', () => {
  test.each([
    ['10.0.0.5/24', 4, 24],
    ['0.0.0.0/0', 4, 0],
    ['10.0.0.5/32', 4, 32],
    ['::/0', 6, 0],
    ['2001:db8::5/128', 6, 128],
  ])('%p is family %p, prefix %p', (text, family, prefix) => {
    expect(parseCidr(text)).toStrictEqual({ address: text, family, prefix });
  });

  test.each(['10.0.0.5', '10.0.0.5/33', '2001:db8::5/129', '10.0.0.5/', '10.0.0.5/-1', '10.0.0.5/2a', 'x/24', '/24', 'fe80::1%eth0/64', '10.0.0.5/24/1'])(
    '%p is not a CIDR address',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});

describe('cidrFamily', () => {
  test('returns the family of a valid CIDR and throws on anything else', () => {
    expect(cidrFamily('fd00::/8')).toBe(6);
    expect(() => cidrFamily('nope')).toThrow('not a CIDR address: "nope"');
  });
});
