/**
 * Address checks for CNI results. Delegates print addresses as strings; we validate them once,
 * at the boundary, so converters can rely on a known address family (the 0.2.0 down-conversion
 * and the 0.4.0 `version` field both depend on it).
 */
import { isIP } from 'node:net';

export type IpFamily = 4 | 6;

/** A validated `ip/prefix` string and its family. */
export interface Cidr {
  readonly address: string;
  readonly family: IpFamily;
  readonly prefix: number;
}

/**
 * The family of a bare IP address, or undefined when it is not one. Zoned IPv6 addresses
 * (`fe80::1%eth0`) are rejected because Go's `net.ParseIP`, which every Go delegate uses, does.
 */
export function ipFamily(text: string): IpFamily | undefined {
  if (text.includes('%')) return undefined;
  const family = isIP(text);
  return family === 4 || family === 6 ? family : undefined;
}

/**
 * Parse `ip/prefix` as Go's `net.ParseCIDR` accepts it; undefined when malformed. The one CIDR
 * rule of multus-ts (configs, selection annotations and delegate results all use it): an
 * address {@link ipFamily} accepts (so no zone: Go refuses `fe80::1%eth0/64` too), one '/', and
 * a decimal prefix of at most 3 digits within the family's range (0-32 or 0-128).
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const family = ipFamily(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (family === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address: text, family, prefix };
}

/** The family of a CIDR string already known to be valid (used by converters). */
export function cidrFamily(text: string): IpFamily {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`not a CIDR address: ${JSON.stringify(text)}`);
  return cidr.family;
}
