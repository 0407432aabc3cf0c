import { IsOptional } from 'class-validator';
import { isObject } from '../core/json';
import { joinPath, validateModel, type ConfigProblem } from '../core/validation';
import { IsAbsolutePath, IsCidr, IsIpAddress, IsNonEmptyString } from '../core/validators';
import { IsJsonArray, listProblems, shown } from './adapter-validators';

/**
 * The `ipam` section of bridge, ptp and vhost-user configs. Only the two IPAM plugins that ship
 * with the reference plugins are checked field by field (host-local and static, per their
 * READMEs); any other IPAM type is the vendor's and passes untouched.
 */

class RouteModel {
  @IsCidr()
  dst!: unknown;

  @IsOptional()
  @IsIpAddress()
  gw?: unknown;
}

/** The address fields of one range, also allowed at host-local's top level. */
class RangeAddressesModel {
  @IsOptional()
  @IsIpAddress()
  rangeStart?: unknown;

  @IsOptional()
  @IsIpAddress()
  rangeEnd?: unknown;

  @IsOptional()
  @IsIpAddress()
  gateway?: unknown;
}

/** One entry of a range set. class-validator checks a class's own fields before inherited ones. */
class RangeModel extends RangeAddressesModel {
  @IsCidr()
  subnet!: unknown;
}

/**
 * host-local's top level may hold one range itself; its `subnet` is optional there since `ranges`
 * can be given instead. Checked before {@link HostLocalModel}, so the range fields come first.
 */
class TopLevelRangeModel extends RangeAddressesModel {
  @IsOptional()
  @IsCidr()
  subnet?: unknown;
}

class HostLocalModel {
  @IsOptional()
  @IsJsonArray()
  routes?: unknown;

  @IsOptional()
  @IsJsonArray({ message: (args) => `must be a list of range sets (each a list of ranges), got ${shown(args.value)}` })
  ranges?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  dataDir?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  resolvConf?: unknown;
}

class StaticAddressModel {
  @IsCidr()
  address!: unknown;

  @IsOptional()
  @IsIpAddress()
  gateway?: unknown;
}

class StaticModel {
  @IsOptional()
  @IsJsonArray()
  addresses?: unknown;

  @IsOptional()
  @IsJsonArray()
  routes?: unknown;
}

class IpamTypeModel {
  @IsNonEmptyString()
  type!: unknown;
}

/** host-local's `ranges`: a list of range sets, each a non-empty list of ranges. */
function rangesProblems(ranges: unknown, path: string): ConfigProblem[] {
  if (!Array.isArray(ranges)) return [];
  return ranges.flatMap((set: unknown, i): ConfigProblem[] => {
    const setPath = joinPath(path, String(i));
    if (!Array.isArray(set) || set.length === 0) {
      return [{ path: setPath, message: `must be a non-empty list of ranges, got ${shown(set)}` }];
    }
    return listProblems(RangeModel, set, setPath);
  });
}

function hostLocalProblems(ipam: Record<string, unknown>, path: string): ConfigProblem[] {
  const problems = [...validateModel(TopLevelRangeModel, ipam, path), ...validateModel(HostLocalModel, ipam, path)];
  problems.push(...listProblems(RouteModel, ipam['routes'], joinPath(path, 'routes')));
  problems.push(...rangesProblems(ipam['ranges'], joinPath(path, 'ranges')));
  if (ipam['subnet'] === undefined && ipam['ranges'] === undefined) {
    problems.push({ path, message: 'host-local needs "subnet" or "ranges" to allocate addresses from' });
  }
  return problems;
}

function staticProblems(ipam: Record<string, unknown>, path: string): ConfigProblem[] {
  return [
    ...validateModel(StaticModel, ipam, path),
    ...listProblems(StaticAddressModel, ipam['addresses'], joinPath(path, 'addresses')),
    ...listProblems(RouteModel, ipam['routes'], joinPath(path, 'routes')),
  ];
}

export interface IpamCheckOptions {
  /**
   * Accept an `ipam` without a type and without other keys (`{}`): the bridge plugin's
   * documented L2-only mode. Plugins that always call their IPAM plugin (ptp, vhost-user) fail
   * later and less clearly without a type, so for them it is an error here.
   */
  readonly allowEmpty?: boolean;
}

function isEmptyIpam(ipam: Record<string, unknown>): boolean {
  const type = ipam['type'];
  return (type === undefined || type === '') && Object.keys(ipam).every((k) => k === 'type');
}

/**
 * Every problem of an `ipam` section located at `path` (e.g. `delegates[2].ipam`), so an
 * operator sees `delegates[2].ipam.ranges[0][1].subnet: must be a CIDR ...` before any plugin
 * has run.
 */
export function validateIpam(ipam: unknown, path: string, options: IpamCheckOptions = {}): ConfigProblem[] {
  if (!isObject(ipam)) return [{ path, message: `must be a JSON object, got ${shown(ipam)}` }];
  if (options.allowEmpty === true && isEmptyIpam(ipam)) return [];
  const typeProblems = validateModel(IpamTypeModel, ipam, path);
  if (typeProblems.length > 0) return typeProblems;
  switch (ipam['type']) {
    case 'host-local':
      return hostLocalProblems(ipam, path);
    case 'static':
      return staticProblems(ipam, path);
    default:
      return [];
  }
}

/** How a plugin's `ipam` field is checked: {@link IpamCheckOptions}, and whether it must be there. */
export type IpamFieldOptions = IpamCheckOptions & { readonly required?: boolean };

/** The problems of `conf.ipam` when present (or when `required`), located under `origin`. */
export function ipamFieldProblems(
  conf: Readonly<Record<string, unknown>>,
  origin: string,
  options: IpamFieldOptions = {},
): ConfigProblem[] {
  const path = joinPath(origin, 'ipam');
  if (conf['ipam'] === undefined) {
    return options.required === true ? [{ path, message: 'is required: this plugin always runs its IPAM plugin' }] : [];
  }
  return validateIpam(conf['ipam'], path, options);
}
