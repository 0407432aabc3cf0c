import { CniCode, CniError } from '../../core/errors';
import { isObject } from '../../core/json';

/** How a plugin process ended, as the executor saw it; the input of {@link decodePluginOutput}. */
export interface PluginOutcome {
  /** The plugin `type` and CNI command, named in every error. */
  readonly type: string;
  readonly command: string;
  /** Undefined when the process was killed by a signal or never started. */
  readonly exitCode: number | undefined;
  /** e.g. `SIGKILL`, when a signal ended the process. */
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

const STDOUT_EXCERPT = 200;
const STDERR_EXCERPT = 500;

function excerpt(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max)}...` : trimmed;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The CNI spec's error shape: `{cniVersion, code, msg, details?}`; only `code` and `msg` are required here. */
function asCniErrorJson(value: unknown): { code: number; msg: string; details?: unknown } | undefined {
  if (!isObject(value)) return undefined;
  // The spec's code is an unsigned integer (Go runtimes decode it as uint): anything else is not a CNI error.
  const code = value['code'];
  if (typeof code !== 'number' || !Number.isSafeInteger(code) || code < 0 || typeof value['msg'] !== 'string')
    return undefined;
  return { code, msg: value['msg'], details: value['details'] };
}

/** A plugin's own error JSON, carried with its code and message so callers can classify by code. */
function pluginError(json: { code: number; msg: string; details?: unknown }): CniError {
  const { details } = json;
  const text =
    details === undefined || details === null
      ? undefined
      : typeof details === 'string'
        ? details
        : JSON.stringify(details);
  return new CniError(json.code, json.msg, { details: text === '' ? undefined : text });
}

function who(outcome: PluginOutcome): string {
  return `plugin ${JSON.stringify(outcome.type)} ${outcome.command}`;
}

function failure(outcome: PluginOutcome): CniError {
  const parsed = parseJson(outcome.stdout);
  const json = parsed.ok ? asCniErrorJson(parsed.value) : undefined;
  if (json !== undefined) return pluginError(json);
  const how =
    outcome.signal !== undefined
      ? `was killed by signal ${outcome.signal}`
      : `exited with code ${outcome.exitCode === undefined ? 'unknown' : String(outcome.exitCode)}`;
  const stderr = excerpt(outcome.stderr, STDERR_EXCERPT);
  const stdout = excerpt(outcome.stdout, STDOUT_EXCERPT);
  const why = stderr !== '' ? stderr : stdout !== '' ? `stdout ${JSON.stringify(stdout)}` : 'no error output';
  return new CniError(CniCode.DelegateFailed, `${who(outcome)} ${how}: ${why}`, {
    details: stderr !== '' && stdout !== '' ? `stdout: ${stdout}` : undefined,
  });
}

/**
 * Turns what a plugin printed into its result, following the CNI spec's contract: exit 0 with
 * JSON is a result (nothing printed is fine for DEL and CHECK); anything else is a CniError.
 * The plugin's own error JSON keeps its code and message, even when a faulty plugin prints it
 * with exit 0; without one, stderr is the message (code 100). Output that is not JSON is 102.
 */
export function decodePluginOutput(outcome: PluginOutcome): unknown {
  if (outcome.exitCode !== 0 || outcome.signal !== undefined) throw failure(outcome);
  if (outcome.stdout.trim() === '') return undefined;
  const parsed = parseJson(outcome.stdout);
  if (!parsed.ok) {
    throw new CniError(
      CniCode.DelegateBadOutput,
      `${who(outcome)} printed output that is not JSON: ${JSON.stringify(excerpt(outcome.stdout, STDOUT_EXCERPT))}`,
    );
  }
  const errorJson = asCniErrorJson(parsed.value);
  if (errorJson !== undefined) throw pluginError(errorJson);
  if (typeof parsed.value === 'object' && parsed.value !== null && 'code' in parsed.value && 'msg' in parsed.value) {
    const code = JSON.stringify((parsed.value as { code: unknown }).code);
    throw new CniError(
      CniCode.DelegateBadOutput,
      `${who(outcome)} printed an error whose code ${code} is not a CNI error code (an unsigned integer)`,
    );
  }
  return parsed.value;
}
