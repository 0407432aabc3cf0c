/**
 * Result conversion between spec versions, as an explicit table keyed `"<from>-><to>"` with an
 * entry for every one of the 49 pairs. Go's libcni registers converters from `init()` across
 * packages, which makes a missing pair a runtime surprise; here the whole matrix is one literal
 * that a test checks for completeness. Entries are built from nine family converters.
 */
import { CniCode, CniError } from '../errors';
import type { CniVersion } from '../version';
import { cidrFamily } from './ip-cidr';
import { type Result020Data, relabel020 } from './result-020';
import { basicInterface, ipVersionOf, type IpConfig040, type Result040Data, relabel040 } from './result-040';
import { type Result100Data, relabel100 } from './result-100';
import { copyListResult } from './result-list';
import {
  basicRoute,
  compact,
  copyDns,
  is020,
  is040,
  is100,
  nonEmpty,
  type Route,
  type Version020,
  type Version040,
  type Version100,
} from './result-common';

/** The data of a result of any version; `cniVersion` tells the family. */
export type ResultData = Result020Data | Result040Data | Result100Data;

/**
 * Converts result data of the table key's `from` version to its `to` version. `where` names the
 * result's origin for error messages (only down-conversion to 0.2.0 can fail).
 */
export type Converter = (from: ResultData, where: string) => ResultData;

/** Narrows result data to one family; any other is a bug in the table, hence code 999. */
function narrowTo<D extends ResultData>(isFamily: (v: CniVersion) => boolean, family: string): (d: ResultData) => D {
  return (d) => {
    if (isFamily(d.cniVersion)) return d as D;
    throw new CniError(CniCode.Internal, `result converter for ${family} was given a ${d.cniVersion} result`);
  };
}

const as020 = narrowTo<Result020Data>(is020, '0.1.0/0.2.0');
const as040 = narrowTo<Result040Data>(is040, '0.3.x/0.4.0');
const as100 = narrowTo<Result100Data>(is100, '1.0.0/1.1.0');

/** 0.2.0 → 0.4.0: `ip4` then `ip6` become `ips` (no interface index), their routes are merged. */
function from020to040(d: Result020Data, to: Version040): Result040Data {
  const ips: IpConfig040[] = [];
  const routes: Route[] = [];
  for (const [version, ipc] of [
    ['4', d.ip4],
    ['6', d.ip6],
  ] as const) {
    if (ipc === undefined) continue;
    ips.push(compact({ version, address: ipc.ip, gateway: ipc.gateway }));
    routes.push(...(ipc.routes ?? []).map(basicRoute));
  }
  return compact({ cniVersion: to, ips: nonEmpty(ips), routes: nonEmpty(routes), dns: copyDns(d.dns) });
}

/** 0.4.0 → 1.0.0: IPs lose `version`; everything else carries over. */
function from040to100(d: Result040Data, to: Version100): Result100Data {
  return copyListResult(d, to, {
    mapInterface: basicInterface,
    mapIp: (ip) => compact({ interface: ip.interface, address: ip.address, gateway: ip.gateway }),
    mapRoute: basicRoute,
  });
}

/** 1.x → 0.4.0: IPs gain `version` from their address family; 1.1.0-only fields are dropped. */
function from100to040(d: Result100Data, to: Version040): Result040Data {
  return copyListResult(d, to, {
    mapInterface: basicInterface,
    mapIp: (ip) =>
      compact({ version: ipVersionOf(ip.address), interface: ip.interface, address: ip.address, gateway: ip.gateway }),
    mapRoute: basicRoute,
  });
}

/**
 * 0.4.0 → 0.2.0, which holds one address per family: keep the first IPv4 and the first IPv6
 * (with their gateways), hang each route under the family of its `dst` (routes of a family with
 * no address are lost), drop interfaces. A result with no address cannot be expressed at all.
 */
function from040to020(d: Result040Data, to: Version020, where: string): Result020Data {
  const ip4 = d.ips?.find((ip) => cidrFamily(ip.address) === 4);
  const ip6 = d.ips?.find((ip) => cidrFamily(ip.address) === 6);
  if (ip4 === undefined && ip6 === undefined) {
    throw new CniError(CniCode.IncompatibleVersion, `${where}: cannot convert a result without IP addresses to ${to}`);
  }
  const routes = d.routes ?? [];
  const ipConfig = (ip: IpConfig040 | undefined, family: 4 | 6): Result020Data['ip4'] =>
    ip === undefined
      ? undefined
      : compact({
          ip: ip.address,
          gateway: ip.gateway,
          routes: nonEmpty(routes.filter((rt) => cidrFamily(rt.dst) === family).map(basicRoute)),
        });
  return compact({ cniVersion: to, ip4: ipConfig(ip4, 4), ip6: ipConfig(ip6, 6), dns: copyDns(d.dns) });
}

