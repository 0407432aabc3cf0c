/**
 * One interface for results of every spec version. Multus reads a delegate's result in whatever
 * version it printed, and must hand the runtime (or the next delegate) the version *it* asked
 * for; callers only ever see `CniResult` and ask for `asVersion(v).toJSON()`.
 */
import type { CniVersion } from '../version';
import { findConverter, type ResultData } from './convert';
import { json020, type Result020Data } from './result-020';
import { json040, type Result040Data } from './result-040';
import { json100, type Result100Data } from './result-100';
import { is020, is040 } from './result-common';

/** A CNI result of one spec version, convertible to any other supported version. */
export interface CniResult {
  readonly version: CniVersion;
  /** This result in version `v`, through `RESULT_CONVERTERS`; throws CniError when impossible. */
  asVersion(v: CniVersion): CniResult;
  /** The result as spec JSON for `version`, absent fields omitted (Go's omitempty). */
  toJSON(): Record<string, unknown>;
}

abstract class VersionedResult<D extends ResultData> implements CniResult {
  /**
   * @param data the result's fields, already validated
   * @param where names the result's origin (e.g. the delegate) in conversion errors
   */
  constructor(
    readonly data: D,
    readonly where: string,
  ) {}

  get version(): CniVersion {
    return this.data.cniVersion;
  }

  asVersion(v: CniVersion): CniResult {
    return resultFromData(findConverter(this.version, v)(this.data, this.where), this.where);
  }

  abstract toJSON(): Record<string, unknown>;
}

/** A 0.1.0 or 0.2.0 result (`ip4`, `ip6`, `dns`). */
export class Result020 extends VersionedResult<Result020Data> {
  toJSON(): Record<string, unknown> {
    return json020(this.data);
  }
}

/** A 0.3.0, 0.3.1 or 0.4.0 result (`interfaces`, `ips` with `version`, `routes`, `dns`). */
export class Result040 extends VersionedResult<Result040Data> {
  toJSON(): Record<string, unknown> {
    return json040(this.data);
  }
}

/** A 1.0.0 or 1.1.0 result (as 0.4.0 without `ips[].version`; 1.1.0 adds optional fields). */
export class Result100 extends VersionedResult<Result100Data> {
  toJSON(): Record<string, unknown> {
    return json100(this.data);
  }
}

/**
 * Wrap already-valid result data in the class for its version. For results Multus builds
 * itself; results from delegates go through `parseResult`, which validates first.
 */
export function resultFromData(data: ResultData, where: string): CniResult {
  if (is020(data.cniVersion)) return new Result020(data as Result020Data, where);
  if (is040(data.cniVersion)) return new Result040(data as Result040Data, where);
  return new Result100(data as Result100Data, where);
}
