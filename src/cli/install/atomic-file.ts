import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The temporary name a file is written under before it is renamed into place: in the same
 * directory (a rename never crosses file systems), and with an extension no runtime reads, so a
 * CNI runtime scanning the config dir never loads a half-written `.conflist`.
 */
export function tempPath(path: string, pid: number): string {
  return join(dirname(path), `${basename(path)}.tmp-${pid}`);
}

async function syncFile(path: string): Promise<void> {
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Moves a finished temporary file over `path` with one rename: readers see the old file or the
 * new one, never a mix. For the binary this is what avoids "text file busy": the old inode stays
 * with the processes that run it, and the directory entry points at the new one.
 */
async function commit(tmp: string, path: string, mode: number): Promise<void> {
  try {
    await fs.chmod(tmp, mode); // the umask may have narrowed the mode given to open
    await syncFile(tmp);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Writes `data` to `path` atomically (temp file, fsync, rename) with `mode`. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode: number,
  pid: number,
): Promise<void> {
  const tmp = tempPath(path, pid);
  try {
    await fs.writeFile(tmp, data, { mode });
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await commit(tmp, path, mode);
}

/** Copies `source` to `path` atomically (temp file, fsync, rename) with `mode`. */
export async function copyFileAtomic(source: string, path: string, mode: number, pid: number): Promise<void> {
  const tmp = tempPath(path, pid);
  try {
    await fs.copyFile(source, tmp);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await commit(tmp, path, mode);
}

/**
 * Writes `path` only when its content or mode differs from what is wanted, so a watch loop that
 * runs every few seconds does not rewrite (and a runtime does not re-read) an unchanged file.
 * Returns whether it wrote.
 */
export async function ensureFile(path: string, data: string | Uint8Array, mode: number, pid: number): Promise<boolean> {
  const wanted = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  try {
    const [current, stat] = await Promise.all([fs.readFile(path), fs.stat(path)]);
    if (current.equals(wanted) && (stat.mode & 0o7777) === mode) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFileAtomic(path, wanted, mode, pid);
  return true;
}

/** Removes a file; returns false when it was not there. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
