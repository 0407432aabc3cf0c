/**
 * The 0.3.0/0.3.1/0.4.0 result shape: interfaces, a list of IPs each tagged with `version`
 * ("4"/"6") and an optional interface index, a flat route list and DNS.
 */
import { cidrFamily } from './ip-cidr';
import { FieldReader, type JsonObject } from './field-reader';
import {
  basicRoute,
  compact,
  copyDns,
  type Dns,
  dnsJson,
  mapNonEmpty,
  readDns,
  readRoutes,
  type Route,
  routeJson,
  type Version040,
} from './result-common';

/** An interface as 0.3.x/0.4.0 knows it. */
export interface Interface040 {
  readonly name: string;
  readonly mac?: string;
  readonly sandbox?: string;
}

export interface IpConfig040 {
  readonly version: '4' | '6';
  /** Index into `interfaces`; IPAM plugins leave it out. */
  readonly interface?: number;
  readonly address: string;
  readonly gateway?: string;
}

export interface Result040Data {
  readonly cniVersion: Version040;
  readonly interfaces?: readonly Interface040[];
  readonly ips?: readonly IpConfig040[];
  readonly routes?: readonly Route[];
  readonly dns?: Dns;
}

/** Read `interfaces[i]` fields common to 0.3.0 and later. */
export function readBasicInterface(value: unknown, path: string, r: FieldReader): Interface040 {
  const o = r.object(value, path);
  return compact({
    name: r.string(o.name, `${path}.name`),
    mac: r.optString(o.mac, `${path}.mac`),
    sandbox: r.optString(o.sandbox, `${path}.sandbox`),
  });
}

/**
 * Read one `ips[i]`. A missing `version` is derived from the address (lenient, as Go is); a
 * present one must be "4" or "6" and match the address, since converters trust it.
 */
function readIp(value: unknown, path: string, interfaceCount: number, r: FieldReader): IpConfig040 {
  const o = r.object(value, path);
  const cidr = r.cidr(o.address, `${path}.address`);
  const derived = cidr.family === 4 ? '4' : '6';
  if (o.version !== undefined && o.version !== null) {
    if (o.version !== '4' && o.version !== '6') throw r.fail(`${path}.version`, 'must be "4" or "6"', o.version);
    if (o.version !== derived) {
      const expectation = `must match the address family of ${JSON.stringify(cidr.address)} ("${derived}")`;
      throw r.fail(`${path}.version`, expectation, o.version);
    }
  }
  return compact({
    version: derived,
    interface: r.optIndex(o.interface, `${path}.interface`, interfaceCount),
    address: cidr.address,
    gateway: r.optIp(o.gateway, `${path}.gateway`),
  });
}

/** Read a 0.3.x/0.4.0 result whose `cniVersion` was already resolved to `version`. */
export function read040(o: JsonObject, version: Version040, r: FieldReader): Result040Data {
  const interfaces = r.optArray(o.interfaces, 'result.interfaces') ?? [];
  const ips = r.optArray(o.ips, 'result.ips') ?? [];
  return compact({
    cniVersion: version,
    interfaces: mapNonEmpty(interfaces, (x, i) => readBasicInterface(x, `result.interfaces[${i}]`, r)),
    ips: mapNonEmpty(ips, (x, i) => readIp(x, `result.ips[${i}]`, interfaces.length, r)),
    routes: readRoutes(o.routes, 'result.routes', r, false),
    dns: readDns(o.dns, 'result.dns', r),
  });
}

/** An interface as JSON with only the 0.3.0+ fields. */
export function basicInterfaceJson(i: Interface040): Record<string, unknown> {
  return compact({
    name: i.name,
    mac: i.mac === '' ? undefined : i.mac,
    sandbox: i.sandbox === '' ? undefined : i.sandbox,
  });
}

/** The result as 0.3.x/0.4.0 JSON, empty fields omitted. */
export function json040(d: Result040Data): Record<string, unknown> {
  return compact({
    cniVersion: d.cniVersion,
    interfaces: mapNonEmpty(d.interfaces, basicInterfaceJson),
    ips: mapNonEmpty(d.ips, (ip) =>
      compact({
        version: ip.version,
        interface: ip.interface,
        address: ip.address,
        gateway: ip.gateway === '' ? undefined : ip.gateway,
      }),
    ),
    routes: mapNonEmpty(d.routes, (route) => routeJson(route, false)),
    dns: dnsJson(d.dns),
  });
}

/** The `version` field for an address: derived, never trusted from hand-built data. */
export function ipVersionOf(address: string): '4' | '6' {
  return cidrFamily(address) === 4 ? '4' : '6';
}

/** An interface reduced to the 0.3.0+ fields (drops 1.1.0's mtu, socketPath, pciID). */
export function basicInterface(i: Interface040): Interface040 {
  return compact({ name: i.name, mac: i.mac, sandbox: i.sandbox });
}

/** A deep copy relabelled as `to`; the three versions share one shape. */
export function relabel040(d: Result040Data, to: Version040): Result040Data {
  return compact({
    cniVersion: to,
    interfaces: mapNonEmpty(d.interfaces, basicInterface),
    ips: mapNonEmpty(d.ips, (ip) => ({ ...ip, version: ipVersionOf(ip.address) })),
    routes: mapNonEmpty(d.routes, basicRoute),
    dns: copyDns(d.dns),
  });
}
