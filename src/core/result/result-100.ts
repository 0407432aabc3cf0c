/**
 * The 1.0.0/1.1.0 result shape: like 0.4.0 but IPs carry no `version`. Spec 1.1.0 added
 * optional interface fields (`mtu`, `socketPath`, `pciID`) and route attributes (`mtu`,
 * `advmss`, `priority`, `table`, `scope`); a 1.0.0 result never carries them, so a runtime that
 * asked for 1.0.0 never sees a field it does not know.
 */
import { FieldReader, type JsonObject } from './field-reader';
import { basicInterface, basicInterfaceJson, type Interface040, readBasicInterface } from './result-040';
import { basicRoute, compact, type Version100 } from './result-common';
import { copyListResult, type ListIpConfig, listResultJson, type ListResultData, readListResult } from './result-list';

/** An interface; the fields beyond `Interface040` are 1.1.0 only. */
export interface Interface100 extends Interface040 {
  readonly mtu?: number;
  readonly socketPath?: string;
  readonly pciID?: string;
}

export type IpConfig100 = ListIpConfig;

export type Result100Data = ListResultData<Version100, Interface100, IpConfig100>;

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
  return readListResult(o, version, r, {
    readInterface: (x, path) => readInterface(x, path, extended, r),
    readIp: (x, path, interfaceCount) => readIp(x, path, interfaceCount, r),
    extendedRoutes: extended,
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
  return listResultJson(d, {
    interfaceJson: (i) => interfaceJson(i, extended),
    ipJson: (ip) =>
      compact({ interface: ip.interface, address: ip.address, gateway: ip.gateway === '' ? undefined : ip.gateway }),
    extendedRoutes: extended,
  });
}

/**
 * A deep copy relabelled as `to`. Going to 1.0.0 drops the 1.1.0-only fields (Go keeps them,
 * but a 1.0.0 consumer may reject unknown keys, and the spec does not define them there).
 */
export function relabel100(d: Result100Data, to: Version100): Result100Data {
  const keep = to === '1.1.0';
  return copyListResult(d, to, {
    mapInterface: (i) => (keep ? { ...i } : basicInterface(i)),
    mapIp: (ip) => ({ ...ip }),
    mapRoute: (route) => (keep ? { ...route } : basicRoute(route)),
  });
}
