import { CniError, toCniError } from '../../core/errors';

/** One thing wrong with the file, as `multus validate` prints it: located, explained, with its CNI code. */
export interface Problem {
  /** The JSON path in the file (`delegates[2].ipam.subnet`), or `(file)` when the file itself is the problem. */
  readonly path: string;
  readonly message: string;
  /** The CNI error code the plugin would fail with (7 invalid config, 101 plugin not found, ...). */
  readonly code: number;
}

/** Something an ADD would not fail on but the operator should hear of (an unknown key); a problem with `--strict`. */
export interface Warning {
  /** The JSON path in the file, as a problem's. */
  readonly path: string;
  readonly message: string;
}

interface LocatedProblem {
  readonly path: string;
  readonly message: string;
}

function isLocatedProblem(value: unknown): value is LocatedProblem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['path'] === 'string' && typeof v['message'] === 'string';
}

/**
 * The problems an error stands for. A CniError that carries its problems (a `problems` list of
 * `{path, message}`, as the config validation can attach) gives one Problem each; any other
 * error is one Problem at `where`, the most precise location the caller knows. The split is by
 * structure, never by parsing the message text.
 */
export function problemsOf(err: unknown, where: string, mapPath: (path: string) => string = (p) => p): Problem[] {
  const error = err instanceof CniError ? err : toCniError(err);
  const listed: unknown = (error as { problems?: unknown }).problems;
  if (Array.isArray(listed) && listed.length > 0 && listed.every(isLocatedProblem)) {
    return listed.map((p) => ({ path: mapPath(p.path), message: p.message, code: error.code }));
  }
  return [{ path: where, message: error.msg, code: error.code }];
}

/** `prefix` + `path` as one JSON path: `plugins[1]` + `delegates[0].type` → `plugins[1].delegates[0].type`. */
export function joinJsonPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '' || path === '(config)') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** Problems in file order of discovery, each (path, message) once. */
export function uniqueProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