/** A family converter: narrow the data to its family, convert it to `to`; curried on the target version. */
function family<F extends ResultData, T extends CniVersion>(
  narrow: (d: ResultData) => F,
  convert: (d: F, to: T, where: string) => ResultData,
): (to: T) => Converter {
  return (to) => (d, where) => convert(narrow(d), to, where);
}

// The nine family converters, one per (from family, to family).
const same020 = family(as020, relabel020);
const up020to040 = family(as020, from020to040);
const up020to100 = family(as020, (d, to: Version100) => from040to100(from020to040(d, '0.4.0'), to));
const down040to020 = family(as040, from040to020);
const same040 = family(as040, relabel040);
const up040to100 = family(as040, from040to100);
const down100to020 = family(as100, (d, to: Version020, where) => from040to020(from100to040(d, '0.4.0'), to, where));
const down100to040 = family(as100, from100to040);
const same100 = family(as100, relabel100);

/** Every (from, to) pair of the supported versions, keyed `"<from>-><to>"`. */
export const RESULT_CONVERTERS: ReadonlyMap<string, Converter> = new Map<string, Converter>([
  ['0.1.0->0.1.0', same020('0.1.0')],
  ['0.1.0->0.2.0', same020('0.2.0')],
  ['0.1.0->0.3.0', up020to040('0.3.0')],
  ['0.1.0->0.3.1', up020to040('0.3.1')],
  ['0.1.0->0.4.0', up020to040('0.4.0')],
  ['0.1.0->1.0.0', up020to100('1.0.0')],
  ['0.1.0->1.1.0', up020to100('1.1.0')],

  ['0.2.0->0.1.0', same020('0.1.0')],
  ['0.2.0->0.2.0', same020('0.2.0')],
  ['0.2.0->0.3.0', up020to040('0.3.0')],
  ['0.2.0->0.3.1', up020to040('0.3.1')],
  ['0.2.0->0.4.0', up020to040('0.4.0')],
  ['0.2.0->1.0.0', up020to100('1.0.0')],
  ['0.2.0->1.1.0', up020to100('1.1.0')],

  ['0.3.0->0.1.0', down040to020('0.1.0')],
  ['0.3.0->0.2.0', down040to020('0.2.0')],
  ['0.3.0->0.3.0', same040('0.3.0')],
  ['0.3.0->0.3.1', same040('0.3.1')],
  ['0.3.0->0.4.0', same040('0.4.0')],
  ['0.3.0->1.0.0', up040to100('1.0.0')],
  ['0.3.0->1.1.0', up040to100('1.1.0')],

  ['0.3.1->0.1.0', down040to020('0.1.0')],
  ['0.3.1->0.2.0', down040to020('0.2.0')],
  ['0.3.1->0.3.0', same040('0.3.0')],
  ['0.3.1->0.3.1', same040('0.3.1')],
  ['0.3.1->0.4.0', same040('0.4.0')],
  ['0.3.1->1.0.0', up040to100('1.0.0')],
  ['0.3.1->1.1.0', up040to100('1.1.0')],

  ['0.4.0->0.1.0', down040to020('0.1.0')],
  ['0.4.0->0.2.0', down040to020('0.2.0')],
  ['0.4.0->0.3.0', same040('0.3.0')],
  ['0.4.0->0.3.1', same040('0.3.1')],
  ['0.4.0->0.4.0', same040('0.4.0')],
  ['0.4.0->1.0.0', up040to100('1.0.0')],
  ['0.4.0->1.1.0', up040to100('1.1.0')],

  ['1.0.0->0.1.0', down100to020('0.1.0')],
  ['1.0.0->0.2.0', down100to020('0.2.0')],
  ['1.0.0->0.3.0', down100to040('0.3.0')],
  ['1.0.0->0.3.1', down100to040('0.3.1')],
  ['1.0.0->0.4.0', down100to040('0.4.0')],
  ['1.0.0->1.0.0', same100('1.0.0')],
  ['1.0.0->1.1.0', same100('1.1.0')],

  ['1.1.0->0.1.0', down100to020('0.1.0')],
  ['1.1.0->0.2.0', down100to020('0.2.0')],
  ['1.1.0->0.3.0', down100to040('0.3.0')],
  ['1.1.0->0.3.1', down100to040('0.3.1')],
  ['1.1.0->0.4.0', down100to040('0.4.0')],
  ['1.1.0->1.0.0', same100('1.0.0')],
  ['1.1.0->1.1.0', same100('1.1.0')],
]);

/** The table entry for (from, to); a missing entry is a bug in this file, hence code 999. */
export function findConverter(from: CniVersion, to: CniVersion): Converter {
  const converter = RESULT_CONVERTERS.get(`${from}->${to}`);
  if (converter === undefined) {
    throw new CniError(CniCode.Internal, `no result converter from ${from} to ${to}`);
  }
  return converter;
}
