/**
 * The 1.0.0/1.1.0 result shape: like 0.4.0 but IPs carry no `version`. Spec 1.1.0 added
 * optional interface fields (`mtu`, `socketPath`, `pciID`) and route attributes (`mtu`,
 * `advmss`, `priority`, `table`, `scope`); a 1.0.0 result never carries them, so a runtime that
 * asked for 1.0.0 never sees a field it does not know.
 */
import { FieldReader, type JsonObject } from './field-reader';
import { basicInterface, basicInterfaceJson, type Interface040, readBasicInterface } from './result-040';
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
  type Version100,
} from './result-common';

/** An interface; the fields beyond `Interface040` are 1.1.0 only. */
export interface Interface100 extends Interface040 {
  readonly mtu?: number;
  readonly socketPath?: string;
  readonly pciID?: string;
}

export interface IpConfig100 {
  /** Index into `interfaces`; IPAM plugins leave it out. */
  readonly interface?: number;
  readonly address: string;
  readonly gateway?: string;
}

export interface Result100Data {
  readonly cniVersion: Version100;
  readonly interfaces?: readonly Interface100[];
  readonly ips?: readonly IpConfig100[];
  readonly routes?: readonly Route[];
  readonly dns?: Dns;
}

function readInterface(value: unknown, path: string, extended: boolean, r: FieldReader): Interface100 {
  const o = r.object(value, path);
  const basic = readBasicInterface(o, path, r);
  if (!extended) return basic;
  return compact({
    name: basic.name,
    mac: basic.mac,
    mtu: r.optUint(o.mtu, `${path}.mtu`, true),
    sandbox: basic.sandbox,
    socketPath: r.optString(o.socketPath, `${path}.socketPath`),
    pciID: r.optString(o.pciID, `${path}.pciID`),
  });
}

/** `ips[i]`; a stray `version` key (0.4.0 habit) is ignored, as Go ignores unknown keys. */
function readIp(value: unknown, path: string, interfaceCount: number, r: FieldReader): IpConfig100 {
  const o = r.object(value, path);
  return compact({
    interface: r.optIndex(o.interface, `${path}.interface`, interfaceCount),
    address: r.cidr(o.address, `${path}.address`).address,
    gateway: r.optIp(o.gateway, `${path}.gateway`),
  });
}

/**
 * Read a 1.0.0/1.1.0 result whose `cniVersion` was already resolved to `version`. The 1.1.0
 * fields are read (and validated) only for 1.1.0; in a 1.0.0 result they are unknown keys.
 */
export function read100(o: JsonObject, version: Version100, r: FieldReader): Result100Data {
  const extended = version === '1.1.0';
  const interfaces = r.optArray(o.interfaces, 'result.interfaces') ?? [];
  const ips = r.optArray(o.ips, 'result.ips') ?? [];
  return compact({
    cniVersion: version,
    interfaces: mapNonEmpty(interfaces, (x, i) => readInterface(x, `result.interfaces[${i}]`, extended, r)),
    ips: mapNonEmpty(ips, (x, i) => readIp(x, `result.ips[${i}]`, interfaces.length, r)),
    routes: readRoutes(o.routes, 'result.routes', r, extended),
    dns: readDns(o.dns, 'result.dns', r),
  });
}

function interfaceJson(i: Interface100, extended: boolean): Record<string, unknown> {
  if (!extended) return basicInterfaceJson(i);
  return compact({
    name: i.name,
    mac: i.mac === '' ? undefined : i.mac,
    mtu: i.mtu === 0 ? undefined : i.mtu,
    sandbox: i.sandbox === '' ? undefined : i.sandbox,
    socketPath: i.socketPath === '' ? undefined : i.socketPath,
    pciID: i.pciID === '' ? undefined : i.pciID,
  });
}

/** The result as 1.0.0/1.1.0 JSON; 1.1.0-only fields are written for 1.1.0 only. */
export function json100(d: Result100Data): Record<string, unknown> {
  const extended = d.cniVersion === '1.1.0';
  return compact({
    cniVersion: d.cniVersion,
    interfaces: mapNonEmpty(d.interfaces, (i) => interfaceJson(i, extended)),
    ips: mapNonEmpty(d.ips, (ip) =>
      compact({ interface: ip.interface, address: ip.address, gateway: ip.gateway === '' ? undefined : ip.gateway }),
    ),
    routes: mapNonEmpty(d.routes, (route) => routeJson(route, extended)),
    dns: dnsJson(d.dns),
  });
}

/**
 * A deep copy relabelled as `to`. Going to 1.0.0 drops the 1.1.0-only fields (Go keeps them,
 * but a 1.0.0 consumer may reject unknown keys, and the spec does not define them there).
 */
export function relabel100(d: Result100Data, to: Version100): Result100Data {
  const keep = to === '1.1.0';
  return compact({
    cniVersion: to,
    interfaces: mapNonEmpty(d.interfaces, (i) => (keep ? { ...i } : basicInterface(i))),
    ips: mapNonEmpty(d.ips, (ip) => ({ ...ip })),
    routes: mapNonEmpty(d.routes, (route) => (keep ? { ...route } : basicRoute(route))),
    dns: copyDns(d.dns),
  });
}
