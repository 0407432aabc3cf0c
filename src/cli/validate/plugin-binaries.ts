import { findPlugin } from '../../adapters/executor/plugin-finder';
import { toCniError, type CniError } from '../../core/errors';
import { isObject } from '../../core/json';
import type { DelegateConf } from '../../core/plan';

/** Where `multus validate` and `multus explain` look for plugins when `--cni-path` is not given. */
export const DEFAULT_CNI_PATH = '/opt/cni/bin:/usr/lib/cni';

/** A colon list of directories, empty entries dropped (as CNI_PATH is read). */
export function splitCniPath(text: string): string[] {
  return text.split(':').filter((d) => d !== '');
}

/** A plugin binary looked up as the executor would: found (its path) or not (the error it would fail with). */
export interface BinaryLookup {
  readonly type: string;
  readonly path: string | undefined;
  readonly error: CniError | undefined;
}

/**
 * Looks a plugin up with the executor's own finder, so "found" here means the ADD would find it:
 * missing is code 101, a directory or binary others may write is code 107.
 */
export async function lookupBinary(type: string, dirs: readonly string[]): Promise<BinaryLookup> {
  try {
    return { type, path: await findPlugin(type, dirs), error: undefined };
  } catch (err) {
    return { type, path: undefined, error: toCniError(err) };
  }
}

/** The IPAM plugin a delegate runs (`ipam.type`), which the delegate finds in the same CNI_PATH. */
export function ipamType(conf: DelegateConf): string | undefined {
  const ipam = conf['ipam'];
  if (!isObject(ipam)) return undefined;
  const type = ipam['type'];
  return typeof type === 'string' && type !== '' ? type : undefined;
}
