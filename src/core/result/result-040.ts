/**
 * The 0.3.0/0.3.1/0.4.0 result shape: interfaces, a list of IPs each tagged with `version`
 * ("4"/"6") and an optional interface index, a flat route list and DNS.
 */
import { cidrFamily } from './ip-cidr';
import { FieldReader, type JsonObject } from './field-reader';
import { basicRoute, compact, type Version040 } from './result-common';
import { copyListResult, type ListIpConfig, listResultJson, type ListResultData, readListResult } from './result-list';

/** An interface as 0.3.x/0.4.0 knows it. */
export interface Interface040 {
  readonly name: string;
  readonly mac?: string;
  readonly sandbox?: string;
}

export interface IpConfig040 extends ListIpConfig {
  readonly version: '4' | '6';
}

export type Result040Data = ListResultData<Version040, Interface040, IpConfig040>;

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
  return readListResult(o, version, r, {
    readInterface: (x, path) => readBasicInterface(x, path, r),
    readIp: (x, path, interfaceCount) => readIp(x, path, interfaceCount, r),
    extendedRoutes: false,
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
  return listResultJson(d, {
    interfaceJson: basicInterfaceJson,
    ipJson: (ip) =>
      compact({
        version: ip.version,
        interface: ip.interface,
        address: ip.address,
        gateway: ip.gateway === '' ? undefined : ip.gateway,
      }),
    extendedRoutes: false,
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
  return copyListResult(d, to, {
    mapInterface: basicInterface,
    mapIp: (ip) => ({ ...ip, version: ipVersionOf(ip.address) }),
    mapRoute: basicRoute,
  });
}
