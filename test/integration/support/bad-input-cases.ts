import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bad-input corpus (test/fixtures/bad-input/*.json, format in its README.md): each case is
 * one multus invocation that must fail, with the code and message it must fail with. This module
 * only reads and checks the data files; running a case is `bad-input-run.ts`.
 */

export const BAD_INPUT_DIR = join(__dirname, '..', '..', 'fixtures', 'bad-input');

/** Config keys of the output plugin (test/plugins/output-plugin.js). */
export interface DelegateOutput {
  readonly printStdout?: unknown;
  readonly printStderr?: string;
  readonly exitCode?: number;
  readonly stdoutRepeat?: number;
  readonly printOn?: readonly string[];
}

/**
 * A file the case needs before multus runs, relative to the case dir (`bin/…` is the bin dir,
 * `cache/…` the cniDir).
 */
export interface CaseFile {
  readonly path: string;
  /** Written as is. */
  readonly text?: string;
  /** Written as JSON. */
  readonly json?: unknown;
  /** Octal, e.g. "0644" (default 0644). */
  readonly mode?: string;
}

/** A NetworkAttachmentDefinition served by the file's test API server for this case. */
export interface CaseNad {
  readonly namespace: string;
  readonly name: string;
  /** spec.config: an object (stored as its JSON) or a string stored as is. */
  readonly config: unknown;
}

export interface BadInputCase {
  /** Unique in the corpus. */
  readonly name: string;
  /** The data file it came from (set by the loader). */
  readonly file: string;
  /** Changes to the default env; null removes the variable. */
  readonly env: Readonly<Record<string, string | null>>;
  /** A string is sent as is; anything else as its JSON (a plain object gets `cniDir` unless it has one). */
  readonly stdin: unknown;
  /** Merged into every delegate of type `bad-output` in `stdin.delegates`. */
  readonly delegateOutput?: DelegateOutput;
  readonly files: readonly CaseFile[];
  /** Mode of the case's bin dir (octal string), default 0755. */
  readonly binDirMode?: string;
  /** NADs for the test API server (`${liveKubeconfig}`). */
  readonly nads: readonly CaseNad[];
  /** Expected error code. */
  readonly code: number;
  /** Fragments the error's msg must contain. */
  readonly msg: readonly string[];
  /** Fragments the msg must not contain. */
  readonly notInMsg: readonly string[];
  /** Problems the error lists: 1 → no `details`; N > 1 → details "N problems". Unchecked when absent. */
  readonly problems?: number;
  /** Expected `cniVersion` of the error JSON. */
  readonly cniVersion?: string;
  /** The output plugin's calls, in order ("ADD eth0", "DEL eth0"); unchecked when absent. */
  readonly calls?: readonly string[];
  /** A known bug in src/: the expectation is what SHOULD happen, so the case fails until it is fixed. */
  readonly bug?: string;
}

const CASE_KEYS = new Set([
  'name',
  'about',
  'env',
  'stdin',
  'delegateOutput',
  'files',
  'binDirMode',
  'nads',
  'code',
  'msg',
  'notInMsg',
  'problems',
  'cniVersion',
  'calls',
  'bug',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s !== ''))
    throw new Error(`${where}: must be a non-empty string or a list of them`);
  return list as string[];
}

/** Checks one raw case and returns it typed; a malformed data file fails loudly, never skips a case. */
function toCase(raw: unknown, file: string, index: number): BadInputCase {
  const where = `${file} cases[${index}]`;
  if (!isObject(raw)) throw new Error(`${where}: must be an object`);
  const unknown = Object.keys(raw).filter((k) => !CASE_KEYS.has(k));
  if (unknown.length > 0) throw new Error(`${where}: unknown keys ${unknown.join(', ')}`);
  const {
    name,
    env = {},
    stdin,
    delegateOutput,
    files = [],
    binDirMode,
    nads = [],
    code,
    problems,
    cniVersion,
    calls,
    bug,
  } = raw;
  if (typeof name !== 'string' || name === '') throw new Error(`${where}: name must be a non-empty string`);
  if (!isObject(env) || !Object.values(env).every((v) => v === null || typeof v === 'string'))
    throw new Error(`${where} (${name}): env must map names to strings or null`);
  if (stdin === undefined) throw new Error(`${where} (${name}): stdin is required`);
  if (delegateOutput !== undefined && !isObject(delegateOutput))
    throw new Error(`${where} (${name}): delegateOutput must be an object`);
  if (!Array.isArray(files) || !files.every((f) => isObject(f) && typeof f['path'] === 'string'))
    throw new Error(`${where} (${name}): files must be a list of {path, text|json, mode?}`);
  if (
    !Array.isArray(nads) ||
    !nads.every((n) => isObject(n) && typeof n['namespace'] === 'string' && typeof n['name'] === 'string')
  ) {
    throw new Error(`${where} (${name}): nads must be a list of {namespace, name, config}`);
  }
  if (typeof code !== 'number' || !Number.isInteger(code))
    throw new Error(`${where} (${name}): code must be an integer`);
  if (problems !== undefined && (typeof problems !== 'number' || problems < 1))
    throw new Error(`${where} (${name}): problems must be a positive integer`);
  if (binDirMode !== undefined && (typeof binDirMode !== 'string' || !/^0?[0-7]{3}$/u.test(binDirMode)))
    throw new Error(`${where} (${name}): binDirMode must be octal`);
  if (cniVersion !== undefined && typeof cniVersion !== 'string')
    throw new Error(`${where} (${name}): cniVersion must be a string`);
  if (bug !== undefined && typeof bug !== 'string') throw new Error(`${where} (${name}): bug must be a string`);
  const msg = stringList(raw['msg'], `${where} (${name}) msg`);
  if (msg.length === 0) throw new Error(`${where} (${name}): msg is required`);
  return {
    name,
    file,
    env: env as Record<string, string | null>,
    stdin,
    ...(delegateOutput === undefined ? {} : { delegateOutput: delegateOutput }),
    files: files as CaseFile[],
    ...(binDirMode === undefined ? {} : { binDirMode: binDirMode }),
    nads: nads as CaseNad[],
    code,
    msg,
    notInMsg: stringList(raw['notInMsg'], `${where} (${name}) notInMsg`),
    ...(problems === undefined ? {} : { problems: problems }),
    ...(cniVersion === undefined ? {} : { cniVersion: cniVersion }),
    ...(calls === undefined ? {} : { calls: stringList(calls, `${where} (${name}) calls`) }),
    ...(bug === undefined ? {} : { bug: bug }),
  };
}

/** Every case of every `*.json` file in `dir`, in file then list order; names must be unique. */
export function loadBadInputCases(dir: string = BAD_INPUT_DIR): BadInputCase[] {
  const cases: BadInputCase[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const data = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
    if (!isObject(data) || !Array.isArray(data['cases']))
      throw new Error(`${file}: must be {"about": ..., "cases": [...]}`);
    data['cases'].forEach((raw: unknown, i) => cases.push(toCase(raw, file, i)));
  }
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new Error(`duplicate case name ${JSON.stringify(c.name)} (${c.file})`);
    seen.add(c.name);
  }
  return cases;
}

/** The case's category: its data file's name without `.json`. */
export function categoryOf(c: BadInputCase): string {
  return c.file.replace(/\.json$/u, '');
}
