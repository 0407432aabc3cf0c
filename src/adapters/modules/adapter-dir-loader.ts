import type { Stats } from 'node:fs';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeAdapters, type AdapterRegistry } from '../../core/adapter-registry';
import { CniCode, CniError } from '../../core/errors';
import type { AdapterCatalog } from '../../core/ports/adapter-catalog';
import type { Executor } from '../../core/ports/executor';
import { adapterModuleRegistrations } from './adapter-module';

const MODULE_FILE = /\.(js|mjs|cjs)$/u;

/** Snapshots kept at once; an older one is made again if asked for. */
const SNAPSHOTS_KEPT = 8;

/** How a module is imported: `import()` in the binary; tests pass their own. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** A module file as found: its path and identity (inode, size, mtime). */
interface ModuleFile {
  readonly path: string;
  readonly identity: string;
}

/**
 * A directory or module file that root does not own, or that group or others may write, is
 * refused: the code in it runs as root for every pod.
 */
async function safeStat(what: string, path: string): Promise<Stats> {
  let st: Stats;
  try {
    st = await fs.stat(path);
  } catch (err) {
    throw new CniError(CniCode.AdapterLoadFailed, `${what} ${path} cannot be read: ${(err as Error).message}`);
  }
  if (st.uid !== 0)
    throw new CniError(
      CniCode.AdapterLoadFailed,
      `${what} ${path} is owned by uid ${st.uid}, not root: refusing to load code from it`,
    );
  if ((st.mode & 0o022) !== 0) {
    const shown = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw new CniError(
      CniCode.AdapterLoadFailed,
      `${what} ${path} is writable by group or others (mode ${shown}): refusing to load code from it; fix with ` +
        `chmod go-w ${path}`,
    );
  }
  return st;
}

/** Every module file of the directories, in name order per directory, each checked and identified. */
async function moduleFiles(dirs: readonly string[]): Promise<ModuleFile[]> {
  const found: ModuleFile[] = [];
  for (const dir of dirs) {
    await safeStat('adapter directory', dir);
    const files = (await fs.readdir(dir)).filter((f) => MODULE_FILE.test(f)).sort();
    for (const file of files) {
      const path = join(dir, file);
      const st = await safeStat('adapter module', path);
      found.push({ path, identity: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` });
    }
  }
  return found;
}

/**
 * The adapter catalog of the process: the container's adapters plus vendor modules loaded at run
 * time from a config's `adapterDirs` (every .js, .mjs and .cjs file of each directory, in name
 * order). The container is never changed: each set of directories and module files (by identity)
 * gives one immutable registry snapshot, shared by every request that names them, so concurrent
 * requests are safe. A module file is imported once per identity; a changed file is imported
 * again (a new snapshot). A module that fails to load or register is code 108 naming the file,
 * never skipped, and is not remembered: fixed, it loads on the next request.
 */
export class AdapterDirCatalog implements AdapterCatalog {
  private readonly snapshots = new Map<string, Promise<AdapterRegistry>>();
  private readonly modules = new Map<string, Promise<unknown>>();
  /** How many identities of each path were imported: the query that makes a changed file import again. */
  private readonly generations = new Map<string, number>();

  constructor(
    readonly base: AdapterRegistry,
    private readonly executor: Executor,
    private readonly importModule: ModuleImporter = (specifier) => import(specifier),
  ) {}

  async registryFor(dirs: readonly string[]): Promise<AdapterRegistry> {
    if (dirs.length === 0) return this.base;
    const files = await moduleFiles(dirs);
    const key = JSON.stringify(files);
    let snapshot = this.snapshots.get(key);
    if (snapshot === undefined) {
      snapshot = this.snapshot(files);
      this.snapshots.set(key, snapshot);
      snapshot.catch(() => this.snapshots.delete(key));
      for (const old of this.snapshots.keys()) {
        if (this.snapshots.size <= SNAPSHOTS_KEPT) break;
        this.snapshots.delete(old);
      }
    }
    return snapshot;
  }

  private async snapshot(files: readonly ModuleFile[]): Promise<AdapterRegistry> {
    const registrations = [];
    for (const file of files) registrations.push(...adapterModuleRegistrations(await this.load(file), file.path));
    return this.base.withAdapters(makeAdapters(registrations, this.executor));
  }

  private load({ path, identity }: ModuleFile): Promise<unknown> {
    const key = `${path}\u0000${identity}`;
    let module = this.modules.get(key);
    if (module === undefined) {
      const generation = this.generations.get(path) ?? 0;
      this.generations.set(path, generation + 1);
      const specifier = generation === 0 ? path : `${pathToFileURL(path).href}?generation=${generation}`;
      module = this.importModule(specifier).catch((err: unknown) => {
        this.modules.delete(key);
        const why = err instanceof Error ? err.message : String(err);
        throw new CniError(CniCode.AdapterLoadFailed, `adapter module ${path} failed to load: ${why}`, { cause: err });
      });
      this.modules.set(key, module);
    }
    return module;
  }
}
