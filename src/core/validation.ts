import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { CniCode, CniError } from './errors';
import { isObject } from './json';

/** One thing wrong with a config, located by its JSON path (e.g. `delegates[2].ipam.subnet`). */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export function joinPath(base: string, property: string): string {
  if (/^\d+$/u.test(property)) return `${base}[${property}]`;
  return base === '' ? property : `${base}.${property}`;
}

/**
 * One problem per path: class-validator reports every failing check of a property (a string
 * given for a number fails the type and both range checks), and the first-declared check, the
 * type, is the one that explains the mistake; it is the last in the list. A property that failed
 * its own checks is not looked into (an object given where a list belongs has no entries).
 */
function flatten(errors: readonly ValidationError[], base: string, out: ConfigProblem[]): void {
  for (const error of errors) {
    const path = joinPath(base, error.property);
    const messages = Object.values(error.constraints ?? {});
    const message = messages[messages.length - 1];
    if (message !== undefined) out.push({ path, message });
    else if (error.children !== undefined) flatten(error.children, path, out);
  }
}

/**
 * Validates a plain JSON object against a class-validator model and returns every problem with
 * its JSON path under `basePath`. The model instance is only used for checking: callers keep the
 * original object, so fields the model does not know pass through untouched.
 */
export function validateModel<T extends object>(
  model: ClassConstructor<T>,
  plain: unknown,
  basePath: string,
): ConfigProblem[] {
  if (!isObject(plain)) {
    return [{ path: basePath === '' ? '(config)' : basePath, message: 'must be a JSON object' }];
  }
  const instance = plainToInstance(model, plain, { enableImplicitConversion: false });
  const problems: ConfigProblem[] = [];
  flatten(validateSync(instance, { forbidUnknownValues: false }), basePath, problems);
  return problems;
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** Throws one CniError listing every problem (code 7 unless told otherwise); does nothing when there are none. */
export function throwIfProblems(
  problems: readonly ConfigProblem[],
  context: string,
  code: number = CniCode.InvalidConfig,
): void {
  if (problems.length === 0) return;
  throw new CniError(code, `${context}: ${formatProblems(problems)}`, {
    details: problems.length > 1 ? `${problems.length} problems` : undefined,
    problems,
  });
}
