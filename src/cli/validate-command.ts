import type { CliCommand, CliIo } from './cli-io';
import { FILE_COMMAND_OPTIONS, fileCommand, type FileCommandArgs, type OptionSpec } from './validate/cli-args';
import { DEFAULT_CNI_PATH } from './validate/plugin-binaries';
import { validateFile, type ValidateReport } from './validate/validate-file';

const OPTIONS: readonly OptionSpec[] = [...FILE_COMMAND_OPTIONS, { name: 'strict', takesValue: false }];

const USAGE = `usage: multus validate FILE [--cni-path DIRS] [--ifname NAME] [--strict] [--json]

Checks a multus config (or the plugin of type "multus" in a .conflist) as an ADD would before
running anything, and prints every problem with its JSON path, one per line:
the config's keys, the master marks and interface names, each delegate through the adapter that
handles it, and each plugin binary (and IPAM plugin) in the directories the ADD would search.
A config with a kubeconfig takes its networks from Kubernetes, which validate never contacts:
it checks the config, and what a pod without network annotations gets as far as that is known
offline (the config's delegates, or a clusterNetwork given as a file).
A key of the multus config that multus does not know (a misspelling such as paralleldelegates)
is ignored by an ADD; validate prints a warning line for it, naming the nearest known key.

Options:
  --cni-path DIRS  where plugin binaries are looked for, a colon list (the runtime's CNI_PATH;
                   default ${DEFAULT_CNI_PATH}); the config's binDir is searched first
  --ifname NAME    the pod's interface name (CNI_IFNAME) for the naming checks (default eth0)
  --strict         an unknown key is a problem, not a warning
  --json           print {"file", "ok", "problems": [{"path", "message", "code"}],
                   "warnings": [{"path", "message"}]}

Exit status: 0 no problem (warnings allowed), 1 at least one problem (with --strict: or an
unknown key), 2 usage error.`;

/** Problems, then warnings, then the verdict when there is no problem: `FILE: ok (...)` is always the last line. */
function printHuman(report: ValidateReport, io: CliIo): void {
  const lines = [
    ...report.problems.map((p) => `${report.file}: ${p.path}: ${p.message}\n`),
    ...report.warnings.map((w) => `${report.file}: ${w.path}: warning: ${w.message}\n`),
  ];
  if (report.ok) lines.push(`${report.file}: ok (${report.summary})\n`);
  io.out(lines.join(''));
}

function printJson(report: ValidateReport, io: CliIo): void {
  const problems = report.problems.map((p) => ({ path: p.path, message: p.message, code: p.code }));
  const warnings = report.warnings.map((w) => ({ path: w.path, message: w.message }));
  io.out(`${JSON.stringify({ file: report.file, ok: report.ok, problems, warnings }, undefined, 2)}\n`);
}

/** `multus validate FILE`: every problem (and unknown key) of a multus config, with its JSON path; exit 0 or 1. */
export const validateCommand: CliCommand = fileCommand({
  name: 'validate',
  summary: 'check a multus config and its delegates; every problem with its JSON path',
  usage: USAGE,
  options: OPTIONS,
  async run({ parsed, file, cniPath, ifname }: FileCommandArgs, io: CliIo): Promise<number> {
    const report = await validateFile(file, { cniPath, ifname, strict: parsed.flags.has('strict') });
    if (parsed.flags.has('json')) printJson(report, io);
    else printHuman(report, io);
    return report.ok ? 0 : 1;
  },
});
