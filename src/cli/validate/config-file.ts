import { promises as fs } from 'node:fs';
import { CniCode } from '../../core/errors';
import { isObject } from '../../core/json';
import { joinJsonPath, type Problem } from './problem';

/** A multus config as read from a file: alone, or as the `multus` plugin of a .conflist. */
export interface ConfigFile {
  readonly file: string;
  /** The multus config as the plugin receives it on stdin (for a conflist: with the list's name and cniVersion). */
  readonly raw: Readonly<Record<string, unknown>>;
  /** Where the multus config sits in the file: `''` for a plain config, `plugins[1]` in a conflist. */
  readonly pluginPath: string;
  /** The conflist's other plugins (chained before or after multus), with their paths; empty for a plain config. */
  readonly chain: ReadonlyArray<{ readonly path: string; readonly conf: Readonly<Record<string, unknown>> }>;
  /** Maps a JSON path in the multus config to its path in the file; anything else is returned as it is. */
  readonly mapPath: (path: string) => string;
}

export type ConfigFileOutcome =
  { readonly ok: true; readonly config: ConfigFile } | { readonly ok: false; readonly problems: Problem[] };

/** The multus plugin type, as the runtime finds it in a conflist. */
export const MULTUS_TYPE = 'multus';

function fail(path: string, message: string, code: number): ConfigFileOutcome {
  return { ok: false, problems: [{ path, message, code }] };
}

/**
 * Reads a multus config file. A .conflist (an object with `plugins` and no `type`) is accepted
 * too: its plugin of type `multus` is the config, with the list's `name` and `cniVersion` put
 * in as the runtime (libcni) does before running it.
 */
export async function readConfigFile(file: string): Promise<ConfigFileOutcome> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    return fail('(file)', `cannot read the file: ${(err as Error).message}`, CniCode.IoFailure);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail('(file)', `not valid JSON: ${(err as Error).message}`, CniCode.DecodeFailure);
  }
  if (!isObject(parsed))
    return fail(
      '(config)',
      'must be a JSON object (a multus config, or a conflist with a multus plugin)',
      CniCode.InvalidConfig,
    );
  if (parsed['plugins'] === undefined || parsed['type'] !== undefined) {
    return { ok: true, config: { file, raw: parsed, pluginPath: '', chain: [], mapPath: (p) => p } };
  }
  return fromConflist(file, parsed);
}

function fromConflist(file: string, list: Record<string, unknown>): ConfigFileOutcome {
  const plugins = list['plugins'];
  if (!Array.isArray(plugins) || plugins.length === 0)
    return fail('plugins', 'must be a non-empty list of plugin configs', CniCode.InvalidConfig);
  const index = plugins.findIndex((p: unknown) => isObject(p) && p['type'] === MULTUS_TYPE);
  if (index < 0) {
    const types = plugins.map((p: unknown) => (isObject(p) ? JSON.stringify(p['type']) : 'not an object')).join(', ');
    return fail(
      'plugins',
      `no plugin of type "${MULTUS_TYPE}" in this conflist (types: ${types}): nothing for multus to check`,
      CniCode.InvalidConfig,
    );
  }
  const pluginPath = `plugins[${index}]`;
  const injected = ['name', 'cniVersion'].filter((k) => list[k] !== undefined);
  const raw = {
    ...(plugins[index] as Record<string, unknown>),
    ...Object.fromEntries(injected.map((k) => [k, list[k]])),
  };
  const chain = plugins.flatMap((conf: unknown, i) =>
    i !== index && isObject(conf) ? [{ path: `plugins[${i}]`, conf }] : [],
  );
  const mapPath = (path: string): string => {
    if (path === '(config)') return pluginPath;
    // Only JSON paths into the multus config move; `clusterNetwork (/etc/...).plugins[0]` names another file.
    const head = /^([A-Za-z_][\w-]*)(?=$|[.[])/u.exec(path)?.[1];
    if (head === undefined) return path;
    return injected.includes(head) ? path : joinJsonPath(pluginPath, path);
  };
  return { ok: true, config: { file, raw, pluginPath, chain, mapPath } };
}
