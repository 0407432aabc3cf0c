/**
 * The boundary where a delegate's stdout JSON becomes a `CniResult`. Everything a converter or
 * the runtime relies on (address families, interface indexes, types) is checked here, once, and
 * a bad result fails with code 102 naming the delegate and the JSON path of the bad field.
 */
import { CniCode, CniError } from '../errors';
import { type CniVersion, isSupportedVersion, SUPPORTED_VERSIONS } from '../version';
import { Result020, Result040, Result100, type CniResult } from './cni-result';
import { FieldReader } from './field-reader';
import { read020 } from './result-020';
import { read040 } from './result-040';
import { read100 } from './result-100';
import { is020, is040 } from './result-common';

function resolveVersion(value: unknown, fallbackVersion: CniVersion, r: FieldReader): CniVersion {
  if (value === undefined || value === null || value === '') return fallbackVersion;
  if (typeof value !== 'string') throw r.fail('result.cniVersion', 'must be a string', value);
  if (!isSupportedVersion(value)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `${r.where}: result.cniVersion: unsupported CNI version ${JSON.stringify(value)} ` +
        `(supported: ${SUPPORTED_VERSIONS.join(', ')})`,
    );
  }
  return value;
}

/**
 * Validate a delegate's parsed result JSON and wrap it in the class for its version.
 *
 * @param raw the parsed JSON the delegate printed
 * @param fallbackVersion the version to assume when the result has no `cniVersion` (normally
 *   the version of the config the delegate was given)
 * @param where names the result's origin in every error, e.g. `delegate "macvlan"`
 * @throws CniError 102 (DelegateBadOutput) for a non-object or a malformed field;
 *   1 (IncompatibleVersion) for an unknown `cniVersion`
 */
export function parseResult(raw: unknown, fallbackVersion: CniVersion, where: string): CniResult {
  const r = new FieldReader(where);
  const o = r.object(raw, 'result');
  const version = resolveVersion(o.cniVersion, fallbackVersion, r);
  if (is020(version)) return new Result020(read020(o, version, r), where);
  if (is040(version)) return new Result040(read040(o, version, r), where);
  return new Result100(read100(o, version, r), where);
}

/**
 * Parse a delegate's result and return it as JSON of version `to`: the common case of relaying
 * a delegate's result to a runtime that asked for a (possibly different) version.
 */
export function convertResult(
  raw: unknown,
  to: CniVersion,
  fallbackVersion: CniVersion,
  where: string,
): Record<string, unknown> {
  return parseResult(raw, fallbackVersion, where).asVersion(to).toJSON();
}
