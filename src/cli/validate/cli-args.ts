import { interfaceNameProblem } from '../../core/cni-env';
import { UsageError, type CliCommand, type CliIo } from '../cli-io';
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

/** The options every FILE command (`validate`, `explain`) takes. */
export const FILE_COMMAND_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', takesValue: false },
  { name: 'cni-path', takesValue: true },
  { name: 'ifname', takesValue: true },
];

/** A FILE command's arguments: the parsed options, the file, and `--cni-path`/`--ifname` read. */
export interface FileCommandArgs {
  readonly parsed: ParsedArgs;
  readonly file: string;
  readonly cniPath: string[];
  readonly ifname: string;
}

/** Parses a FILE command's arguments; every mistake is a UsageError, in the order the user reads them. */
export function parseFileCommand(args: readonly string[], specs: readonly OptionSpec[]): FileCommandArgs {
  const parsed = parseCliArgs(args, specs);
  const file = singleFile(parsed);
  return {
    parsed,
    file,
    ...pathAndIfname({ cniPath: lastValue(parsed, 'cni-path'), ifname: lastValue(parsed, 'ifname') }),
  };
}

/** A command on one FILE (`validate`, `explain`): `run` gets its arguments already parsed. */
export interface FileCommandSpec extends Omit<CliCommand, 'run'> {
  readonly options: readonly OptionSpec[];
  run(args: FileCommandArgs, io: CliIo): Promise<number>;
}

/** The CliCommand for a FILE command: parse with {@link parseFileCommand}, then run. */
export function fileCommand(spec: FileCommandSpec): CliCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(args: readonly string[], io: CliIo): Promise<number> {
      return spec.run(parseFileCommand(args, spec.options), io);
    },
  };
}
