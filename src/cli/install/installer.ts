import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyFileAtomic, ensureFile, removeFile } from './atomic-file';
import { InstallError } from './install-error';
import { KUBECONFIG_SUBDIR, toHostPath, type InstallOptions } from './install-options';
import { buildMultusConflist, validateMultusConflist, type MultusConflistInput } from './multus-conflist';
import {
  configFiles,
  configsBefore,
  findPrimary,
  isMultusConfig,
  readPrimary,
  type PrimaryConfig,
} from './primary-config';
import { serviceAccountKubeconfig } from './service-account-kubeconfig';
import { buildDaemonConfig, buildShimConflist, SHIM_BINARY_NAME, validateThickFiles } from './thick-files';
import { DEFAULT_DAEMON_CONFIG } from '../../core/config/shim-keys';
import { toCniError } from '../../core/errors';
import { ClientNodeKubeClientProvider } from '../../sources/kube/client-node-kube-client';

/** What the installer may touch besides the file system: injected so tests need no process. */
export interface InstallerEnv {
  /** Names the temporary files, so two installers never share one. */
  readonly pid: number;
  /** One line of progress for the operator (the DaemonSet's log). */
  readonly log: (line: string) => void;
}

/** The binary's name in the CNI bin dir: the `type` every multus config names. */
export const BINARY_NAME = 'multus';
const SECRET_MODE = 0o600;
const CONFIG_MODE = 0o644;
const BINARY_MODE = 0o755;

/** The files the installer owns, as this process sees them. */
export interface InstallPaths {
  readonly binary: string;
  readonly conf: string;
  /** The kubeconfig the multus config names (written by us unless `--kubeconfig` gave one). */
  readonly kubeconfig: string;
  /** Copies of the service account's token and CA, beside the kubeconfig; absent with `--kubeconfig`. */
  readonly token: string | undefined;
  readonly ca: string | undefined;
  /** With --thick: the shim beside the binary, and the daemon config. */
  readonly shim: string | undefined;
  readonly daemonConfig: string | undefined;
}

export function installPaths(o: InstallOptions): InstallPaths {
  const base = {
    binary: join(o.binDir, BINARY_NAME),
    conf: join(o.confDir, o.confName),
    shim: o.thick === undefined ? undefined : join(o.binDir, SHIM_BINARY_NAME),
    daemonConfig: o.thick?.daemonConfig,
  };
  if (o.credentials.kind === 'existing')
    return { ...base, kubeconfig: o.credentials.kubeconfig, token: undefined, ca: undefined };
  const dir = dirname(o.credentials.kubeconfigOut);
  return {
    ...base,
    kubeconfig: o.credentials.kubeconfigOut,
    token: join(dir, 'multus.token'),
    ca: join(dir, 'multus-ca.crt'),
  };
}

/** One file to write, and what it is (for the log). */
interface PlannedFile {
  readonly path: string;
  readonly data: string | Uint8Array;
  readonly mode: number;
  readonly what: string;
}

/** Everything an install writes, worked out before anything is written. */
export interface InstallPlan {
  readonly primary: PrimaryConfig;
  /** Multus configs that auto-detection passed over. */
  readonly skipped: readonly string[];
  readonly conflist: Readonly<Record<string, unknown>>;
  /** With --thick: the daemon config (the multus config keys are there, not in the conflist). */
  readonly daemonConfig: Readonly<Record<string, unknown>> | undefined;
  /**
   * In write order: credentials, then the kubeconfig, then (thick) the daemon config that names
   * it, then the conflist the runtime reads, which names the files before it.
   */
  readonly files: readonly PlannedFile[];
}

async function readSecret(dir: string, name: string, optional: boolean): Promise<Buffer | undefined> {
  const path = join(dir, name);
  try {
    return await fs.readFile(path);
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InstallError(
      `cannot read the service account's ${name} (${path}): ${(err as Error).message}. ` +
        'Run in a pod with a service account (the DaemonSet), point --service-account-dir at a copy, or use ' +
        '--kubeconfig PATH',
    );
  }
}

