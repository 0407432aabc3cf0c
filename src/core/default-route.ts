import { isIP } from 'node:net';
import { CniCode, CniError } from './errors';
import type { Attachment } from './plan';
import { parseResult, type CniResult } from './result';

/** A request that the pod's default route of one IP family go through an attachment. */
export interface DefaultRouteRequest {
  readonly ifname: string;
  readonly gateway: string;
  readonly family: 4 | 6;
}

function familyOf(gateway: string, origin: string): 4 | 6 {
  const family = isIP(gateway);
  if (family === 0)
    throw new CniError(CniCode.InvalidConfig, `${origin}: default-route "${gateway}" is not an IP address`);
  return family as 4 | 6;
}

/**
 * One default route per IP family: at most one attachment may own it, with one gateway (code 7
 * naming both; multus does not set ECMP routes, as Go Multus does not).
 */
export function checkDefaultRoutes(attachments: readonly Attachment[]): void {
  const owner = new Map<number, { origin: string; gateway: string }>();
  for (const a of attachments) {
    for (const gateway of a.defaultRoute ?? []) {
      const family = familyOf(gateway, a.origin);
      const other = owner.get(family);
      if (other !== undefined && other.origin !== a.origin) {
        throw new CniError(
          CniCode.InvalidConfig,
          `${other.origin} and ${a.origin} both ask for the IPv${family} default route; only one attachment may`,
        );
      }
      if (other !== undefined) {
        throw new CniError(
          CniCode.InvalidConfig,
          `${a.origin}: default-route lists two IPv${family} gateways (${other.gateway}, ${gateway}); multus ` +
            `does not support ECMP for default-route: give one gateway per IP family`,
        );
      }
      owner.set(family, { origin: a.origin, gateway });
    }
  }
}

/** The default routes to set in the pod, one per family at most (checked by checkDefaultRoutes). */
export function defaultRouteRequests(
  attachments: ReadonlyArray<Attachment & { readonly ifname: string }>,
): DefaultRouteRequest[] {
  return attachments.flatMap((a) =>
    (a.defaultRoute ?? []).map((gateway) => ({ ifname: a.ifname, gateway, family: familyOf(gateway, a.origin) })),
  );
}

const DEFAULT_DST: Readonly<Record<4 | 6, readonly string[]>> = { 4: ['0.0.0.0/0'], 6: ['::/0'] };

type Json = Record<string, unknown>;

function listOf(json: Json, key: string): Json[] {
  const value = json[key];
  return Array.isArray(value) ? (value as Json[]) : [];
}

function isDefault(route: Json, family: 4 | 6): boolean {
  return DEFAULT_DST[family].includes(String(route['dst']));
}

/** The gateway a result gives for one family: its default route's, else an address's. */
function gatewayOf(json: Json, family: 4 | 6): string | undefined {
  const viaRoute = listOf(json, 'routes').find(
    (r) => isDefault(r, family) && typeof r['gw'] === 'string' && isIP(r['gw']) === family,
  );
  if (viaRoute !== undefined) return viaRoute['gw'] as string;
  const ip = listOf(json, 'ips').find((i) => typeof i['gateway'] === 'string' && isIP(i['gateway']) === family);
  return ip === undefined ? undefined : (ip['gateway'] as string);
}

function hasDefaultRoute(json: Json, family: 4 | 6): boolean {
  return listOf(json, 'routes').some((r) => isDefault(r, family));
}

/**
 * The seed's rule ("the default route will point to the primary network"): for each IP family
 * that another attachment's result sets a default route for, that the master has a gateway
 * for, and that no selection's `default-route` claimed (`claimed`), the pod's default route goes
 * through the master instead. A family no other attachment routes by default is left as the
 * master's plugin made it, so such a pod pays no extra exec.
 */
export function masterDefaultRoutes(
  attachments: ReadonlyArray<Attachment & { readonly ifname: string }>,
  results: readonly CniResult[],
  claimed: ReadonlySet<4 | 6>,
): DefaultRouteRequest[] {
  const m = attachments.findIndex((a) => a.master);
  const master = attachments[m];
  if (master === undefined) return [];
  const jsons = results.map((r) => r.asVersion('1.1.0').toJSON());
  const own = jsons[m] as Json;
  const out: DefaultRouteRequest[] = [];
  for (const family of [4, 6] as const) {
    const gateway = gatewayOf(own, family);
    if (claimed.has(family) || gateway === undefined) continue;
    if (jsons.some((j, i) => i !== m && hasDefaultRoute(j, family)))
      out.push({ ifname: master.ifname, gateway, family });
  }
  return out;
}

/**
 * The owner's result with a default route via its gateway for each of `routes` it lacks: the result says what the pod
 * has.
 */
export function withOwnDefaultRoutes(
  result: CniResult,
  routes: readonly DefaultRouteRequest[],
  where: string,
): CniResult {
  if (routes.length === 0) return result;
  const json = result.asVersion('1.1.0').toJSON();
  const missing = routes.filter((r) => !hasDefaultRoute(json, r.family));
  if (missing.length === 0) return result;
  const added = missing.map((r) => ({ dst: DEFAULT_DST[r.family][0], gw: r.gateway }));
  return parseResult({ ...json, routes: [...listOf(json, 'routes'), ...added] }, '1.1.0', where).asVersion(
    result.version,
  );
}

/**
 * The result without default routes of the given families: another attachment owns them now,
 * so the runtime must not be told this interface is the way out.
 */
export function withoutDefaultRoutes(result: CniResult, families: ReadonlySet<4 | 6>, where: string): CniResult {
  if (families.size === 0) return result;
  const json = result.asVersion('1.1.0').toJSON();
  const routes = Array.isArray(json['routes']) ? (json['routes'] as Array<Record<string, unknown>>) : [];
  const dropped = new Set([...families].flatMap((f) => DEFAULT_DST[f]));
  const kept = routes.filter((r) => !dropped.has(String(r['dst'])));
  if (kept.length === routes.length) return result;
  const next =
    kept.length > 0
      ? { ...json, routes: kept }
      : Object.fromEntries(Object.entries(json).filter(([k]) => k !== 'routes'));
  return parseResult(next, '1.1.0', where).asVersion(result.version);
}
