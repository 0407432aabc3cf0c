import { CniCode, CniError } from './errors';

/** The commands of the CNI spec this plugin answers. */
export const CNI_COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'] as const;
export type CniCommand = (typeof CNI_COMMANDS)[number];

/** The CNI_* parameters of one invocation, checked against the table below. */
export interface CniEnv {
  readonly command: CniCommand;
  readonly containerId: string;
  readonly netns: string;
  readonly ifname: string;
  readonly args: CniArgs;
  /** CNI_PATH split on ':', empty entries removed. */
  readonly path: readonly string[];
  /** MULTUS_REQUEST_ID: set by the shim (thick mode), so its stderr and the daemon's log share it. */
  readonly requestId?: string;
}

/** CNI_ARGS as ordered pairs (the order is kept when they are passed on to delegates). */
export interface CniArgs {
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  get(key: string): string | undefined;
}

type Validator = (value: string) => string | undefined;

interface EnvRule {
  readonly name: string;
  /** Commands for which the variable must be present and non-empty. */
  readonly requiredFor: readonly CniCommand[];
  readonly validate?: Validator;
}

/** Linux interface-name rule (kernel `dev_valid_name`): 1..15 bytes, not . or .., no '/', ':' or white space. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (Buffer.byteLength(name, 'utf8') > 15) return `"${name}" is longer than 15 bytes`;
  if (name === '.' || name === '..') return `"${name}" is not a valid interface name`;
  if (/[/:\s]/u.test(name)) return `"${name}" must not contain '/', ':' or white space`;
  return undefined;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const ENV_TABLE: readonly EnvRule[] = [
  {
    name: 'CNI_CONTAINERID',
    requiredFor: ['ADD', 'DEL', 'CHECK'],
    validate: (v) =>
      CONTAINER_ID.test(v)
        ? undefined
        : `"${v}" must be letters, digits, '_', '.' or '-', starting with a letter or digit`,
  },
  { name: 'CNI_NETNS', requiredFor: ['ADD', 'CHECK'] },
  { name: 'CNI_IFNAME', requiredFor: ['ADD', 'DEL', 'CHECK'], validate: interfaceNameProblem },
  { name: 'CNI_ARGS', requiredFor: [] },
  { name: 'CNI_PATH', requiredFor: ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'] },
];

/** CNI_ARGS keys this plugin understands; others need `IgnoreUnknown` (libcni's rule). */
export const KNOWN_ARGS = [
  'IgnoreUnknown',
  'K8S_POD_NAMESPACE',
  'K8S_POD_NAME',
  'K8S_POD_INFRA_CONTAINER_ID',
  'K8S_POD_UID',
] as const;

function envError(msg: string): CniError {
  return new CniError(CniCode.InvalidEnvironment, msg);
}

/** Parses CNI_COMMAND; an unknown one is code 4 naming it. */
export function parseCommand(value: string | undefined): CniCommand {
  if (value === undefined || value === '') throw envError('required env variable CNI_COMMAND is missing');
  if (!(CNI_COMMANDS as readonly string[]).includes(value)) {
    throw envError(`CNI_COMMAND: unknown command "${value}" (expected one of ${CNI_COMMANDS.join(', ')})`);
  }
  return value as CniCommand;
}

function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw envError(`CNI_ARGS: ${key}="${value}" must be true, false, 1 or 0`);
}

/** Parses `K=V;K=V` (each value split at its first '='); a pair without '=' is code 4 naming it. */
export function parseCniArgs(raw: string): CniArgs {
  const pairs: Array<readonly [string, string]> = [];
  for (const part of raw.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw envError(`CNI_ARGS: invalid pair "${part}" (expected KEY=VALUE)`);
    pairs.push([part.slice(0, eq), part.slice(eq + 1)] as const);
  }
  const ignore = pairs.find(([k]) => k === 'IgnoreUnknown');
  const ignoreUnknown = ignore !== undefined && parseBool('IgnoreUnknown', ignore[1]);
  const unknown = pairs.map(([k]) => k).filter((k) => !(KNOWN_ARGS as readonly string[]).includes(k));
  if (unknown.length > 0 && !ignoreUnknown) {
    throw envError(`CNI_ARGS: unknown keys ${unknown.join(', ')} (set IgnoreUnknown=1 to pass them through)`);
  }
  return {
    pairs,
    get: (key: string) => pairs.find(([k]) => k === key)?.[1],
  };
}

/**
 * Reads the CNI_* variables for one command, following the table: a variable the command needs
 * that is missing is code 4 naming it; a present one that is invalid is code 4 saying why.
 */
export function parseCniEnv(env: ReadonlyMap<string, string>): CniEnv {
  const command = parseCommand(env.get('CNI_COMMAND'));
  const missing = ENV_TABLE.filter((r) => r.requiredFor.includes(command) && (env.get(r.name) ?? '') === '');
  if (missing.length > 0) {
    const names = missing.map((r) => r.name).join(', ');
    throw envError(`required env variable${missing.length > 1 ? 's' : ''} ${names} missing for CNI_COMMAND=${command}`);
  }
  for (const rule of ENV_TABLE) {
    const value = env.get(rule.name);
    if (value === undefined || value === '' || rule.validate === undefined) continue;
    if (command === 'VERSION') continue;
    const problem = rule.validate(value);
    if (problem !== undefined) throw envError(`${rule.name}: ${problem}`);
  }
  return {
    command,
    containerId: env.get('CNI_CONTAINERID') ?? '',
    netns: env.get('CNI_NETNS') ?? '',
    ifname: env.get('CNI_IFNAME') ?? '',
    args: parseCniArgs(command === 'VERSION' ? '' : (env.get('CNI_ARGS') ?? '')),
    path: (env.get('CNI_PATH') ?? '').split(':').filter((p) => p !== ''),
    ...requestIdOf(env),
  };
}

/** The request id the shim set, when it is a short token (it goes into every log line). */
function requestIdOf(env: ReadonlyMap<string, string>): { requestId?: string } {
  const id = env.get(REQUEST_ID_ENV);
  return id !== undefined && /^[A-Za-z0-9._-]{1,64}$/u.test(id) ? { requestId: id } : {};
}

/** The env variable carrying the shim's request id to the daemon and to a fallback thin binary. */
export const REQUEST_ID_ENV = 'MULTUS_REQUEST_ID';
