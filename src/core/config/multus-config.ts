import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { kubernetesSettings, KubernetesSettingsWire, type KubernetesSettings } from './kubernetes-settings';
import { CniCode, CniError, toCniError } from '../errors';
import { isObject } from '../json';
import type { LogLevel, LogSettings } from '../ports/logger';
import { throwIfProblems, validateModel, type ConfigProblem } from '../validation';
import { IsAbsolutePath, IsCniVersion, IsNonEmptyString } from '../validators';
import { DEFAULT_CONFIG_VERSION, type CniVersion } from '../version';

/**
 * An optional number of seconds, from `min` (said by `minMessage`) to 3600: the checks of both
 * timeouts, registered bottom first as stacked decorators are, so the type check is still the
 * one reported for a value that fails several.
 */
function OptionalSeconds(min: number, minMessage: string): PropertyDecorator {
  const stack = [
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number of seconds' }),
    Min(min, { message: minMessage }),
    Max(3600, { message: 'must be at most 3600 seconds' }),
  ];
  return (target, key) => {
    for (const decorator of [...stack].reverse()) decorator(target, key);
  };
}

/** Log levels accepted: the seed's (debug, verbose, error, panic) and pino's names. */
const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  verbose: 'info',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  panic: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
};

export const DEFAULT_CACHE_DIR = '/var/lib/cni/multus';
export const DEFAULT_NETWORK_NAME = 'multus-cni-network';
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';
/** Long enough for a DHCP lease or a slow IPAM, short enough that a hung plugin does not hold the pod for long. */
export const DEFAULT_DELEGATE_TIMEOUT_SECONDS = 60;
/** As Go Multus: an ADD waits this long for the readiness indicator file. */
export const DEFAULT_READINESS_TIMEOUT_SECONDS = 45;

/**
 * Go Multus thick-mode keys that do not belong in a multus config: rejected with code 2 rather
 * than ignored, so an operator never believes a setting took effect when it did not.
 */
const UNSUPPORTED_KEYS = ['daemonSocketDir', 'socketDir', 'chrootDir'] as const;

/** Wire model of one entry of `delegates`: only what multus itself reads; the rest is the plugin's. */
class DelegateEntryWire {
  /** A conflist delegate (`plugins`) has its types in its plugins. */
  @ValidateIf((o: DelegateEntryWire) => o.plugins === undefined)
  @IsNonEmptyString()
  type!: unknown;

  @IsOptional()
  @IsArray({ message: 'must be a non-empty list of plugin configs (a conflist)' })
  @ArrayNotEmpty({ message: 'must list at least one plugin' })
  plugins?: unknown;

  @IsOptional()
  @IsNonEmptyString()
  name?: unknown;

  @IsOptional()
  @IsCniVersion()
  cniVersion?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  masterplugin?: unknown;
}

/** Wire model of the multus config as the runtime passes it on stdin. */
class MultusConfigWire extends KubernetesSettingsWire {
  @IsOptional()
  @IsNonEmptyString()
  name?: unknown;

  @IsNonEmptyString()
  type!: unknown;

  @IsOptional()
  @IsCniVersion()
  cniVersion?: unknown;

  @IsOptional()
  @IsIn(Object.keys(LEVEL_ALIASES), { message: `must be one of ${Object.keys(LEVEL_ALIASES).join(', ')}` })
  log_level?: unknown;

  @IsOptional()
  @IsIn(Object.keys(LEVEL_ALIASES), { message: `must be one of ${Object.keys(LEVEL_ALIASES).join(', ')}` })
  logLevel?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  logFile?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  logToStderr?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  kubeconfig?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  cniDir?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  binDir?: unknown;

  @IsOptional()
  @IsInt({ message: 'must be 0 (the seed: net0, net1, ...) or 1 (Go Multus v3+: net1, net2, ...)' })
  @Min(0, { message: 'must be 0 or 1' })
  @Max(1, { message: 'must be 0 or 1' })
  ifnameIndexFrom?: unknown;

  @OptionalSeconds(0.001, 'must be more than 0 seconds')
  delegateTimeoutSeconds?: unknown;

  /** "" (what Go Multus's default configs write) means no readiness file. */
  @IsOptional()
  @ValidateIf((o: MultusConfigWire) => o.readinessindicatorfile !== '')
  @IsAbsolutePath()
  readinessindicatorfile?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  parallelDelegates?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  masterDefaultRoute?: unknown;

  @IsOptional()
  @IsArray({ message: 'must be a list of absolute directory paths' })
  @IsAbsolutePath({ each: true })
  adapterDirs?: unknown;

  @OptionalSeconds(0, 'must be 0 or more seconds')
  readinessTimeoutSeconds?: unknown;

