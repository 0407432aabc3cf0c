/**
 * The list shape that 0.3.0 and every later version share: `interfaces`, `ips`, one flat
 * `routes` list and `dns`. The versions differ only in what one interface and one IP hold, so
 * reading, writing and copying the shape is written once here and the versions pass those in.
 */
import type { FieldReader, JsonObject } from './field-reader';
import type { Dns, Route } from './result-common';
import { compact, copyDns, dnsJson, mapNonEmpty, readDns, readRoutes, routeJson } from './result-common';

/** An `ips[i]` as 1.0.0 has it; 0.3.x/0.4.0 add `version`. */
export interface ListIpConfig {
  /** Index into `interfaces`; IPAM plugins leave it out. */
  readonly interface?: number;
  readonly address: string;
  readonly gateway?: string;
}

/** A list-shaped result of version family `V`, with interfaces `I` and IPs `P`. */
export interface ListResultData<V, I, P> {
  readonly cniVersion: V;
  readonly interfaces?: readonly I[];
  readonly ips?: readonly P[];
  readonly routes?: readonly Route[];
  readonly dns?: Dns;
}

/** How one version reads its interfaces and IPs, and whether it reads the 1.1.0 route attributes. */
export interface ListReaders<I, P> {
  readonly readInterface: (value: unknown, path: string) => I;
  readonly readIp: (value: unknown, path: string, interfaceCount: number) => P;
  readonly extendedRoutes: boolean;
}

/** Read a list-shaped result whose `cniVersion` was already resolved to `version`. */
export function readListResult<V, I, P>(
  o: JsonObject,
  version: V,
  r: FieldReader,
  readers: ListReaders<I, P>,
): ListResultData<V, I, P> {
  const interfaces = r.optArray(o.interfaces, 'result.interfaces') ?? [];
  const ips = r.optArray(o.ips, 'result.ips') ?? [];
  return compact({
    cniVersion: version,
    interfaces: mapNonEmpty(interfaces, (x, i) => readers.readInterface(x, `result.interfaces[${i}]`)),
    ips: mapNonEmpty(ips, (x, i) => readers.readIp(x, `result.ips[${i}]`, interfaces.length)),
    routes: readRoutes(o.routes, 'result.routes', r, readers.extendedRoutes),
    dns: readDns(o.dns, 'result.dns', r),
  });
}

/** How one version writes its interfaces and IPs, and whether it writes the 1.1.0 route attributes. */
export interface ListWriters<I, P> {
  readonly interfaceJson: (i: I) => Record<string, unknown>;
  readonly ipJson: (ip: P) => Record<string, unknown>;
  readonly extendedRoutes: boolean;
}

/** A list-shaped result as JSON, empty fields omitted. */
export function listResultJson<V, I, P>(
  d: ListResultData<V, I, P>,
  writers: ListWriters<I, P>,
): Record<string, unknown> {
  return compact({
    cniVersion: d.cniVersion,
    interfaces: mapNonEmpty(d.interfaces, writers.interfaceJson),
    ips: mapNonEmpty(d.ips, writers.ipJson),
    routes: mapNonEmpty(d.routes, (route) => routeJson(route, writers.extendedRoutes)),
    dns: dnsJson(d.dns),
  });
}

/** What a copy does to each interface, IP and route (relabelling, or converting between families). */
export interface ListMappers<I, P, J, Q> {
  readonly mapInterface: (i: I) => J;
  readonly mapIp: (ip: P) => Q;
  readonly mapRoute: (route: Route) => Route;
}

/** A copy of a list-shaped result labelled `to`, each item mapped; never shares arrays with `d`. */
export function copyListResult<V, I, P, J, Q>(
  d: ListResultData<unknown, I, P>,
  to: V,
  mappers: ListMappers<I, P, J, Q>,
): ListResultData<V, J, Q> {
  return compact({
    cniVersion: to,
    interfaces: mapNonEmpty(d.interfaces, mappers.mapInterface),
    ips: mapNonEmpty(d.ips, mappers.mapIp),
    routes: mapNonEmpty(d.routes, mappers.mapRoute),
    dns: copyDns(d.dns),
  });
}