async function credentialFiles(o: InstallOptions, paths: InstallPaths): Promise<PlannedFile[]> {
  const c = o.credentials;
  if (c.kind === 'existing') {
    await fs.stat(c.kubeconfig).catch((err: unknown) => {
      throw new InstallError(`cannot use --kubeconfig ${c.kubeconfig}: ${(err as Error).message}`);
    });
    // The checks every ADD makes of it (readable, a cluster and user, https:// or insecure http://).
    await new ClientNodeKubeClientProvider().get(c.kubeconfig).catch((err: unknown) => {
      throw new InstallError(`cannot use --kubeconfig ${c.kubeconfig}: ${toCniError(err).msg}`);
    });
    return [];
  }
  if (c.apiServer === undefined) {
    throw new InstallError(
      'no API server to write into the kubeconfig: KUBERNETES_SERVICE_HOST is not set (not in a pod?); pass ' +
        '--api-server URL',
    );
  }
  const [token, ca, namespace] = await Promise.all([
    readSecret(c.serviceAccountDir, 'token', false),
    readSecret(c.serviceAccountDir, 'ca.crt', false),
    readSecret(c.serviceAccountDir, 'namespace', true),
  ]);
  const tokenPath = paths.token as string;
  const caPath = paths.ca as string;
  const kubeconfig = serviceAccountKubeconfig({
    server: c.apiServer,
    caFile: toHostPath(o.hostPrefix, caPath),
    tokenFile: toHostPath(o.hostPrefix, tokenPath),
    namespace: namespace?.toString('utf8').trim(),
  });
  return [
    { path: tokenPath, data: token as Buffer, mode: SECRET_MODE, what: 'service account token' },
    { path: caPath, data: ca as Buffer, mode: SECRET_MODE, what: 'API server CA' },
    { path: c.kubeconfigOut, data: kubeconfig, mode: SECRET_MODE, what: 'kubeconfig' },
  ];
}

/**
 * Works out everything an install writes, and fails before anything is written: no primary, a
 * broken primary, a config that would sort before ours, missing credentials, or a multus config
 * that the plugin's own parser would reject.
 */
export async function planInstall(o: InstallOptions): Promise<InstallPlan> {
  const paths = installPaths(o);
  const before = configsBefore(await configFiles(o.confDir), o.confName);
  if (before.length > 0) {
    throw new InstallError(
      `${before.join(', ')} ${before.length === 1 ? 'sorts' : 'sort'} before ${o.confName} in ${o.confDir}: the ` +
        `runtime uses the first config, ` +
        'so multus would never run. Remove an older multus config, or pass --conf-name with a name that sorts first',
    );
  }
  const { primary, skipped } =
    o.primary === 'auto'
      ? await findPrimary(o.confDir, o.confName)
      : { primary: await readPrimary(o.primary), skipped: [] };
  const credentials = await credentialFiles(o, paths);
  const input: MultusConflistInput = {
    primary,
    primaryHostPath: toHostPath(o.hostPrefix, primary.path),
    kubeconfigHostPath: toHostPath(o.hostPrefix, paths.kubeconfig),
    extra: o.extra,
  };
  const { configs, ...planned } = o.thick === undefined ? thinFiles(input, paths) : thickFiles(o, input, paths);
  return { primary, skipped, ...planned, files: [...credentials, ...configs] };
}

/** The configs one mode writes, after the credentials. */
type ModeFiles = Pick<InstallPlan, 'conflist' | 'daemonConfig'> & { readonly configs: readonly PlannedFile[] };

function configFile(path: string, conf: Readonly<Record<string, unknown>>, what: string): PlannedFile {
  return { path, data: `${JSON.stringify(conf, undefined, 2)}\n`, mode: CONFIG_MODE, what };
}

/** Thin mode's one file: the multus conflist with the multus config keys. */
function thinFiles(input: MultusConflistInput, paths: InstallPaths): ModeFiles {
  const conflist = buildMultusConflist(input);
  validateMultusConflist(conflist, input.primary.path);
  return { conflist, daemonConfig: undefined, configs: [configFile(paths.conf, conflist, 'multus config')] };
}

