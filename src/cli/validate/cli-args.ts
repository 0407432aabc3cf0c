import { interfaceNameProblem } from '../../core/cni-env';
import { UsageError } from '../cli-io';
import { DEFAULT_CNI_PATH, splitCniPath } from './plugin-binaries';

/** One `--name` option of a command: a flag, or one that takes a value (possibly repeated). */
export interface OptionSpec {
  readonly name: string;
  readonly takesValue: boolean;
  /** A value option given more than once keeps every value; otherwise the last one wins. */
  readonly repeatable?: boolean;
}

/** A command line split into positionals, flags and option values. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: ReadonlySet<string>;
  /** Values by option name, in the order given. */
  readonly values: ReadonlyMap<string, readonly string[]>;
}

/**
 * Parses `--flag`, `--name value`, `--name=value` and positionals; `--` ends the options. Any
 * mistake (an unknown option, a missing value, a value given to a flag) is a UsageError, so the
 * dispatcher prints the usage and exits 2.
 */
export function parseCliArgs(args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const positionals: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    if (!spec.takesValue) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = args[i + 1];
      i += 1;
    }
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    const list = spec.repeatable === true ? (values.get(name) ?? []) : [];
    values.set(name, [...list, value]);
  }
  return { positionals, flags, values };
}

/** The last value of an option, or undefined when it was not given. */
export function lastValue(parsed: ParsedArgs, name: string): string | undefined {
  const list = parsed.values.get(name);
  return list === undefined ? undefined : list[list.length - 1];
}

/** Exactly one positional, the file: none or several is a UsageError. */
export function singleFile(parsed: ParsedArgs): string {
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || file === '')
    throw new UsageError('missing FILE: the multus config (or a .conflist holding it) to read');
  if (extra.length > 0)
    throw new UsageError(`one FILE only; also got ${extra.map((e) => JSON.stringify(e)).join(', ')}`);
  return file;
}

/** Reads the options shared with `explain`: the CNI_PATH to search and the pod's interface name. */
export function pathAndIfname(values: { cniPath: string | undefined; ifname: string | undefined }): {
  cniPath: string[];
  ifname: string;
} {
  const cniPath = splitCniPath(values.cniPath ?? DEFAULT_CNI_PATH);
  if (cniPath.length === 0) throw new UsageError('--cni-path names no directory');
  const ifname = values.ifname ?? 'eth0';
  const problem = interfaceNameProblem(ifname);
  if (problem !== undefined) throw new UsageError(`--ifname: ${problem}`);
  return { cniPath, ifname };
}
