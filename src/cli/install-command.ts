import { basename } from 'node:path';
import { DEFAULT_DAEMON_CONFIG, DEFAULT_SOCKET_DIR } from '../core/config/shim-keys';
import { UsageError, type CliCommand, type CliIo } from './cli-io';
import {
  DEFAULT_BIN_DIR,
  DEFAULT_CONF_DIR,
  DEFAULT_CONF_NAME,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_SERVICE_ACCOUNT_DIR,
  parseInstallOptions,
  unknownKeyMessages,
  type InstallOptions,
} from './install/install-options';
import { InstallError } from './install/install-error';
import { cleanup, install, installPaths, watch, type InstallPlan } from './install/installer';

const USAGE = `usage: multus install [options]

Installs multus on this node: copies the binary into the CNI bin dir, writes a multus config
that wraps the node's primary CNI config as every pod's first network (eth0), and writes a
kubeconfig for the service account; with --thick, the shim and a daemon config instead of the
multus config. The DaemonSets in deploy/ run it with --watch (the default one with --thick).

Every file is written under a temporary name and renamed into place: a runtime never sees a
half-written file, and replacing the binary never fails with "text file busy".

Where:
  --host-prefix DIR          where the host's root is mounted in this container, e.g. /host:
                             paths are given as seen here, and the paths written into the
                             configs drop the prefix (/host/etc/cni/net.d -> /etc/cni/net.d)
  --cni-bin-dir DIR          the host's CNI bin dir (default ${DEFAULT_BIN_DIR}, under
                             --host-prefix if given); the binary goes there as "multus", 0755
  --cni-conf-dir DIR         the host's CNI config dir (default ${DEFAULT_CONF_DIR}, under
                             --host-prefix if given)
What:
  --multus-bin PATH          the binary to copy (default: the running binary itself)
  --primary auto|PATH        the primary CNI config to wrap (default auto: the first .conf,
                             .conflist or .json of the conf dir by name that is neither ours
                             nor another multus config, the one the runtime used until now)
  --conf-name NAME           the multus config's file name (default ${DEFAULT_CONF_NAME}); it
                             must sort before every other config, or the install fails
  --log-level LEVEL          logLevel of the multus config (default: multus's, warn)
  --log-file PATH            logFile of the multus config (a path on the host)
  --set KEY=VALUE            any other key of the multus config; VALUE is JSON, or else a
                             string (--set ifnameIndexFrom=1 --set 'defaultNetworks=["mon"]');
                             a key multus does not know is warned about on stderr, with the
                             nearest known key (an ADD would ignore it)
  --strict                   refuse an unknown --set key instead: write nothing, exit 1
Thick mode (docs/thick.md):
  --thick                    install the shim and a daemon config instead: the conflist runs
                             "multus-shim", which sends each call to the daemon (multus
                             daemon), and falls back to the multus binary installed beside it;
                             the multus config keys (kubeconfig, clusterNetwork, --log-*, --set)
                             go into the daemon config as defaults of every call
  --shim-bin PATH            the shim to copy as "multus-shim" (default: multus-shim beside
                             --multus-bin, or beside the running binary)
  --daemon-config PATH       where to write the daemon config (default
                             ${DEFAULT_DAEMON_CONFIG}, under --host-prefix if given); not in
                             the CNI config dir, where the runtime would read it
  --socket-dir DIR           the daemon's socket dir on the host (default ${DEFAULT_SOCKET_DIR}):
                             socketDir of the daemon config, daemonSocketDir of the shim's
                             conflist entry
Credentials:
  --kubeconfig-out PATH      where to write the kubeconfig (default
                             <conf-dir>/multus.d/multus.kubeconfig, mode 0600); copies of the
                             token and CA go beside it (multus.token, multus-ca.crt, 0600)
  --service-account-dir DIR  token, ca.crt and namespace of the service account (default
                             ${DEFAULT_SERVICE_ACCOUNT_DIR})
  --api-server URL           the API server (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)
  --kubeconfig PATH          use this existing kubeconfig instead, and write none
How:
  --dry-run                  check everything and print the multus config; write nothing
  --watch                    stay running: every --interval seconds (default
                             ${DEFAULT_INTERVAL_SECONDS}) refresh the token and CA copies and
                             rewrite the config when the primary changes; wait for a primary
                             that is not there yet; stop on SIGTERM or SIGINT
  --cleanup-on-exit          with --watch: on stop, remove what --cleanup removes
  --cleanup                  remove the multus config, the kubeconfig and the token and CA
                             copies (with --thick: and the daemon config), and exit; the
                             binaries stay (pods set up through multus still need them for
                             their DEL)

Exit status: 0 done, 1 failed (no primary config, unreadable files, an unknown key with
--strict, ...), 2 usage error.`;

