/**
 * The 0.1.0/0.2.0 result shape: at most one IPv4 and one IPv6 configuration, each carrying its
 * own routes, and no interfaces. Old delegates (and old runtimes) still speak it, so Multus must
 * both read it and produce it.
 */
import { FieldReader, type JsonObject } from './field-reader';
import {
  compact,
  copyDns,
  type Dns,
  dnsJson,
  mapNonEmpty,
  readDns,
  readRoutes,
  type Route,
  routeJson,
  type Version020,
} from './result-common';

/** `ip4` or `ip6` of a 0.2.0 result. Routes are only `{dst, gw?}` in this version. */
export interface IpConfig020 {
  readonly ip: string;
  readonly gateway?: string;
  readonly routes?: readonly Route[];
}

export interface Result020Data {
  readonly cniVersion: Version020;
  readonly ip4?: IpConfig020;
  readonly ip6?: IpConfig020;
  readonly dns?: Dns;
}

function readIpConfig(value: unknown, path: string, family: 4 | 6, r: FieldReader): IpConfig020 | undefined {
  const o = r.optObject(value, path);
  if (o === undefined) return undefined;
  const cidr = r.cidr(o.ip, `${path}.ip`);
  if (cidr.family !== family) {
    throw r.fail(`${path}.ip`, `must be an IPv${family} address with prefix (CIDR)`, o.ip);
  }
  return compact({
    ip: cidr.address,
    gateway: r.optIp(o.gateway, `${path}.gateway`),
    routes: readRoutes(o.routes, `${path}.routes`, r, false),
  });
}

/** Read a 0.1.0/0.2.0 result whose `cniVersion` was already resolved to `version`. */
export function read020(o: JsonObject, version: Version020, r: FieldReader): Result020Data {
  return compact({
    cniVersion: version,
    ip4: readIpConfig(o.ip4, 'result.ip4', 4, r),
    ip6: readIpConfig(o.ip6, 'result.ip6', 6, r),
    dns: readDns(o.dns, 'result.dns', r),
  });
}

function ipConfigJson(ipc: IpConfig020 | undefined): Record<string, unknown> | undefined {
  if (ipc === undefined) return undefined;
  return compact({
    ip: ipc.ip,
    gateway: ipc.gateway === '' ? undefined : ipc.gateway,
    routes: mapNonEmpty(ipc.routes, (route) => routeJson(route, false)),
  });
}

/** The result as 0.1.0/0.2.0 JSON, empty fields omitted. */
export function json020(d: Result020Data): Record<string, unknown> {
  return compact({
    cniVersion: d.cniVersion,
    ip4: ipConfigJson(d.ip4),
    ip6: ipConfigJson(d.ip6),
    dns: dnsJson(d.dns),
  });
}

/** A deep copy relabelled as `to` (0.1.0 and 0.2.0 results are identical but for the label). */
export function relabel020(d: Result020Data, to: Version020): Result020Data {
  const copyIpc = (ipc: IpConfig020 | undefined): IpConfig020 | undefined =>
    ipc === undefined ? undefined : compact({ ...ipc, routes: mapNonEmpty(ipc.routes, (x) => ({ ...x })) });
  return compact({ cniVersion: to, ip4: copyIpc(d.ip4), ip6: copyIpc(d.ip6), dns: copyDns(d.dns) });
}
