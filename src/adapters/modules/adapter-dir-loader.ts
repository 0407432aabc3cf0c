import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Container } from 'inversify';
import { CniCode, CniError } from '../../core/errors';
import { registerAdapterModule } from './adapter-module';

const MODULE_FILE = /\.(js|mjs|cjs)$/u;

/**
 * A directory or module file that root does not own, or that group or others may write, is
 * refused: the code in it runs as root for every pod.
 */
async function refuseUnsafe(what: string, path: string): Promise<void> {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = await fs.stat(path));
  } catch (err) {
    throw new CniError(CniCode.AdapterLoadFailed, `${what} ${path} cannot be read: ${(err as Error).message}`);
  }
  if (uid !== 0)
    throw new CniError(
      CniCode.AdapterLoadFailed,
      `${what} ${path} is owned by uid ${uid}, not root: refusing to load code from it`,
    );
  if ((mode & 0o022) !== 0) {
    const shown = (mode & 0o7777).toString(8).padStart(4, '0');
    throw new CniError(
      CniCode.AdapterLoadFailed,
      `${what} ${path} is writable by group or others (mode ${shown}): refusing to load code from it; fix with ` +
        `chmod go-w ${path}`,
    );
  }
}

/**
 * Loads vendor adapter modules from the config's `adapterDirs` at run time: every .js, .mjs and
 * .cjs file of each directory, in name order. A module is imported once per process (the binary
 * serves one CNI call, tests may share a loader: `clear()` forgets); a module that fails to load
 * or register is an error naming the file, never skipped.
 */
export class AdapterDirLoader {
  private readonly modules = new Map<string, Promise<unknown>>();
  private readonly registered = new WeakMap<Container, Set<string>>();

  async load(container: Container, dirs: readonly string[]): Promise<void> {
    const done = this.registered.get(container) ?? new Set<string>();
    this.registered.set(container, done);
    for (const dir of dirs) {
      await refuseUnsafe('adapter directory', dir);
      const files = (await fs.readdir(dir)).filter((f) => MODULE_FILE.test(f)).sort();
      for (const file of files) {
        const path = join(dir, file);
        if (done.has(path)) continue;
        await refuseUnsafe('adapter module', path);
        registerAdapterModule(container, await this.importOnce(path), path);
        done.add(path);
      }
    }
  }

  /** Forgets every imported module (tests). */
  clear(): void {
    this.modules.clear();
  }

  private importOnce(path: string): Promise<unknown> {
    let module = this.modules.get(path);
    if (module === undefined) {
      module = import(path).catch((err: unknown) => {
        this.modules.delete(path);
        const why = err instanceof Error ? err.message : String(err);
        throw new CniError(CniCode.AdapterLoadFailed, `adapter module ${path} failed to load: ${why}`, { cause: err });
      });
      this.modules.set(path, module);
    }
    return module;
  }
}
