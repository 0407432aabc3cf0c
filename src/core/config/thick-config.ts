import 'reflect-metadata';
import { IsBoolean, IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { CniCode, CniError } from '../errors';
import { isObject } from '../json';
import { throwIfProblems, validateModel, type ConfigProblem } from '../validation';
import { IsAbsolutePath, IsIpAddress } from '../validators';
import { DEFAULT_SOCKET_DIR, SHIM_KEYS, SHIM_TYPE, SOCKET_NAME } from './shim-keys';

/** Keys of the daemon config that configure the daemon itself; every other key is a multus default. */
export const DAEMON_KEYS: readonly string[] = [
  'socketDir',
  'cniConfigDir',
  'multusConfigFile',
  'multusAutoconfigDir',
  'metricsPort',
  'metricsAddress',
  'maxConcurrentRequests',
  'maxQueuedRequests',
  'maxRequestBytes',
  'requestTimeoutSeconds',
  'shutdownTimeoutSeconds',
  'bodyTimeoutSeconds',
  'nodeName',
  'dynamicNetworks',
  'reconcileIntervalSeconds',
  'reconcileGraceSeconds',
  'reconcileDryRun',
];

/** Go daemon-config keys that mean nothing here: an error naming each and what to do instead. */
const INAPPLICABLE: Readonly<Record<string, string>> = {
  chrootDir:
    'Go runs delegates in the host root through chroot; this daemon runs them in its own mount namespace: mount ' +
    "the host's /opt/cni/bin, /etc/cni, /var/lib/cni and /run/netns at the same paths instead, and remove it",
  daemonSocketDir:
    "is the shim's key (the conflist entry of type multus-shim); the daemon's socket directory is socketDir",
  perNodeCertificate: 'is not supported: give a kubeconfig, or run in a pod with a service account',
  logOptions: 'log rotation is not built in: rotate logFile with logrotate (copytruncate), and remove it',
};

/** Wire model of the daemon's own keys (the multus defaults are checked per request, as in thin mode). */
class DaemonConfigWire {
  @IsOptional() @IsAbsolutePath() socketDir!: unknown;
  @IsOptional() @IsAbsolutePath() cniConfigDir!: unknown;
  @IsOptional() @IsString({ message: 'must be "auto" or an absolute path' }) multusConfigFile!: unknown;
  @IsOptional() @IsAbsolutePath() multusAutoconfigDir!: unknown;
  @IsOptional() @IsInt({ message: 'must be a port number' }) @Min(1) @Max(65535) metricsPort!: unknown;
  @IsOptional() @IsIpAddress() metricsAddress!: unknown;
  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(1) @Max(4096) maxConcurrentRequests!: unknown;
  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(0) @Max(100000) maxQueuedRequests!: unknown;
  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(1024) maxRequestBytes!: unknown;
  @IsOptional() @IsNumber({}, { message: 'must be a number of seconds' }) @Min(1) requestTimeoutSeconds!: unknown;
  @IsOptional() @IsNumber({}, { message: 'must be a number of seconds' }) @Min(0) shutdownTimeoutSeconds!: unknown;
  @IsOptional() @IsNumber({}, { message: 'must be a number of seconds' }) @Min(0.1) bodyTimeoutSeconds!: unknown;
  @IsOptional() @IsString({ message: 'must be a string' }) nodeName!: unknown;
  @IsOptional() @IsNumber({}, { message: 'must be a number of seconds' }) @Min(0) reconcileIntervalSeconds!: unknown;
  @IsOptional() @IsNumber({}, { message: 'must be a number of seconds' }) @Min(0) reconcileGraceSeconds!: unknown;
  @IsOptional() @IsBoolean({ message: 'must be true or false' }) reconcileDryRun!: unknown;
  @IsOptional() @IsBoolean({ message: 'must be true or false' }) logToStderr!: unknown;
  @IsOptional() @IsBoolean({ message: 'must be true or false' }) dynamicNetworks!: unknown;
}

/** The daemon's settings, and the multus config keys every request gets as defaults. */
export interface DaemonConfig {
  readonly socketDir: string;
  readonly socketPath: string;
  readonly cniConfigDir: string;
  /** "auto": the first CNI config of multusAutoconfigDir becomes the clusterNetwork; a path: the multus config. */
  readonly multusConfigFile: string | undefined;
  readonly multusAutoconfigDir: string;
  readonly metricsPort: number | undefined;
  readonly metricsAddress: string;
  readonly maxConcurrentRequests: number;
  readonly maxQueuedRequests: number;
  readonly maxRequestBytes: number;
  readonly requestTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** How long a request's body may take to arrive: a healthy shim sends it at once (default 10 s). */
  readonly bodyTimeoutMs: number;
  readonly nodeName: string | undefined;
  /** Live networks: running pods' interfaces follow their networks annotation (docs/hotplug.md). */
  readonly dynamicNetworks: boolean;
  /** Between two reconciles of the records with the node's pods (default 300 s); 0: off. */
  readonly reconcileIntervalMs: number;
  /** How long a record's pod must have been gone before reconcile deletes the record (default 600 s). */
  readonly reconcileGraceMs: number;
  /** Reconcile only reports what it would delete. */
  readonly reconcileDryRun: boolean;
  /** Every other key: a default of each request's multus config (the request's own keys win). */
  readonly defaults: Readonly<Record<string, unknown>>;
}

function inapplicableProblems(raw: Readonly<Record<string, unknown>>): ConfigProblem[] {
  return Object.keys(INAPPLICABLE)
    .filter((k) => k in raw)
    .map((k) => ({ path: k, message: INAPPLICABLE[k] as string }));
}

/**
 * Validates a daemon config (Go's daemon-config.json keys where they mean something here, plus
 * this daemon's limits). Code 7 for a wrong value, code 2 for a Go key that does not apply.
 */
export function parseDaemonConfig(raw: unknown, where: string): DaemonConfig {
  if (!isObject(raw)) throw new CniError(CniCode.InvalidConfig, `${where}: must be a JSON object`);
  throwIfProblems(validateModel(DaemonConfigWire, raw, ''), `invalid daemon config ${where}`);
  throwIfProblems(inapplicableProblems(raw), `unsupported daemon config ${where}`, CniCode.UnsupportedField);
  const file = raw['multusConfigFile'] as string | undefined;
  if (file !== undefined && file !== 'auto' && !file.startsWith('/'))
    throw new CniError(CniCode.InvalidConfig, `${where}: multusConfigFile: must be "auto" or an absolute path`);
  const socketDir = (raw['socketDir'] as string | undefined) ?? DEFAULT_SOCKET_DIR;
  const cniConfigDir = (raw['cniConfigDir'] as string | undefined) ?? '/etc/cni/net.d';
  const seconds = (key: string, dflt: number): number => Math.round(((raw[key] as number | undefined) ?? dflt) * 1000);
  const defaults = Object.fromEntries(Object.entries(raw).filter(([k]) => !DAEMON_KEYS.includes(k)));
  return {
    socketDir,
    socketPath: `${socketDir.replace(/\/+$/u, '')}/${SOCKET_NAME}`,
    cniConfigDir,
    multusConfigFile: file,
    multusAutoconfigDir: (raw['multusAutoconfigDir'] as string | undefined) ?? cniConfigDir,
    metricsPort: raw['metricsPort'] as number | undefined,
    metricsAddress: (raw['metricsAddress'] as string | undefined) ?? '127.0.0.1',
    maxConcurrentRequests: (raw['maxConcurrentRequests'] as number | undefined) ?? 32,
    maxQueuedRequests: (raw['maxQueuedRequests'] as number | undefined) ?? 512,
    maxRequestBytes: (raw['maxRequestBytes'] as number | undefined) ?? 1024 * 1024,
    requestTimeoutMs: seconds('requestTimeoutSeconds', 600),
    shutdownTimeoutMs: seconds('shutdownTimeoutSeconds', 30),
    bodyTimeoutMs: seconds('bodyTimeoutSeconds', 10),
    nodeName: raw['nodeName'] as string | undefined,
    dynamicNetworks: raw['dynamicNetworks'] === true,
    reconcileIntervalMs: seconds('reconcileIntervalSeconds', 300),
    reconcileGraceMs: seconds('reconcileGraceSeconds', 600),
    reconcileDryRun: (raw['reconcileDryRun'] as boolean | undefined) ?? false,
    defaults,
  };
}

/** Groups of keys that say the same thing (or one thing in two ways): a request's choice replaces the daemon's. */
const ALTERNATIVES: ReadonlyArray<readonly string[]> = [
  ['delegates', 'clusterNetwork'],
  ['log_level', 'logLevel'],
];

/**
 * The multus config of one request. A shim request (`type: multus-shim`) gets the daemon's
 * defaults under its own keys (the request's keys win; its shim-only keys are dropped) and
 * becomes `type: multus`. Any other config is the request's own, as in thin mode.
 */
export function requestConfig(
  defaults: Readonly<Record<string, unknown>>,
  raw: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  if (raw['type'] !== SHIM_TYPE) return { ...raw };
  const own = Object.fromEntries(Object.entries(raw).filter(([k]) => !SHIM_KEYS.includes(k)));
  const merged: Record<string, unknown> = { ...defaults, ...own, type: 'multus' };
  // Keys that stand for one another: a request that sets one does not also get the daemon's other
  // (its delegates, not the daemon's clusterNetwork; its log_level, not the daemon's logLevel).
  for (const group of ALTERNATIVES) {
    const mine = group.filter((k) => k in own);
    if (mine.length > 0) for (const k of group) if (!mine.includes(k)) delete merged[k];
  }
  return merged;
}
