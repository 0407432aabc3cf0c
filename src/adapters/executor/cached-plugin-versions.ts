import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CniCode, toCniError } from '../../core/errors';
import type { Executor } from '../../core/ports/executor';
import type { PluginVersionQuery, PluginVersions } from '../../core/ports/plugin-versions';
import { LATEST_VERSION } from '../../core/version';
import { findPlugin } from './plugin-finder';

/** The file, in the config's `cniDir`, that keeps VERSION answers between per-call processes. */
export const VERSIONS_FILE = 'plugin-versions.json';

/** A binary's identity: a replaced or rebuilt binary differs in at least one of these. */
interface Identity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

interface Answer extends Identity {
  readonly supportedVersions: readonly string[];
}

interface VersionsFile {
  readonly kind: 'multus-ts/plugin-versions';
  readonly version: 1;
  /** By the plugin binary's path: one answer per path, the latest binary's. */
  readonly plugins: Readonly<Record<string, Answer>>;
}

/** Failures that stop the call, as running the plugin would: the rest only mean "no usable answer". */
const FATAL = new Set<number>([CniCode.DelegateNotFound, CniCode.InsecurePlugin, CniCode.DelegateTimedOut]);

function sameBinary(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function versionList(reply: unknown): string[] | undefined {
  const list = (reply as { supportedVersions?: unknown } | undefined)?.supportedVersions;
  return Array.isArray(list) && list.length > 0 && list.every((v) => typeof v === 'string') ? list : undefined;
}

/**
 * VERSION answers per plugin binary: asked once through the Executor, then kept in memory (a
 * long-lived process) and in a 0600 file under `cniDir` (the per-call binary: the next process
 * reads it instead of exec'ing the plugin). A binary whose path, size, mtime or inode changed is
 * asked again. Writers replace the file atomically; two processes racing lose an answer at
 * worst, which is asked again.
 */
export class CachedPluginVersions implements PluginVersions {
  private readonly memory = new Map<string, Answer>();
  private readonly loadedDirs = new Map<string, Promise<void>>();
  /** Writes of the file, one after another: answers that arrive together are all kept. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly executor: Executor) {}

  async supported(query: PluginVersionQuery): Promise<readonly string[] | undefined> {
    const path = await findPlugin(query.type, query.binDirs);
    const identity = await this.identity(path);
    await this.loadFile(query.cacheDir);
    const known = this.memory.get(path);
    if (known !== undefined && sameBinary(known, identity)) return known.supportedVersions;
    const list = await this.ask(query);
    if (list === undefined) return undefined;
    this.memory.set(path, { ...identity, supportedVersions: list });
    this.saving = this.saving.then(() => this.saveFile(query.cacheDir));
    await this.saving;
    return list;
  }

  private async identity(path: string): Promise<Identity> {
    const st = await fs.stat(path).catch((err: unknown) => {
      throw toCniError(err, `cannot stat plugin ${path}`);
    });
    return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  }

  /** VERSION through the one executor; `cniVersion` on stdin is ours, as libcni sends its own. */
  private async ask(query: PluginVersionQuery): Promise<string[] | undefined> {
    const env = { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '', CNI_ARGS: '', CNI_PATH: query.binDirs.join(':') };
    const stdin = { cniVersion: LATEST_VERSION };
    try {
      const reply = await this.executor.run({
        type: query.type,
        command: 'VERSION',
        env,
        stdin,
        binDirs: query.binDirs,
        timeoutMs: query.timeoutMs,
        signal: query.signal,
      });
      return versionList(reply);
    } catch (err) {
      if (query.signal?.aborted === true) throw err;
      const error = toCniError(err);
      if (FATAL.has(error.code)) throw error;
      return undefined;
    }
  }

  /** Reads the answers other processes left, once per dir (the first call waits for it). */
  private loadFile(dir: string): Promise<void> {
    let loading = this.loadedDirs.get(dir);
    if (loading === undefined) {
      loading = this.mergeFile(dir);
      this.loadedDirs.set(dir, loading);
    }
    return loading;
  }

  /** Adds the file's answers for paths not known here; a missing or foreign file adds nothing. */
  private async mergeFile(dir: string): Promise<void> {
    const text = await fs.readFile(join(dir, VERSIONS_FILE), 'utf8').catch(() => undefined);
    if (text === undefined) return;
    let parsed: Partial<VersionsFile> | undefined;
    try {
      parsed = JSON.parse(text) as Partial<VersionsFile>;
    } catch {
      return;
    }
    if (
      parsed?.kind !== 'multus-ts/plugin-versions' ||
      parsed.version !== 1 ||
      typeof parsed.plugins !== 'object' ||
      parsed.plugins === null
    )
      return;
    for (const [path, answer] of Object.entries(parsed.plugins)) {
      if (versionList(answer) !== undefined && !this.memory.has(path)) this.memory.set(path, answer);
    }
  }

  /**
   * Best effort: a cache that cannot be written costs an exec next time, never the ADD. What
   * another process wrote meanwhile is merged in first, so two processes rarely drop each
   * other's answers.
   */
  private async saveFile(dir: string): Promise<void> {
    await this.mergeFile(dir);
    const file: VersionsFile = {
      kind: 'multus-ts/plugin-versions',
      version: 1,
      plugins: Object.fromEntries(this.memory),
    };
    const target = join(dir, VERSIONS_FILE);
    const temp = `${target}.${process.pid}.tmp`;
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.writeFile(temp, `${JSON.stringify(file)}\n`, { mode: 0o600 });
      await fs.rename(temp, target);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }
}
