import { dirname, isAbsolute, join, normalize } from 'node:path';
import { describeUnknownKey, unknownKeys } from '../../core/config/known-keys';
import { DEFAULT_DAEMON_CONFIG, DEFAULT_SOCKET_DIR } from '../../core/config/shim-keys';
import { DAEMON_KEYS } from '../../core/config/thick-config';
import { UsageError } from '../cli-io';
import { RESERVED_KEYS } from './multus-conflist';
import { apiServerFromEnv } from './service-account-kubeconfig';

export const DEFAULT_BIN_DIR = '/opt/cni/bin';
export const DEFAULT_CONF_DIR = '/etc/cni/net.d';
export const DEFAULT_CONF_NAME = '00-multus.conflist';
export const DEFAULT_SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const DEFAULT_INTERVAL_SECONDS = 10;
/** The kubeconfig's directory under the conf dir, as Go Multus names it. */
export const KUBECONFIG_SUBDIR = 'multus.d';

/** Where the kubeconfig's credentials come from. */
export type Credentials =
  /** Write a kubeconfig for the pod's service account, with copies of its token and CA beside it. */
  | {
      readonly kind: 'service-account';
      readonly kubeconfigOut: string;
      readonly serviceAccountDir: string;
      readonly apiServer: string | undefined;
    }
  /** Use a kubeconfig that is already on the host; write none. */
  | { readonly kind: 'existing'; readonly kubeconfig: string };

/** Thick mode's part of the command line (`--thick`). */
export interface ThickOptions {
  /** The shim to copy; undefined: `multus-shim` beside the multus binary. */
  readonly shimBin: string | undefined;
  /** Where to write the daemon config, as this process sees it. */
  readonly daemonConfig: string;
  /** The daemon's socket dir, as the host sees it: the installer never touches it. */
  readonly socketDir: string;
}

/** `multus install`'s command line, checked. Paths are as this process sees them. */
export interface InstallOptions {
  readonly mode: 'install' | 'cleanup';
  readonly binDir: string;
  readonly confDir: string;
  readonly confName: string;
  /** Where the host's root is mounted in this process's view; undefined on the host itself. */
  readonly hostPrefix: string | undefined;
  /** The binary to copy; undefined: the running one. */
  readonly multusBin: string | undefined;
  /** `'auto'` (detect the runtime's first config), or the path of the config to wrap. */
  readonly primary: string;
  readonly credentials: Credentials;
  /** Keys added to the multus plugin's config (`--log-level`, `--log-file`, `--set`). */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly watch: boolean;
  readonly intervalMs: number;
  readonly cleanupOnExit: boolean;
  readonly dryRun: boolean;
  /** `--strict`: refuse to install a config with a key multus does not know, rather than warn. */
  readonly strict: boolean;
  /** `--thick`: install the shim and a daemon config instead of the thin plugin's conflist. */
  readonly thick: ThickOptions | undefined;
}

const VALUE_OPTIONS = [
  'cni-bin-dir',
  'cni-conf-dir',
  'conf-name',
  'host-prefix',
  'multus-bin',
  'primary',
  'kubeconfig-out',
  'kubeconfig',
  'service-account-dir',
  'api-server',
  'log-level',
  'log-file',
  'set',
  'interval',
  'shim-bin',
  'daemon-config',
  'socket-dir',
] as const;
const FLAG_OPTIONS = ['cleanup', 'watch', 'cleanup-on-exit', 'dry-run', 'strict', 'thick'] as const;
const THICK_OPTIONS = ['shim-bin', 'daemon-config', 'socket-dir'] as const;
const REPEATABLE: ReadonlySet<string> = new Set(['set']);

type ValueOption = (typeof VALUE_OPTIONS)[number];
type FlagOption = (typeof FLAG_OPTIONS)[number];

interface RawArgs {
  readonly values: ReadonlyMap<ValueOption, readonly string[]>;
  readonly flags: ReadonlySet<FlagOption>;
}

