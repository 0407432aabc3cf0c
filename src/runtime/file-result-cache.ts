import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../core/errors';
import type { CacheEntry, CacheKey, ResultCache } from '../core/ports/result-cache';

/** Record formats this build reads: 1 (with the unused cniPath and binDirs) and 2. */
const READABLE_VERSIONS: readonly unknown[] = [1, 2];

/**
 * The attachment cache on disk: one JSON file per container and pod interface, mode 0600 in a
 * 0700 directory, replaced atomically (write a temp file, then rename) so a reader never sees a
 * half-written record, even when the process is killed mid-write.
 */
export class FileResultCache implements ResultCache {
  private static fileOf(key: CacheKey): string {
    return join(key.dir, `${key.containerId}-${key.ifname}.json`);
  }

  /**
   * Temp files of this record left by a process killed between write and rename. Callers hold
   * the container's lock, so no other process is writing this record: every temp but ours is stale.
   */
  private static async removeStaleTemps(key: CacheKey): Promise<void> {
    const prefix = `${key.containerId}-${key.ifname}.json.`;
    const mine = `${prefix}${process.pid}.tmp`;
    const names = await fs.readdir(key.dir).catch(() => [] as string[]);
    const stale = names.filter(
      (n) => n.startsWith(prefix) && n.endsWith('.tmp') && n !== mine && /^\d+$/u.test(n.slice(prefix.length, -4)),
    );
    await Promise.all(stale.map((n) => fs.rm(join(key.dir, n), { force: true })));
  }

  load(key: CacheKey): Promise<CacheEntry | undefined> {
    return this.loadFile(FileResultCache.fileOf(key));
  }

  private async loadFile(file: string): Promise<CacheEntry | undefined> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CniError(CniCode.IoFailure, `cannot read cache file ${file}: ${(err as Error).message}`);
    }
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch (err) {
      throw new CniError(CniCode.IoFailure, `cache file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    const e = entry as
      (Omit<Partial<CacheEntry>, 'version'> & { version?: unknown; cniPath?: unknown; binDirs?: unknown }) | null;
    if (
      e === null ||
      typeof e !== 'object' ||
      e.kind !== 'multus-ts/attachments' ||
      !READABLE_VERSIONS.includes(e.version) ||
      !Array.isArray(e.attachments)
    ) {
      throw new CniError(CniCode.IoFailure, `cache file ${file} is not a multus-ts attachment record (version 1 or 2)`);
    }
    // Version 1 also held binDirs, which nothing reads, and a cniPath of its own shape: a DEL after an
    // upgrade works from it as it is. Version 2 keeps the runtime's CNI_PATH as a string, for live networks.
    const { cniPath, binDirs: _binDirs, ...rest } = e;
    const path = e.version === 2 && typeof cniPath === 'string' ? { cniPath } : {};
    return { ...rest, ...path, version: 2 } as CacheEntry;
  }

  async save(key: CacheKey, entry: CacheEntry): Promise<void> {
    const file = FileResultCache.fileOf(key);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await fs.mkdir(key.dir, { recursive: true, mode: 0o700 });
      await FileResultCache.removeStaleTemps(key);
      await fs.writeFile(temp, `${JSON.stringify(entry, undefined, 2)}\n`, { mode: 0o600 });
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw new CniError(CniCode.IoFailure, `cannot write cache file ${file}: ${(err as Error).message}`);
    }
  }

  async list(dir: string, containerId?: string): Promise<CacheEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CniError(CniCode.IoFailure, `cannot read cache dir ${dir}: ${(err as Error).message}`);
    }
    const entries: CacheEntry[] = [];
    const wanted = (n: string): boolean =>
      n.endsWith('.json') && (containerId === undefined || n.startsWith(`${containerId}-`));
    for (const name of names.filter(wanted).sort()) {
      const entry = await this.loadFile(join(dir, name)).catch(() => undefined);
      // Only records stored under their own name: `<containerId>-<ifname>.json`.
      if (entry === undefined || `${entry.containerId}-${entry.ifname}.json` !== name) continue;
      if (containerId === undefined || entry.containerId === containerId) entries.push(entry);
    }
    return entries;
  }

  async remove(key: CacheKey): Promise<void> {
    const file = FileResultCache.fileOf(key);
    try {
      await fs.rm(file, { force: true });
      await FileResultCache.removeStaleTemps(key);
    } catch (err) {
      throw new CniError(CniCode.IoFailure, `cannot remove cache file ${file}: ${(err as Error).message}`);
    }
  }
}
