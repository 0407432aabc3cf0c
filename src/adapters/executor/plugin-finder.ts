import { constants as fsConstants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../../core/errors';

/**
 * Why `type` is not a plain plugin name, or undefined when it is. A delegate's `type` comes from
 * a config file or a Kubernetes object; joined onto a bin dir, a separator or `..` would let it
 * name any binary on the host, so only a bare file name is accepted.
 */
export function pluginTypeProblem(type: string): string | undefined {
  if (type === '') return 'must not be empty';
  if (type === '.' || type === '..' || type.includes('..')) return "must not be '.' or contain '..'";
  if (/[/\\\0]/u.test(type)) return "must not contain '/', '\\' or NUL";
  return undefined;
}

/** Throws code 7 unless `type` is a plain plugin name (see {@link pluginTypeProblem}). */
export function assertPluginType(type: string): void {
  const problem = pluginTypeProblem(type);
  if (problem !== undefined) {
    throw new CniError(
      CniCode.InvalidConfig,
      `delegate type ${JSON.stringify(type)} must be a plain plugin name (a file in the CNI bin dirs): it ${problem}`,
    );
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await fsp.access(path, fsConstants.X_OK);
    return (await fsp.stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the binary for a delegate `type`: the first of `dirs` that holds an executable regular
 * file of that name, like libcni's `FindInPath`, so an operator's own binDir can shadow the
 * stock plugins in CNI_PATH. Not found is code 101 listing every dir searched.
 */
export async function findPlugin(type: string, dirs: readonly string[]): Promise<string> {
  assertPluginType(type);
  for (const dir of dirs) {
    const candidate = join(dir, type);
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new CniError(CniCode.DelegateNotFound, `failed to find plugin ${JSON.stringify(type)} in path [${dirs.join(' ')}]`);
}