/** Thick mode's two files: the daemon config with the multus keys, and the shim's conflist naming it. */
function thickFiles(o: InstallOptions, input: MultusConflistInput, paths: InstallPaths): ModeFiles {
  const thick = o.thick as NonNullable<InstallOptions['thick']>;
  const daemonConfigHostPath = toHostPath(o.hostPrefix, thick.daemonConfig);
  const daemonConfig = buildDaemonConfig({
    ...input,
    socketDir: thick.socketDir,
    confDirHostPath: toHostPath(o.hostPrefix, o.confDir),
  });
  const conflist = buildShimConflist({ primary: input.primary, socketDir: thick.socketDir, daemonConfigHostPath });
  validateThickFiles(conflist, daemonConfig, input.primary.path, thick.daemonConfig);
  const configs = [
    configFile(thick.daemonConfig, daemonConfig, 'daemon config'),
    configFile(paths.conf, conflist, 'shim config'),
  ];
  return { conflist, daemonConfig, configs };
}

/** The binaries an install copies into the CNI bin dir: multus, and with --thick the shim beside it. */
function binaries(
  o: InstallOptions,
  multusBin: string,
): ReadonlyArray<{ readonly source: string; readonly name: string }> {
  const thin = { source: multusBin, name: BINARY_NAME };
  if (o.thick === undefined) return [thin];
  return [thin, { source: o.thick.shimBin ?? join(dirname(multusBin), SHIM_BINARY_NAME), name: SHIM_BINARY_NAME }];
}

/**
 * Copies each binary into the CNI bin dir under a temporary name, then renames it into place: a
 * runtime executing the old binary keeps its inode, so the copy never fails with "text file
 * busy", and no runtime ever executes a half-copied file. Every source is checked before the
 * first copy. The thin binary goes first: the shim falls back to it.
 */
export async function installBinaries(o: InstallOptions, multusBin: string, env: InstallerEnv): Promise<void> {
  const list = binaries(o, multusBin);
  for (const { source, name } of list) {
    const stat = await fs.stat(source).catch((err: unknown) => {
      throw new InstallError(`cannot read the ${name} binary ${source}: ${(err as Error).message}`);
    });
    if (!stat.isFile()) throw new InstallError(`the ${name} binary ${source} is not a regular file`);
  }
  await fs.mkdir(o.binDir, { recursive: true, mode: 0o755 });
  for (const { source, name } of list) {
    const target = join(o.binDir, name);
    await copyFileAtomic(source, target, BINARY_MODE, env.pid);
    env.log(`installed ${target} from ${source}`);
  }
}

/** Writes the planned files that differ from what is on disk; returns those written. */
async function writePlanned(o: InstallOptions, plan: InstallPlan, env: InstallerEnv): Promise<string[]> {
  await fs.mkdir(o.confDir, { recursive: true, mode: 0o755 });
  if (o.credentials.kind === 'service-account')
    await fs.mkdir(dirname(o.credentials.kubeconfigOut), { recursive: true, mode: 0o700 });
  if (o.thick !== undefined) await fs.mkdir(dirname(o.thick.daemonConfig), { recursive: true, mode: 0o755 });
  const written: string[] = [];
  for (const file of plan.files) {
    if (await ensureFile(file.path, file.data, file.mode, env.pid)) {
      written.push(file.path);
      env.log(`wrote ${file.what} ${file.path}`);
    }
  }
  return written;
}

function describePrimary(plan: InstallPlan): string {
  const passed = plan.skipped.length === 0 ? '' : ` (passed over ${plan.skipped.join(', ')}: they run multus)`;
  return `primary CNI config ${plan.primary.path}${passed}`;
}

/** One install: plan (failing before any write), copy the binary, write the files. */
export async function install(o: InstallOptions, multusBin: string, env: InstallerEnv): Promise<InstallPlan> {
  const plan = await planInstall(o);
  env.log(describePrimary(plan));
  if (o.dryRun) return plan;
  await installBinaries(o, multusBin, env);
  const written = await writePlanned(o, plan, env);
  if (written.length === 0) env.log('configs already up to date');
  return plan;
}

