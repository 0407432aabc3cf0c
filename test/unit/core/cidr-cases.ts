/**
 * The one CIDR rule (`parseCidr` in src/core/result/ip-cidr.ts), as a table every reader of
 * CIDRs is tested against: config validators, selection annotations and delegate results.
 * `[text, family, prefix]` for accepted text; `[text, undefined, why]` for refused text.
 */
export type CidrCase =
  readonly [text: string, family: 4 | 6, prefix: number] | readonly [text: string, family: undefined, why: string];

export const CIDR_CASES: readonly CidrCase[] = [
  ['10.0.0.5/24', 4, 24],
  ['0.0.0.0/0', 4, 0],
  ['10.0.0.5/32', 4, 32],
  ['10.0.0.0/024', 4, 24], // Go's dtoi reads leading zeros in the prefix
  ['::/0', 6, 0],
  ['fd00::/8', 6, 8],
  ['2001:db8::5/128', 6, 128],
  ['::ffff:10.0.0.1/96', 6, 96],
  ['fe80::1%eth0/64', undefined, 'zoned IPv6 (Go ParseCIDR refuses a zone)'],
  ['fe80::%1/64', undefined, 'numeric zone'],
  ['10.0.0.5', undefined, 'no prefix'],
  ['10.0.0.5/33', undefined, 'IPv4 prefix over 32'],
  ['2001:db8::5/129', undefined, 'IPv6 prefix over 128'],
  ['10.0.0.5/', undefined, 'empty prefix'],
  ['10.0.0.5/-1', undefined, 'signed prefix'],
  ['10.0.0.5/+8', undefined, 'signed prefix'],
  ['10.0.0.5/2a', undefined, 'prefix not decimal'],
  ['10.0.0.5/ 24', undefined, 'space in the prefix'],
  ['10.0.0.5/0024', undefined, 'prefix of more than 3 digits'],
  ['10.0.0.5/24/1', undefined, "more than one '/'"],
  ['010.0.0.5/24', undefined, 'IPv4 leading zero'],
  ['10.0.0.256/24', undefined, 'IPv4 octet over 255'],
  [' 10.0.0.5/24', undefined, 'leading space'],
  ['x/24', undefined, 'not an address'],
  ['/24', undefined, 'no address'],
  ['', undefined, 'empty'],
];

/** The accepted rows: `[text, family, prefix]`. */
export const CIDRS = CIDR_CASES.flatMap((c) => (c[1] === undefined ? [] : [[c[0], c[1], c[2]] as const]));

/** The refused rows: `[text, why]`. */
export const NOT_CIDRS = CIDR_CASES.flatMap((c) => (c[1] === undefined ? [[c[0], c[2]] as const] : []));