/** `--name value` and `--name=value`; an unknown option, a positional or a repeated option is a usage error. */
function split(args: readonly string[]): RawArgs {
  const values = new Map<ValueOption, string[]>();
  const flags = new Set<FlagOption>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith('--'))
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: install takes options only`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name as FlagOption);
      continue;
    }
    if (!(VALUE_OPTIONS as readonly string[]).includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : args[(i += 1)];
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    const list = values.get(name as ValueOption) ?? [];
    if (list.length > 0 && !REPEATABLE.has(name)) throw new UsageError(`--${name} given twice`);
    values.set(name as ValueOption, [...list, value]);
  }
  return { values, flags };
}

function one(raw: RawArgs, name: ValueOption): string | undefined {
  return raw.values.get(name)?.[0];
}

function absolute(raw: RawArgs, name: ValueOption, fallback: string): string;
function absolute(raw: RawArgs, name: ValueOption): string | undefined;
function absolute(raw: RawArgs, name: ValueOption, fallback?: string): string | undefined {
  const value = one(raw, name) ?? fallback;
  if (value === undefined) return undefined;
  if (!isAbsolute(value)) throw new UsageError(`--${name} must be an absolute path, got ${JSON.stringify(value)}`);
  const clean = normalize(value);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/**
 * A path on the host as the multus binary will see it, from the path this process sees:
 * `--host-prefix /host` turns `/host/etc/cni/net.d` into `/etc/cni/net.d`. Paths written into
 * the multus config and the kubeconfig go through this.
 */
export function toHostPath(hostPrefix: string | undefined, path: string): string {
  if (hostPrefix === undefined || hostPrefix === '/') return path;
  if (path === hostPrefix) return '/';
  if (path.startsWith(`${hostPrefix}/`)) return path.slice(hostPrefix.length);
  throw new UsageError(
    `${path} is not under --host-prefix ${hostPrefix}, so the multus binary on the host could not find it`,
  );
}

function extraKeys(raw: RawArgs): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  const logLevel = one(raw, 'log-level');
  if (logLevel !== undefined) extra['logLevel'] = logLevel;
  const logFile = absolute(raw, 'log-file');
  if (logFile !== undefined) extra['logFile'] = logFile;
  for (const pair of raw.values.get('set') ?? []) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq <= 0) throw new UsageError(`--set ${JSON.stringify(pair)}: expected KEY=VALUE`);
    if (RESERVED_KEYS.includes(key)) throw new UsageError(`--set ${key}: the installer sets ${key} itself`);
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: the value is the string itself (--set multusNamespace=kube-system).
    }
    extra[key] = value;
  }
  return extra;
}

/**
 * `--thick`'s options. The daemon config must not sit in the conf dir itself: a runtime would
 * read a `.json` there as a CNI config. `socketDir` has its own option because both files name
 * it, and they must agree.
 */
function thickOptions(raw: RawArgs, confDir: string, onHostDefault: (p: string) => string): ThickOptions | undefined {
  if (!raw.flags.has('thick')) {
    const given = THICK_OPTIONS.filter((n) => raw.values.has(n));
    if (given.length > 0) throw new UsageError(`${given.map((n) => `--${n}`).join(', ')} needs --thick`);
    return undefined;
  }
  if ((raw.values.get('set') ?? []).some((pair) => pair.startsWith('socketDir=')))
    throw new UsageError('--set socketDir: with --thick, give the socket dir with --socket-dir');
  const daemonConfig = absolute(raw, 'daemon-config', onHostDefault(DEFAULT_DAEMON_CONFIG));
  if (dirname(daemonConfig) === confDir)
    throw new UsageError(
      `--daemon-config must not be in the CNI config dir: the runtime would read it as a CNI config`,
    );
  return {
    shimBin: absolute(raw, 'shim-bin'),
    daemonConfig,
    socketDir: absolute(raw, 'socket-dir', DEFAULT_SOCKET_DIR),
  };
}

function credentials(raw: RawArgs, confDir: string, env: ReadonlyMap<string, string>): Credentials {
  const kubeconfig = absolute(raw, 'kubeconfig');
  if (kubeconfig !== undefined) {
    const clash = (['kubeconfig-out', 'service-account-dir', 'api-server'] as const).filter((n) => raw.values.has(n));
    if (clash.length > 0)
      throw new UsageError(
        `--kubeconfig uses an existing kubeconfig; ${clash.map((n) => `--${n}`).join(', ')} would write one`,
      );
    return { kind: 'existing', kubeconfig };
  }
  const apiServer = one(raw, 'api-server') ?? apiServerFromEnv(env);
  if (apiServer !== undefined && !/^https?:\/\/[^/]+/u.test(apiServer))
    throw new UsageError(`--api-server must be a URL, got ${JSON.stringify(apiServer)}`);
  return {
    kind: 'service-account',
    kubeconfigOut: absolute(raw, 'kubeconfig-out', join(confDir, KUBECONFIG_SUBDIR, 'multus.kubeconfig')),
    serviceAccountDir: absolute(raw, 'service-account-dir', DEFAULT_SERVICE_ACCOUNT_DIR),
    apiServer,
  };
}

function interval(raw: RawArgs): number {
  const text = one(raw, 'interval');
  if (text === undefined) return DEFAULT_INTERVAL_SECONDS * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new UsageError(
      `--interval must be a number of seconds, more than 0 and at most 3600, got ${JSON.stringify(text)}`,
    );
  return Math.round(seconds * 1000);
}

/** Parses and checks `multus install`'s arguments; `env` gives the API server's default. */
export function parseInstallOptions(args: readonly string[], env: ReadonlyMap<string, string>): InstallOptions {
  const raw = split(args);
  const has = (f: FlagOption): boolean => raw.flags.has(f);
  if (has('cleanup') && (has('watch') || has('dry-run')))
    throw new UsageError('--cleanup runs once and writes nothing: not with --watch or --dry-run');
  if (has('watch') && has('dry-run')) throw new UsageError('--dry-run writes nothing, so there is nothing to --watch');
  if (has('cleanup-on-exit') && !has('watch'))
    throw new UsageError('--cleanup-on-exit needs --watch (without it the command exits as soon as it has installed)');
  if (raw.values.has('interval') && !has('watch')) throw new UsageError('--interval needs --watch');
  // With a host prefix the dirs default to the host's own, seen through it.
  const hostPrefix = absolute(raw, 'host-prefix');
  const onHostDefault = (path: string): string => (hostPrefix === undefined ? path : join(hostPrefix, path));
  const confDir = absolute(raw, 'cni-conf-dir', onHostDefault(DEFAULT_CONF_DIR));
  const confName = one(raw, 'conf-name') ?? DEFAULT_CONF_NAME;
  if (!confName.endsWith('.conflist') || confName.includes('/') || confName.startsWith('.')) {
    throw new UsageError(`--conf-name must be a file name ending in .conflist, got ${JSON.stringify(confName)}`);
  }
  const primaryArg = one(raw, 'primary') ?? 'auto';
  const options: InstallOptions = {
    mode: has('cleanup') ? 'cleanup' : 'install',
    binDir: absolute(raw, 'cni-bin-dir', onHostDefault(DEFAULT_BIN_DIR)),
    confDir,
    confName,
    hostPrefix,
    multusBin: absolute(raw, 'multus-bin'),
    primary: primaryArg === 'auto' ? 'auto' : absolute(raw, 'primary', primaryArg),
    credentials: credentials(raw, confDir, env),
    extra: extraKeys(raw),
    watch: has('watch'),
    intervalMs: interval(raw),
    cleanupOnExit: has('cleanup-on-exit'),
    dryRun: has('dry-run'),
    strict: has('strict'),
    thick: thickOptions(raw, confDir, onHostDefault),
  };
  // Every path the host's multus will be told about must map to a host path.
  const onHost = [options.binDir, options.confDir, options.primary === 'auto' ? undefined : options.primary];
  onHost.push(
    options.credentials.kind === 'existing' ? options.credentials.kubeconfig : options.credentials.kubeconfigOut,
  );
  onHost.push(options.thick?.daemonConfig);
  for (const p of onHost) if (p !== undefined) toHostPath(options.hostPrefix, p);
  return options;
}

/**
 * One line per key given to the multus config (by `--set`) that multus does not know, naming
 * the nearest known key: `--set paralleldelegates: unknown key, ignored by ADD; did you mean
 * "parallelDelegates"?`. An ADD ignores such a key, so without this a misspelt setting would be
 * installed and silently have no effect.
 */
export function unknownKeyMessages(options: Pick<InstallOptions, 'extra' | 'thick'>): string[] {
  // With --thick the keys go to the daemon config, where the daemon's own keys are known too.
  const daemonKey = (key: string): boolean => options.thick !== undefined && DAEMON_KEYS.includes(key);
  return unknownKeys(options.extra)
    .filter((u) => !daemonKey(u.key))
    .map((u) => `--set ${u.key}: ${describeUnknownKey(u)}`);
}
