import { DEFAULT_SOCKET_DIR, SOCKET_NAME } from '../core/config/shim-keys';
import { isObject } from '../core/json';
import { UsageError, type CliCommand, type CliIo } from './cli-io';
import { explainFile, type PodArg } from './explain/explain-plan';
import { renderExplanation, renderProblems } from './explain/render-explanation';
import {
  FILE_COMMAND_OPTIONS,
  lastValue,
  fileCommand,
  parseCliArgs,
  type FileCommandArgs,
  type OptionSpec,
} from './validate/cli-args';
import { DEFAULT_CNI_PATH } from './validate/plugin-binaries';
import { fetchRecords, renderRecords } from './explain/records-listing';

const DEFAULT_RECORDS_SOCKET = `${DEFAULT_SOCKET_DIR}/${SOCKET_NAME}`;

const RECORDS_OPTIONS: readonly OptionSpec[] = [
  { name: 'records', takesValue: false },
  { name: 'socket', takesValue: true },
  { name: 'json', takesValue: false },
];

const OPTIONS: readonly OptionSpec[] = [
  ...FILE_COMMAND_OPTIONS,
  { name: 'pod', takesValue: true },
  { name: 'pod-annotation', takesValue: true, repeatable: true },
  { name: 'runtime-config', takesValue: true },
];

const USAGE = `usage: multus explain FILE [--pod-annotation KEY=VALUE ...] [--pod [NAMESPACE/]NAME]
                      [--ifname NAME] [--cni-path DIRS] [--runtime-config JSON] [--json]
       multus explain --records [--socket PATH] [--json]

Prints the plan an ADD would execute for the multus config in FILE (or the plugin of type
"multus" in a .conflist): for each attachment, the network, the interface name, whether it is
the master, the adapter, each plugin's binary (or MISSING), the CNI_* env and the exact JSON it
would get on stdin. Nothing is run and no namespace is touched. A config with a kubeconfig
takes its networks from Kubernetes: explain shows what the pod's annotations select, and stops
where resolving a network would need the API (it never calls it).

Options:
  --pod-annotation KEY=VALUE  a pod annotation (repeatable), e.g.
                              k8s.v1.cni.cncf.io/networks=macvlan-conf@net5; Kubernetes mode
  --pod [NAMESPACE/]NAME      the pod (CNI_ARGS K8S_POD_NAMESPACE, K8S_POD_NAME); Kubernetes
                              mode assumes default/example-pod
  --ifname NAME               the pod's interface (CNI_IFNAME; default eth0)
  --cni-path DIRS             the runtime's CNI_PATH, a colon list (default ${DEFAULT_CNI_PATH});
                              the config's binDir is searched first
  --runtime-config JSON       what the runtime passes as runtimeConfig, e.g.
                              '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}';
                              keys the config declares no capability for are dropped, as libcni does
  --json                      print the plan as JSON

With --records, asks the thick-mode daemon on its socket (default ${DEFAULT_RECORDS_SOCKET}) for
its records (one per pod sandbox and interface) and prints, for each, its pod, its attachments'
states, and what the daemon's reconcile would do with it and why (docs/thick.md "Reconcile").

Exit status: 0 plan shown (a missing binary is shown, not an error), 1 the ADD would fail
before running anything (the problems are printed), 2 usage error.`;

function annotationsOf(values: readonly string[]): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--pod-annotation ${JSON.stringify(item)}: expected KEY=VALUE`);
    annotations[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return annotations;
}

function podOf(value: string | undefined): PodArg | undefined {
  if (value === undefined) return undefined;
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((p) => p === ''))
    throw new UsageError(`--pod ${JSON.stringify(value)}: expected NAMESPACE/NAME or NAME`);
  return parts.length === 2
    ? { namespace: parts[0], name: parts[1] as string }
    : { namespace: undefined, name: parts[0] as string };
}

function runtimeConfigOf(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(`--runtime-config is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new UsageError('--runtime-config must be a JSON object');
  return parsed;
}

/** `multus explain FILE`: the plan an ADD would execute, shown without running anything. */
const explainFileCommand: CliCommand = fileCommand({
  name: 'explain',
  summary: 'print the plan an ADD would execute, touching nothing',
  usage: USAGE,
  options: OPTIONS,
  async run({ parsed, file, cniPath, ifname }: FileCommandArgs, io: CliIo): Promise<number> {
    const explanation = await explainFile(file, {
      cniPath,
      ifname,
      annotations: annotationsOf(parsed.values.get('pod-annotation') ?? []),
      pod: podOf(lastValue(parsed, 'pod')),
      runtimeConfig: runtimeConfigOf(lastValue(parsed, 'runtime-config')),
    });
    const failed = explanation.problems.length > 0;
    // Every key present in --json, absent values as null: a stable shape for scripts.
    if (parsed.flags.has('json'))
      io.out(`${JSON.stringify(explanation, (_key, value: unknown) => (value === undefined ? null : value), 2)}\n`);
    else if (failed)
      io.err(`${renderProblems(explanation)}(an ADD would fail the same way, before running any plugin)\n`);
    else io.out(renderExplanation(explanation));
    return failed ? 1 : 0;
  },
});

/** `multus explain --records`: the daemon's records and what its reconcile would do with each. */
async function explainRecords(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCliArgs(args, RECORDS_OPTIONS);
  if (parsed.positionals.length > 0) throw new UsageError('--records takes no FILE');
  const socket = lastValue(parsed, 'socket') ?? DEFAULT_RECORDS_SOCKET;
  try {
    const listing = await fetchRecords(socket);
    io.out(parsed.flags.has('json') ? `${JSON.stringify(listing, undefined, 2)}\n` : renderRecords(listing));
    return 0;
  } catch (err) {
    io.err(`multus explain --records: cannot list the daemon's records at ${socket}: ${(err as Error).message}\n`);
    return 1;
  }
}

/** `multus explain FILE` (a plan), or `multus explain --records` (the daemon's records). */
export const explainCommand: CliCommand = {
  ...explainFileCommand,
  run: (args, io) => (args.includes('--records') ? explainRecords(args, io) : explainFileCommand.run(args, io)),
};
