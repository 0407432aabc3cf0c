import { constants as fsConstants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { CniCode, CniError } from '../../core/errors';
import { pluginTypeProblem } from '../../core/plugin-type';
import type { PluginFinder } from '../../core/ports/plugin-finder';

export { pluginTypeProblem };

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
 * Refuses a plugin directory or binary that group or others may write: whoever can replace the
 * file runs code as root in every pod's network namespace. Code 107, naming the path and mode.
 */
async function refuseWritableByOthers(what: string, path: string): Promise<void> {
  const { mode, uid } = await fsp.stat(path);
  const me = process.getuid?.() ?? 0;
  if (uid !== 0 && uid !== me) {
    throw new CniError(
      CniCode.InsecurePlugin,
      `${what} ${path} is owned by uid ${uid}, neither root nor us: refusing to run a delegate that user could ` +
        `replace; fix with chown root ${path}`,
    );
  }
  if ((mode & 0o022) === 0) return;
  const shown = (mode & 0o7777).toString(8).padStart(4, '0');
  throw new CniError(
    CniCode.InsecurePlugin,
    `${what} ${path} is writable by group or others (mode ${shown}): refusing to run a delegate another user ` +
      `could replace; fix with chmod go-w ${path}`,
  );
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
    if (!(await isExecutableFile(candidate))) continue;
    await refuseWritableByOthers('plugin directory', dir);
    // Follow a symlink: what runs is the file it points to, in the directory that holds it.
    const real = await fsp.realpath(candidate);
    if (dirname(real) !== dir) await refuseWritableByOthers('plugin directory', dirname(real));
    await refuseWritableByOthers('plugin binary', real);
    return candidate;
  }
  throw new CniError(
    CniCode.DelegateNotFound,
    `failed to find plugin ${JSON.stringify(type)} in path [${dirs.join(' ')}]`,
  );
}

/** The PluginFinder port over {@link findPlugin}: the dry run finds binaries by the executor's own rule. */
export class FsPluginFinder implements PluginFinder {
  find(type: string, binDirs: readonly string[]): Promise<string> {
    return findPlugin(type, binDirs);
  }
}
