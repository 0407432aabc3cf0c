import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SHIM_TYPE } from '../../core/config/shim-keys';
import { isObject } from '../../core/json';
import { InstallError } from './install-error';

/** The files a CNI runtime reads from its config dir (libcni `ConfFiles`, as containerd calls it). */
export const CONFIG_EXTENSIONS: readonly string[] = ['.conf', '.conflist', '.json'];

/** The node's cluster network config that multus wraps as the master of every pod. */
export interface PrimaryConfig {
  /** Where the installer read it. */
  readonly path: string;
  readonly conf: Readonly<Record<string, unknown>>;
  /** Its `cniVersion`, if it has one (a `.conf` may not: CNI 0.1.0). */
  readonly cniVersion: string | undefined;
  /** The capabilities its plugins declare `true`: multus must declare them too, or the runtime passes none. */
  readonly capabilities: readonly string[];
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The CNI config files of `dir`, sorted as the runtime sorts them (it uses the first). */
export async function configFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InstallError(`cannot read CNI config dir ${dir}: ${(err as Error).message}`);
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && CONFIG_EXTENSIONS.some((ext) => e.name.endsWith(ext)))
    .map((e) => e.name)
    .sort(byteOrder);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw new InstallError(`cannot read CNI config ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InstallError(`CNI config ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A config (conf or conflist) that runs multus: never a primary, and never wrapped twice. */
/** Whether a CNI config runs multus: its type, or one of its plugins', is multus or the thick mode's shim. */
export function isMultusConfig(conf: unknown): boolean {
  if (!isObject(conf)) return false;
  const runsMultus = (c: Record<string, unknown>): boolean => c['type'] === 'multus' || c['type'] === SHIM_TYPE;
  if (runsMultus(conf)) return true;
  return Array.isArray(conf['plugins']) && conf['plugins'].some((p) => isObject(p) && runsMultus(p));
}

/**
 * Checks that a config is one a runtime can run (a conf with a `type`, or a conflist whose every
 * plugin has one) and collects what multus must copy from it. Every problem names the file.
 */
export function primaryFrom(path: string, conf: unknown): PrimaryConfig {
  if (!isObject(conf)) throw new InstallError(`CNI config ${path} must hold a JSON object`);
  const version = conf['cniVersion'];
  if (version !== undefined && typeof version !== 'string')
    throw new InstallError(`CNI config ${path}: cniVersion must be a string`);
  const plugins: unknown[] = 'plugins' in conf ? (Array.isArray(conf['plugins']) ? conf['plugins'] : []) : [conf];
  if (plugins.length === 0) throw new InstallError(`CNI config ${path}: plugins must be a non-empty list`);
  const capabilities = new Set<string>();
  plugins.forEach((p, i) => {
    const where = 'plugins' in conf ? `plugins[${i}]` : 'the config';
    if (!isObject(p) || typeof p['type'] !== 'string' || p['type'] === '') {
      throw new InstallError(`CNI config ${path}: ${where} has no "type" (not a CNI network config)`);
    }
    const caps = p['capabilities'];
    if (isObject(caps)) for (const [name, on] of Object.entries(caps)) if (on === true) capabilities.add(name);
  });
  if ('plugins' in conf && (typeof conf['name'] !== 'string' || conf['name'] === '')) {
    throw new InstallError(`CNI config ${path}: a conflist needs a "name"`);
  }
  return { path, conf, cniVersion: version, capabilities: [...capabilities].sort(byteOrder) };
}

/** Reads the primary config the operator named (`--primary PATH`). */
export async function readPrimary(path: string): Promise<PrimaryConfig> {
  const conf = await readJson(path);
  if (isMultusConfig(conf))
    throw new InstallError(`CNI config ${path} runs multus itself; the primary must be the cluster network's config`);
  return primaryFrom(path, conf);
}

/** What auto-detection found: the primary, and the multus configs it passed over. */
export interface FoundPrimary {
  readonly primary: PrimaryConfig;
  readonly skipped: readonly string[];
}

/**
 * `--primary auto`, as Go Multus's `--multus-conf-file=auto`: the first config of `confDir` in
 * the runtime's order that is not ours (by name) and does not itself run multus (an older multus
 * install, ours under another name). A broken first candidate is an error naming it, not skipped:
 * it is the config the runtime would have used.
 */
export async function findPrimary(confDir: string, ourName: string): Promise<FoundPrimary> {
  const skipped: string[] = [];
  for (const name of await configFiles(confDir)) {
    if (name === ourName) continue;
    const path = join(confDir, name);
    const conf = await readJson(path);
    if (isMultusConfig(conf)) {
      skipped.push(name);
      continue;
    }
    return { primary: primaryFrom(path, conf), skipped };
  }
  const passed = skipped.length === 0 ? '' : ` (passed over ${skipped.join(', ')}: they run multus)`;
  throw new InstallError(
    `no primary CNI config in ${confDir}: no ${CONFIG_EXTENSIONS.join('/')} file other than ${ourName}${passed}. ` +
      'Install the cluster network (flannel, calico, ...) first, or name its config with --primary PATH',
  );
}

/**
 * The configs that sort before ours: the runtime uses the first file, so with any of them multus
 * would be installed but never run. The installer refuses rather than succeed silently.
 */
export function configsBefore(files: readonly string[], ourName: string): string[] {
  return files.filter((f) => f !== ourName && byteOrder(f, ourName) < 0);
}