/** What the command takes from the process; injected so tests never touch it. */
export interface InstallProcess {
  /** The running executable: in the compiled binary, the binary itself. */
  readonly execPath: string;
  readonly pid: number;
  /** Calls `stop` on SIGTERM/SIGINT until the returned function is called. */
  onStop(stop: () => void): () => void;
}

const RUNTIMES = /^(node|nodejs|bun)(\d+(\.\d+)*)?(\.exe)?$/u;

/**
 * The binary `--multus-bin` defaults to: the running executable, which in the compiled binary
 * (`bun build --compile`) is multus itself. Under `node` or `bun` running the sources it is the
 * JavaScript runtime, which must never be installed as a CNI plugin.
 */
export function defaultMultusBin(execPath: string): string {
  if (RUNTIMES.test(basename(execPath))) {
    throw new UsageError(
      `the running program is ${execPath}, a JavaScript runtime, not the compiled multus binary: pass ` +
        `--multus-bin PATH (e.g. dist/multus)`,
    );
  }
  return execPath;
}

/** Warns on stderr of each unknown key; with --strict, refuses before anything is written. */
function checkKeys(options: InstallOptions, io: CliIo): void {
  const unknown = unknownKeyMessages(options);
  const label = options.strict ? 'error' : 'warning';
  for (const line of unknown) io.err(`multus install: ${label}: ${line}\n`);
  if (options.strict && unknown.length > 0) {
    const keys = unknown.length === 1 ? 'an unknown key' : `${unknown.length} unknown keys`;
    throw new InstallError(`--strict: the multus config would have ${keys}; nothing written`);
  }
}

/** What --dry-run prints: the conflist; with --thick also the daemon config, each after its path. */
function dryRunText(options: InstallOptions, plan: InstallPlan): string {
  const json = (conf: unknown): string => `${JSON.stringify(conf, undefined, 2)}\n`;
  if (plan.daemonConfig === undefined) return json(plan.conflist);
  const paths = installPaths(options);
  return (
    `multus install: shim config ${paths.conf}:\n${json(plan.conflist)}` +
    `multus install: daemon config ${String(paths.daemonConfig)}:\n${json(plan.daemonConfig)}`
  );
}

async function run(args: readonly string[], io: CliIo, proc: InstallProcess): Promise<number> {
  const options = parseInstallOptions(args, io.env);
  const log = (line: string): void => io.out(`multus install: ${line}\n`);
  const env = { pid: proc.pid, log };
  if (options.mode === 'cleanup') {
    await cleanup(options, env);
    return 0;
  }
  checkKeys(options, io);
  const multusBin = options.multusBin ?? defaultMultusBin(proc.execPath);
  if (!options.watch) {
    const plan = await install(options, multusBin, env);
    if (options.dryRun) io.out(dryRunText(options, plan));
    return 0;
  }
  const stop = new AbortController();
  const dispose = proc.onStop(() => stop.abort());
  try {
    await watch(options, multusBin, {
      ...env,
      signal: stop.signal,
      warn: (line) => io.err(`multus install: ${line}\n`),
    });
  } finally {
    dispose();
  }
  return 0;
}

/** `multus install`, bound to a process. */
export function createInstallCommand(proc: InstallProcess): CliCommand {
  return {
    name: 'install',
    summary: 'install the binary, a multus config and a kubeconfig on a node (--thick: the shim, a daemon config)',
    usage: USAGE,
    run: (args, io) => run(args, io, proc),
  };
}

/** The command as the binary runs it: this process's executable, pid and signals. */
export const installCommand: CliCommand = createInstallCommand({
  execPath: process.execPath,
  pid: process.pid,
  onStop: (stop) => {
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    };
  },
});
