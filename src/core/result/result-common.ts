/**
 * Pieces shared by the three result families: the version families themselves, routes and DNS.
 * Serializers here mirror Go's `encoding/json` with `omitempty`, so the JSON we hand to a runtime
 * or to the next delegate is byte-for-byte what a Go plugin would print for the same data.
 */
import type { CniVersion } from '../version';
import { FieldReader } from './field-reader';

/** 0.1.0 and 0.2.0 share one result shape (`ip4`, `ip6`, `dns`). */
export type Version020 = Extract<CniVersion, '0.1.0' | '0.2.0'>;
/** 0.3.0 to 0.4.0 share one result shape (`interfaces`, `ips` with `version`, `routes`, `dns`). */
export type Version040 = Extract<CniVersion, '0.3.0' | '0.3.1' | '0.4.0'>;
/** 1.0.0 and 1.1.0 share one result shape; 1.1.0 adds optional interface and route fields. */
export type Version100 = Extract<CniVersion, '1.0.0' | '1.1.0'>;

export type ResultFamily = '020' | '040' | '100';

export function is020(v: CniVersion): v is Version020 {
  return v === '0.1.0' || v === '0.2.0';
}

export function is040(v: CniVersion): v is Version040 {
  return v === '0.3.0' || v === '0.3.1' || v === '0.4.0';
}

export function is100(v: CniVersion): v is Version100 {
  return v === '1.0.0' || v === '1.1.0';
}

/** Which result shape a spec version uses. */
export function familyOf(v: CniVersion): ResultFamily {
  if (is020(v)) return '020';
  return is040(v) ? '040' : '100';
}

/**
 * A route. `dst`/`gw` exist in every version; the rest were added by spec 1.1.0 and are only
 * read from, and written to, 1.1.0 results.
 */
export interface Route {
  readonly dst: string;
  readonly gw?: string;
  readonly mtu?: number;
  readonly advmss?: number;
  readonly priority?: number;
  readonly table?: number;
  readonly scope?: number;
}

export interface Dns {
  readonly nameservers?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

/**
 * A copy of `entries` without the keys whose value is undefined: how Go's omitempty looks here,
 * and why `toJSON()` never prints `"gw": undefined`-style holes or nulls.
 */
export function compact<T extends object>(entries: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

/** undefined for an absent or empty list, so an empty list is never written (omitempty). */
export function nonEmpty<T>(items: readonly T[] | undefined): T[] | undefined {
  return items === undefined || items.length === 0 ? undefined : [...items];
}

/** Like `nonEmpty`, mapping each item. */
export function mapNonEmpty<T, U>(items: readonly T[] | undefined, fn: (item: T, index: number) => U): U[] | undefined {
  return items === undefined || items.length === 0 ? undefined : items.map(fn);
}

function positive(n: number | undefined): number | undefined {
  return n === undefined || n === 0 ? undefined : n;
}

/** Read `routes`; `extended` reads the 1.1.0 route attributes, otherwise they are ignored. */
export function readRoutes(value: unknown, path: string, r: FieldReader, extended: boolean): Route[] | undefined {
  const items = r.optArray(value, path);
  if (items === undefined || items.length === 0) return undefined;
  return items.map((item, i) => readRoute(item, `${path}[${i}]`, r, extended));
}

function readRoute(value: unknown, path: string, r: FieldReader, extended: boolean): Route {
  const o = r.object(value, path);
  const base = { dst: r.cidr(o.dst, `${path}.dst`).address, gw: r.optIp(o.gw, `${path}.gw`) };
  if (!extended) return compact(base);
  return compact({
    ...base,
    mtu: r.optUint(o.mtu, `${path}.mtu`, true),
    advmss: r.optUint(o.advmss, `${path}.advmss`, true),
    priority: r.optUint(o.priority, `${path}.priority`, true),
    table: r.optUint(o.table, `${path}.table`, false),
    scope: r.optUint(o.scope, `${path}.scope`, false),
  });
}

/** A route as JSON; the 1.1.0 attributes only when `extended`. Key order follows Go's struct. */
export function routeJson(route: Route, extended: boolean): Record<string, unknown> {
  const base = { dst: route.dst, gw: route.gw === '' ? undefined : route.gw };
  if (!extended) return compact(base);
  return compact({
    ...base,
    mtu: positive(route.mtu),
    advmss: positive(route.advmss),
    priority: positive(route.priority),
    table: route.table,
    scope: route.scope,
  });
}

/** A route with only the fields every spec version knows (for results older than 1.1.0). */
export function basicRoute(route: Route): Route {
  return route.gw === undefined ? { dst: route.dst } : { dst: route.dst, gw: route.gw };
}

/** Read `dns`; undefined when absent or when every field is empty. */
export function readDns(value: unknown, path: string, r: FieldReader): Dns | undefined {
  const o = r.optObject(value, path);
  if (o === undefined) return undefined;
  const dns: Dns = compact({
    nameservers: r.optStringList(o.nameservers, `${path}.nameservers`),
    domain: r.optString(o.domain, `${path}.domain`),
    search: r.optStringList(o.search, `${path}.search`),
    options: r.optStringList(o.options, `${path}.options`),
  });
  return Object.keys(dns).length === 0 ? undefined : dns;
}

/**
 * DNS as JSON, or undefined when empty: Go's `omitempty` does not drop an empty struct, but the
 * Go result types special-case it (types100 `MarshalJSON`), and we do the same for every version.
 */
export function dnsJson(dns: Dns | undefined): Record<string, unknown> | undefined {
  if (dns === undefined) return undefined;
  const json = compact({
    nameservers: nonEmpty(dns.nameservers),
    domain: dns.domain === '' ? undefined : dns.domain,
    search: nonEmpty(dns.search),
    options: nonEmpty(dns.options),
  });
  return Object.keys(json).length === 0 ? undefined : json;
}

/** A deep copy of DNS, so converted results never share arrays with their source. */
export function copyDns(dns: Dns | undefined): Dns | undefined {
  if (dns === undefined) return undefined;
  return compact({
    nameservers: nonEmpty(dns.nameservers),
    domain: dns.domain,
    search: nonEmpty(dns.search),
    options: nonEmpty(dns.options),
  });
}
