import { UsageError, type CliCommand, type CliIo } from './cli-io';

/** The version printed by `multus --version`; set at build time from package.json. */
declare const MULTUS_VERSION: string | undefined;

export function multusVersion(): string {
  return typeof MULTUS_VERSION === 'string' ? MULTUS_VERSION : 'dev';
}

/**
 * The subcommands, each loaded only when asked for: `multus install` must not pay for what
 * `multus validate` needs, and the CNI path loads none of them.
 */
const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<CliCommand> }>> = {
  validate: {
    summary: 'check a multus config and its delegates; every problem with its JSON path',
    load: async () => (await import('./validate-command')).validateCommand,
  },
  explain: {
    summary: 'print the plan an ADD would execute, touching nothing',
    load: async () => (await import('./explain-command')).explainCommand,
  },
  daemon: {
    summary: 'run the thick mode daemon that multus-shim sends CNI calls to',
    load: async () => (await import('./daemon-command')).daemonCommand,
  },
  install: {
    summary: 'install the binary, a multus config and a kubeconfig on a node (the DaemonSet uses it)',
    load: async () => (await import('./install-command')).installCommand,
  },
};

function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `multus ${multusVersion()}: the Multus CNI meta-plugin.`,
    '',
    'As a CNI plugin it is run by the container runtime with CNI_COMMAND set (ADD, DEL, CHECK,',
    'VERSION, GC, STATUS) and the network config on stdin. Run by a person, it offers:',
    '',
    ...lines,
    '',
    'Options: --help, --version. Each command takes --help; validate and explain take --json;',
    'validate and install take --strict (a config key multus does not know is an error, not a warning).',
    '',
  ].join('\n');
}

/** Human mode: the binary run without CNI_COMMAND. Returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.out(`multus ${multusVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    io.err(`multus: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`multus ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    io.err(`multus ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
