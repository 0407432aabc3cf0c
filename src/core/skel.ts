import { parseCniEnv, type CniCommand, type CniEnv } from './cni-env';
import { CniCode, CniError, toCniError } from './errors';
import { isObject } from './json';
import {
  DEFAULT_CONFIG_VERSION,
  isSupportedVersion,
  LATEST_VERSION,
  SUPPORTED_VERSIONS,
  versionAtLeast,
} from './version';

/** The process's io, injected so tests pass a Map and buffers (cni pkg/skel's dispatcher). */
export interface PluginIo {
  readonly env: ReadonlyMap<string, string>;
  /** Aborted when the process is asked to stop (SIGTERM). */
  readonly signal?: AbortSignal;
  readStdin(): Promise<string>;
  writeStdout(text: string): void;
}

/** What the plugin does for each command once the env and stdin are known to be sound. */
export interface PluginHandlers {
  add(env: CniEnv, config: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>>;
  del(env: CniEnv, config: Record<string, unknown>): Promise<void>;
  check(env: CniEnv, config: Record<string, unknown>): Promise<void>;
  gc(env: CniEnv, config: Record<string, unknown>): Promise<void>;
  status(env: CniEnv, config: Record<string, unknown>): Promise<void>;
}

/** Commands that older spec versions do not have. */
const MINIMUM_VERSION: Readonly<Partial<Record<CniCommand, string>>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

function decodeConfig(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CniError(
      CniCode.DecodeFailure,
      `error decoding network config from stdin (${text.length} bytes): ${reason}`,
    );
  }
  if (!isObject(value)) {
    throw new CniError(CniCode.DecodeFailure, 'error decoding network config from stdin: expected a JSON object');
  }
  const depth = nestingDepth(value);
  if (depth > MAX_CONFIG_DEPTH) {
    throw new CniError(
      CniCode.DecodeFailure,
      `error decoding network config from stdin: nested ${depth} levels deep, more than the ${MAX_CONFIG_DEPTH} ` +
        `allowed`,
    );
  }
  return value;
}

/** No real network config nests this deep; a deeper one would exhaust the stack of the recursive validators. */
const MAX_CONFIG_DEPTH = 512;

/** How deeply a parsed JSON value nests (iteratively: the input may be hostile). */
function nestingDepth(root: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_CONFIG_DEPTH) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function configVersion(config: Record<string, unknown>): string {
  const v = config['cniVersion'];
  if (v === undefined) return DEFAULT_CONFIG_VERSION;
  if (!isSupportedVersion(v)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `cniVersion: incompatible CNI versions: config is ${JSON.stringify(v)}, plugin supports ` +
        `[${SUPPORTED_VERSIONS.join(' ')}]`,
    );
  }
  return v;
}

/** The VERSION answer: the supported versions, and the version asked for when this plugin speaks it. */
export function versionReply(stdin: string): Record<string, unknown> {
  let asked: unknown;
  try {
    asked = stdin.trim() === '' ? undefined : (JSON.parse(stdin) as Record<string, unknown>)['cniVersion'];
  } catch {
    asked = undefined;
  }
  return { cniVersion: isSupportedVersion(asked) ? asked : LATEST_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}

/** The commands that print nothing on success, by the handler that runs them. */
const QUIET_HANDLERS: Readonly<Partial<Record<CniCommand, 'del' | 'check' | 'gc' | 'status'>>> = {
  DEL: 'del',
  CHECK: 'check',
  GC: 'gc',
  STATUS: 'status',
};

async function dispatch(
  env: CniEnv,
  config: Record<string, unknown>,
  handlers: PluginHandlers,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (env.command === 'ADD') return handlers.add(env, config, signal);
  const handler = QUIET_HANDLERS[env.command];
  if (handler === undefined) {
    throw new CniError(CniCode.InvalidEnvironment, `CNI_COMMAND: "${env.command}" is not supported by this plugin`);
  }
  await handlers[handler](env, config);
  return undefined;
}

/**
 * Runs one CNI invocation: checks the env and stdin, dispatches, prints the result (or the
 * spec's error JSON) on stdout and returns the exit code. `loadHandlers` is called only for
 * ADD/DEL/CHECK, so VERSION loads nothing else.
 */
export async function runSkel(io: PluginIo, loadHandlers: () => Promise<PluginHandlers>): Promise<number> {
  let version: string = LATEST_VERSION;
  try {
    const env = parseCniEnv(io.env);
    const stdin = await io.readStdin();
    if (env.command === 'VERSION') {
      io.writeStdout(JSON.stringify(versionReply(stdin)));
      return 0;
    }
    const config = decodeConfig(stdin);
    version = configVersion(config);
    const needs = MINIMUM_VERSION[env.command];
    if (needs !== undefined && !versionAtLeast(version, needs)) {
      throw new CniError(
        CniCode.IncompatibleVersion,
        `${env.command} needs cniVersion ${needs} or later; the config is ${version}`,
      );
    }
    const result = await dispatch(env, config, await loadHandlers(), io.signal);
    if (result !== undefined) io.writeStdout(JSON.stringify(result));
    return 0;
  } catch (err) {
    const error = toCniError(err);
    io.writeStdout(JSON.stringify(error.toJSON(version)));
    return 1;
  }
}
