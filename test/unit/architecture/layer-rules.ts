import { posix } from 'node:path';
import { scanImports, type ImportRef } from './scan-imports';

/**
 * The house plan (STYLE.md 5, 9; issue 11), as rules over import references. Each rule sees a
 * repo-relative POSIX path and one reference, and says why the reference breaks it, or nothing.
 * The tests run every rule over the real tree and over planted sources through `checkSource`,
 * so a rule that could never fail would show.
 */
export interface LayerRule {
  readonly name: string;
  /** Whether the rule looks at this file at all. */
  appliesTo(file: string): boolean;
  /** Why `ref` breaks the rule in `file`, or `undefined`. */
  check(file: string, ref: ImportRef): string | undefined;
}

/** A broken rule, with enough to find it: file, line, specifier. */
export interface Violation {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly names: readonly string[];
  readonly why: string;
}

/** Whether `specifier` is package `name` or one of its subpaths ('execa/sub', 'node:fs/promises'). */
export function isPackage(specifier: string, name: string): boolean {
  return name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`);
}

/** A relative specifier resolved against its file, without extension ('src/adapters/x'); bare ones stay `undefined`. */
export function resolveRelative(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '.' && specifier !== '..')
    return undefined;
  return posix.join(posix.dirname(file), specifier).replace(/\.(d\.)?[cm]?[jt]sx?$/, '');
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** Infrastructure core must reach only through ports; '/' at the end means a scope. */
export const CORE_FORBIDDEN_PACKAGES: readonly string[] = [
  'execa',
  '@kubernetes/client-node',
  'pino',
  '@grpc/',
  'protobufjs',
  'fs',
  'node:fs',
  'child_process',
  'node:child_process',
  'http',
  'https',
  'node:http',
  'node:https',
  'net',
  'node:net',
];

/** Rule 1: src/core imports no infrastructure package, and nothing outside src/core. */
export const coreImportsNoInfrastructure: LayerRule = {
  name: 'core imports no infrastructure',
  appliesTo: (file) => isUnder(file, 'src/core'),
  check: (file, ref) => {
    if (ref.specifier === undefined) return 'a computed import, which no rule can check';
    const forbidden = CORE_FORBIDDEN_PACKAGES.find((name) => isPackage(ref.specifier as string, name));
    if (forbidden !== undefined) return `imports ${forbidden}`;
    const target = resolveRelative(file, ref.specifier);
    if (target !== undefined && !isUnder(target, 'src/core')) return `reaches outside src/core to ${target}`;
    return undefined;
  },
};

/** The one file that spawns processes (STYLE.md 5). */
export const EXECUTOR_FILE = 'src/adapters/executor/execa-executor.ts';
const SPAWNING_PACKAGES = ['execa', 'child_process', 'node:child_process'];

/** Rule 2: only the executor imports execa or child_process. */
export const onlyExecutorSpawns: LayerRule = {
  name: 'only the executor spawns',
  appliesTo: (file) => isUnder(file, 'src') && file !== EXECUTOR_FILE,
  check: (_file, ref) => {
    const spawner = SPAWNING_PACKAGES.find((name) => ref.specifier !== undefined && isPackage(ref.specifier, name));
    return spawner === undefined ? undefined : `imports ${spawner}; only ${EXECUTOR_FILE} may spawn`;
  },
};

/** Rule 3: src/adapters and src/sources never import each other. */
export const adaptersAndSourcesApart: LayerRule = {
  name: 'adapters and sources never import each other',
  appliesTo: (file) => isUnder(file, 'src/adapters') || isUnder(file, 'src/sources'),
  check: (file, ref) => {
    const target = ref.specifier === undefined ? undefined : resolveRelative(file, ref.specifier);
    if (target === undefined) return undefined;
    const other = isUnder(file, 'src/adapters') ? 'src/sources' : 'src/adapters';
    return isUnder(target, other) ? `imports ${target} from ${other}` : undefined;
  },
};

/** 'plugins/macvlan' for any file of that package; `undefined` outside plugins/. */
export function pluginRoot(file: string): string | undefined {
  const match = /^plugins\/[^/]+/.exec(file);
  return match?.[0];
}

/**
 * Where a plugin reference lands in the repo ('src' for the multus-ts entry, 'src/testing', ...),
 * or `undefined` for its own package's files and for other bare packages.
 */
function pluginRepoTarget(file: string, specifier: string): string | undefined {
  const target = isPackage(specifier, 'multus-ts')
    ? `src${specifier.slice('multus-ts'.length)}`
    : resolveRelative(file, specifier);
  if (target === undefined || isUnder(target, pluginRoot(file) as string)) return undefined;
  return target.replace(/\/index$/, '');
}

/** What a plugin's tests may import from the repo besides its own package. */
const PLUGIN_TEST_ALLOWED = ['src', 'src/testing', 'test/support', 'test/integration/support'];

/**
 * Rule 4: a plugin's src imports multus-ts only as types, and only its public entry
 * (`src/index`); it never reaches into src/ internals or other repo files. Its tests may also
 * import values from src/index, the test-support entry src/testing and the shared test support.
 */
export const pluginsImportTypesOnly: LayerRule = {
  name: 'plugins import only types from the multus-ts entry',
  appliesTo: (file) => pluginRoot(file) !== undefined,
  check: (file, ref) => {
    if (ref.specifier === undefined) return undefined;
    const repoPath = pluginRepoTarget(file, ref.specifier);
    if (repoPath === undefined) return undefined;
    if (isUnder(file, `${pluginRoot(file) as string}/test`)) {
      return PLUGIN_TEST_ALLOWED.some((dir) => repoPath === dir || (dir.startsWith('test/') && isUnder(repoPath, dir)))
        ? undefined
        : `a plugin test imports ${repoPath}; only src/index, src/testing and test support are public to it`;
    }
    if (repoPath !== 'src') return `imports ${repoPath}; a plugin may import only types from src/index`;
    return ref.typeOnly ? undefined : 'a value import from multus-ts; a plugin may import only types (`import type`)';
  },
};

/** Core's planning steps: the CLI reaches them only through the dry run (src/core/dry-run). */
const PLANNING_MODULES = [
  'src/core/planner',
  'src/core/naming',
  'src/core/default-route',
  'src/core/delegate-call',
  'src/core/plugin-type',
  'src/core/version-negotiation',
  'src/core/orchestrator',
];
const PLANNING_NAMES: Readonly<Record<string, readonly string[]>> = {
  'src/core/delegate-conf': ['expandPlugins', 'withRuntimeRequests', 'runtimeConfigForMaster'],
  'src/core/selection': ['parseNetworkSelections', 'parseDefaultNetwork'],
};

/** Rule 5: src/cli plans only through core's dry run: it may use the plan's types, not its steps. */
export const cliPlansThroughDryRun: LayerRule = {
  name: 'the CLI plans only through the dry run',
  appliesTo: (file) => isUnder(file, 'src/cli'),
  check: (file, ref) => {
    const target = ref.specifier === undefined ? undefined : resolveRelative(file, ref.specifier);
    if (target === undefined || ref.typeOnly) return undefined;
    if (PLANNING_MODULES.includes(target)) return `imports the planning step ${target}; use Planner.dryRun`;
    const names = (PLANNING_NAMES[target] ?? []).filter((n) => ref.names.includes(n) || ref.names.includes('*'));
    return names.length === 0 ? undefined : `imports ${names.join(', ')} from ${target}; use Planner.dryRun`;
  },
};

export const LAYER_RULES: readonly LayerRule[] = [
  coreImportsNoInfrastructure,
  onlyExecutorSpawns,
  adaptersAndSourcesApart,
  pluginsImportTypesOnly,
  cliPlansThroughDryRun,
];

/** Every violation of `rule` in one source text, read as if it were `file`. */
export function checkSource(rule: LayerRule, file: string, text: string): Violation[] {
  if (!rule.appliesTo(file)) return [];
  return scanImports(file, text).flatMap((ref) => {
    const why = rule.check(file, ref);
    if (why === undefined) return [];
    return [{ rule: rule.name, file, line: ref.line, specifier: ref.specifier ?? '<computed>', names: ref.names, why }];
  });
}

/** A violation the tree is known to have, named exactly so any other use still fails. */
export interface KnownException {
  readonly file: string;
  readonly specifier: string;
  readonly names: readonly string[];
  readonly issue: string;
}

/** Whether `violation` is exactly `exception`: same file, specifier and imported names. */
export function isKnownException(violation: Violation, exception: KnownException): boolean {
  return (
    violation.file === exception.file &&
    violation.specifier === exception.specifier &&
    violation.names.length === exception.names.length &&
    violation.names.every((name, i) => name === exception.names[i])
  );
}