  @ValidateIf((o: MultusConfigWire) => o.delegates !== undefined || o.kubeconfig === undefined)
  @IsArray({
    message: 'must be a non-empty list of delegate configs (or set kubeconfig to take networks from Kubernetes)',
  })
  @ArrayNotEmpty({ message: 'must list at least one delegate' })
  @ValidateNested({ each: true, message: 'must be a JSON object' })
  @Type(() => DelegateEntryWire)
  delegates!: unknown;
}

/** One delegate of the config, with multus's own key (`masterplugin`) taken out of the plugin's config. */
export interface DelegateSpec {
  readonly conf: Readonly<Record<string, unknown>>;
  readonly master: boolean;
  /** Where it came from, for error messages: `delegates[2]`. */
  readonly path: string;
}

/** The validated multus config, as the rest of the program uses it. */
export interface MultusConfig {
  readonly name: string;
  readonly cniVersion: CniVersion;
  readonly log: LogSettings;
  readonly kubeconfig: string | undefined;
  /** Empty only when a kubeconfig is set (networks then come from Kubernetes). */
  readonly delegates: readonly DelegateSpec[];
  readonly kubernetes: KubernetesSettings;
  readonly cacheDir: string;
  readonly binDir: string | undefined;
  readonly ifnameIndexFrom: number;
  /** How long one delegate call may run before its process group is killed (ms). */
  readonly delegateTimeoutMs: number;
  /** A file whose existence says the cluster network is ready (Go Multus `readinessindicatorfile`). */
  readonly readinessFile: string | undefined;
  /** How long an ADD waits for the readiness file (ms). */
  readonly readinessTimeoutMs: number;
  /** Run attachments that share no host object at the same time (opt-in). */
  readonly parallelDelegates: boolean;
  /**
   * The seed's rule: the master owns the pod's default route of each IP family it has a gateway
   * for (other attachments' default routes of that family are removed). On by default without
   * `clusterNetwork` (the seed's styles), off with it (today's Go Multus: `default-route`).
   */
  readonly masterDefaultRoute: boolean;
  /** Directories of vendor adapter modules loaded at run time. */
  readonly adapterDirs: readonly string[];
  /** The config exactly as received, for sources that need keys multus does not model. */
  readonly raw: Readonly<Record<string, unknown>>;
}

function logSettings(raw: Record<string, unknown>): LogSettings {
  const a = raw['log_level'] as string | undefined;
  const b = raw['logLevel'] as string | undefined;
  if (a !== undefined && b !== undefined && LEVEL_ALIASES[a] !== LEVEL_ALIASES[b]) {
    throw new CniError(CniCode.InvalidConfig, `log_level "${a}" and logLevel "${b}" disagree: set one of them`);
  }
  const level = LEVEL_ALIASES[a ?? b ?? ''] ?? DEFAULT_LOG_LEVEL;
  const file = raw['logFile'] as string | undefined;
  const toStderr = (raw['logToStderr'] as boolean | undefined) ?? file === undefined;
  return { level, file, toStderr };
}

function delegateSpecs(delegates: ReadonlyArray<Record<string, unknown>>): DelegateSpec[] {
  const specs = delegates.map((d, i): DelegateSpec => {
    const { masterplugin, ...conf } = d;
    return { conf, master: masterplugin === true, path: `delegates[${i}]` };
  });
  const masters = specs.filter((s) => s.master);
  if (masters.length > 1) {
    throw new CniError(
      CniCode.InvalidConfig,
      `${masters.map((m) => m.path).join(', ')} each set "masterplugin": true; only one delegate may be the master`,
    );
  }
  return specs;
}

function unsupportedProblems(raw: Record<string, unknown>): ConfigProblem[] {
  return UNSUPPORTED_KEYS.filter((k) => k in raw).map((k) => ({
    path: k,
    message:
      k === 'daemonSocketDir'
        ? 'is a key of the thick plugin\'s shim: give the config "type": "multus-shim" to run it through the ' +
          'daemon (docs/thick.md), or remove it'
        : "is a key of the thick plugin's daemon config (multus daemon --config FILE), not of a multus config: " +
          'move it there (docs/thick.md)',
  }));
}

/** The keys a DEL working from its record can use, each kept only if valid on its own. */
const RECORD_KEYS = [
  'name',
  'cniVersion',
  'cniDir',
  'binDir',
  'delegateTimeoutSeconds',
  'log_level',
  'logLevel',
  'logFile',
  'logToStderr',
] as const;

/** The config a DEL works with, and what was wrong with the one given, if anything. */
export interface DeleteConfig {
  readonly config: MultusConfig;
  readonly problem?: CniError;
}

/**
 * For DEL: the config, or, when it fails validation, one made of its usable keys (where the
 * record is, where the plugins are, logging) with no delegates, and the problem. A DEL works
 * from the container's record, so a config problem that does not keep it from deleting what
 * the record holds must not stop it; the caller reports the problem when there is no record.
 */
