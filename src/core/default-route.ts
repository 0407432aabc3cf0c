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
  if (family === 0) throw new CniError(CniCode.InvalidConfig, `${origin}: default-route "${gateway}" is not an IP address`);
  return family as 4 | 6;
}

/** At most one attachment may own the default route of each IP family (code 7 naming both). */
export function checkDefaultRoutes(attachments: readonly Attachment[]): void {
  const owner = new Map<number, string>();
  for (const a of attachments) {
    for (const gateway of a.defaultRoute ?? []) {
      const family = familyOf(gateway, a.origin);
      const other = owner.get(family);
      if (other !== undefined && other !== a.origin) {
        throw new CniError(CniCode.InvalidConfig, `${other} and ${a.origin} both ask for the IPv${family} default route; only one attachment may`);
      }
      owner.set(family, a.origin);
    }
  }
}

/** The default routes to set in the pod, one per family at most (checked by checkDefaultRoutes). */
export function defaultRouteRequests(attachments: ReadonlyArray<Attachment & { readonly ifname: string }>): DefaultRouteRequest[] {
  return attachments.flatMap((a) => (a.defaultRoute ?? []).map((gateway) => ({ ifname: a.ifname, gateway, family: familyOf(gateway, a.origin) })));
}

const DEFAULT_DST: Readonly<Record<4 | 6, readonly string[]>> = { 4: ['0.0.0.0/0'], 6: ['::/0'] };

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
  const next = kept.length > 0 ? { ...json, routes: kept } : Object.fromEntries(Object.entries(json).filter(([k]) => k !== 'routes'));
  return parseResult(next, '1.1.0', where).asVersion(result.version);
}