/** Removes the config under our name, but only while it still runs multus (or the shim): else it is not ours. */
async function removeOurConfig(path: string, env: InstallerEnv): Promise<boolean> {
  const conf = await fs.readFile(path, 'utf8').then(
    (text) => text,
    (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    },
  );
  if (conf === undefined) return false;
  let ours = false;
  try {
    ours = isMultusConfig(JSON.parse(conf));
  } catch {
    ours = false;
  }
  if (!ours) env.log(`left ${path} in place: it does not run multus, so it is not ours`);
  return ours && (await removeFile(path));
}

/** Removes a dir the install made, when that leaves nothing behind; returns whether it did. */
async function removeIfEmpty(dir: string): Promise<boolean> {
  return fs.rmdir(dir).then(
    () => true,
    () => false, // not empty (someone else's files) or already gone: leave it
  );
}

/**
 * Removes what install wrote: the conflist (only while it still runs multus), with --thick the
 * daemon config, and the kubeconfig with its token and CA copies (not a `--kubeconfig` the
 * operator supplied), then the `multus.d` dir and the daemon config's default dir if that leaves
 * them empty. Never the binaries: pods set up through multus still need them for their DEL, and
 * a runtime that finds no plugin on DEL leaks their interfaces.
 */
export async function cleanup(o: InstallOptions, env: InstallerEnv): Promise<string[]> {
  const paths = installPaths(o);
  const removed: string[] = [];
  const dirs: string[] = [];
  if (await removeOurConfig(paths.conf, env)) removed.push(paths.conf);
  if (o.thick !== undefined) {
    if (await removeFile(o.thick.daemonConfig)) removed.push(o.thick.daemonConfig);
    const defaultDir = join(o.hostPrefix ?? '/', dirname(DEFAULT_DAEMON_CONFIG));
    if (dirname(o.thick.daemonConfig) === defaultDir) dirs.push(defaultDir);
  }
  if (o.credentials.kind === 'service-account') {
    for (const p of [paths.kubeconfig, paths.token, paths.ca])
      if (p !== undefined && (await removeFile(p))) removed.push(p);
    const dir = dirname(o.credentials.kubeconfigOut);
    if (dir === join(o.confDir, KUBECONFIG_SUBDIR)) dirs.push(dir);
  }
  for (const dir of dirs) if (await removeIfEmpty(dir)) removed.push(dir);
  for (const p of removed) env.log(`removed ${p}`);
  const left =
    paths.shim === undefined ? `the binary ${paths.binary}` : `the binaries ${paths.binary} and ${paths.shim}`;
  env.log(`left ${left}: pods set up through multus need them to be deleted`);
  return removed;
}

/** What the watch loop needs beyond the installer's env. */
export interface WatchEnv extends InstallerEnv {
  /** Aborted on SIGTERM/SIGINT: the loop stops, and cleans up with --cleanup-on-exit. */
  readonly signal: AbortSignal;
  /** Problems that do not stop the loop (no primary yet, a write failed). */
  readonly warn: (line: string) => void;
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

/**
 * The DaemonSet's mode: copy the binary once, then every interval re-plan and rewrite what
 * changed: the projected token (the kubelet rotates it), the CA, a primary config that
 * appeared, moved or changed, or our config removed by someone. A primary that is not there yet
 * is waited for (the cluster network's own DaemonSet may start after ours). Each distinct
 * problem is reported once. Ends when the signal aborts; with --cleanup-on-exit it then removes
 * the configs so the node falls back to its primary network.
 */
export async function watch(o: InstallOptions, multusBin: string, env: WatchEnv): Promise<void> {
  await installBinaries(o, multusBin, env);
  let lastProblem: string | undefined;
  let lastPrimary: string | undefined;
  while (!env.signal.aborted) {
    try {
      const plan = await planInstall(o);
      const described = describePrimary(plan);
      if (described !== lastPrimary) env.log(described);
      lastPrimary = described;
      await writePlanned(o, plan, env);
      lastProblem = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== lastProblem) env.warn(`${message} (retrying every ${o.intervalMs / 1000} s)`);
      lastProblem = message;
      lastPrimary = undefined;
    }
    await pause(o.intervalMs, env.signal);
  }
  env.log('stopping');
  if (o.cleanupOnExit) await cleanup(o, env);
}