export function parseMultusConfigForDelete(raw: unknown): DeleteConfig {
  try {
    return { config: parseMultusConfig(raw) };
  } catch (err) {
    const given = isObject(raw) ? raw : {};
    const base = { type: 'multus', delegates: [{ type: 'none' }] };
    const valid = RECORD_KEYS.filter(
      (k) => k in given && validateModel(MultusConfigWire, { ...base, [k]: given[k] }, '').length === 0,
    );
    // Each key passed alone; the one pair that can still disagree is the two log-level spellings.
    const usable = valid.filter((k) => k !== 'log_level' || !valid.includes('logLevel'));
    const config = parseMultusConfig({ ...base, ...Object.fromEntries(usable.map((k) => [k, given[k]])) });
    return { config: { ...config, delegates: [], raw: given }, problem: toCniError(err) };
  }
}

/**
 * auxiliaryCNIChainName names a directory beside the clusterNetwork file (Go Multus's rule), so
 * it needs clusterNetwork to be that file's absolute path, not a network name.
 */
function checkAuxiliaryChain(conf: Readonly<Record<string, unknown>>): void {
  const chain = conf['auxiliaryCNIChainName'];
  const cluster = conf['clusterNetwork'];
  if (chain === undefined || (typeof cluster === 'string' && cluster.startsWith('/'))) return;
  const got = cluster === undefined ? 'clusterNetwork is not set' : `clusterNetwork is ${JSON.stringify(cluster)}`;
  throw new CniError(
    CniCode.InvalidConfig,
    `invalid multus config: auxiliaryCNIChainName ${JSON.stringify(chain)} needs clusterNetwork to be the absolute ` +
      `path of a CNI config file (the chain's directory is beside it), but ${got}`,
  );
}

/**
 * Validates the multus config read from stdin and returns it in program form. Every problem
 * is reported with its JSON path; code 2 for keys this build does not support, 7 otherwise.
 */
export function parseMultusConfig(raw: unknown): MultusConfig {
  const problems = validateModel(MultusConfigWire, raw, '');
  throwIfProblems(problems, 'invalid multus config');
  const conf = raw as Record<string, unknown>;
  throwIfProblems(unsupportedProblems(conf), 'unsupported multus config', CniCode.UnsupportedField);
  if (conf['clusterNetwork'] !== undefined && conf['delegates'] !== undefined) {
    throw new CniError(
      CniCode.InvalidConfig,
      "invalid multus config: clusterNetwork and delegates both name the pod's first network; set one of them",
    );
  }
  if (conf['kubeconfig'] === undefined) {
    const k8sOnly = ['clusterNetwork', 'defaultNetworks'].filter((k) => conf[k] !== undefined);
    if (k8sOnly.length > 0)
      throw new CniError(
        CniCode.InvalidConfig,
        `invalid multus config: ${k8sOnly.join(', ')} need kubeconfig (the networks are Kubernetes objects)`,
      );
  }
  checkAuxiliaryChain(conf);
  return {
    name: (conf['name'] as string | undefined) ?? DEFAULT_NETWORK_NAME,
    cniVersion: (conf['cniVersion'] as CniVersion | undefined) ?? DEFAULT_CONFIG_VERSION,
    log: logSettings(conf),
    kubeconfig: conf['kubeconfig'] as string | undefined,
    delegates: delegateSpecs((conf['delegates'] as Array<Record<string, unknown>> | undefined) ?? []),
    kubernetes: kubernetesSettings(conf),
    cacheDir: (conf['cniDir'] as string | undefined) ?? DEFAULT_CACHE_DIR,
    binDir: conf['binDir'] as string | undefined,
    ifnameIndexFrom: (conf['ifnameIndexFrom'] as number | undefined) ?? 0,
    readinessFile:
      conf['readinessindicatorfile'] === '' ? undefined : (conf['readinessindicatorfile'] as string | undefined),
    adapterDirs: (conf['adapterDirs'] as string[] | undefined) ?? [],
    parallelDelegates: (conf['parallelDelegates'] as boolean | undefined) ?? false,
    masterDefaultRoute: (conf['masterDefaultRoute'] as boolean | undefined) ?? conf['clusterNetwork'] === undefined,
    readinessTimeoutMs: Math.round(
      ((conf['readinessTimeoutSeconds'] as number | undefined) ?? DEFAULT_READINESS_TIMEOUT_SECONDS) * 1000,
    ),
    delegateTimeoutMs: Math.round(
      ((conf['delegateTimeoutSeconds'] as number | undefined) ?? DEFAULT_DELEGATE_TIMEOUT_SECONDS) * 1000,
    ),
    raw: conf,
  };
}
