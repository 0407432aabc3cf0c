import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { getStatus } from '../../support/daemon-socket';
import type { Cleanup } from './cleanup';
import { isRunning, sleep, startMultus, type RunningMultus, type SignalledRun } from './fault-run';
import { assertIntegrationPrerequisites, CALLER_PATH, MULTUS_BIN, type MultusCall } from './run-multus';

/**
 * Thick mode from the outside: a `multus daemon` started with a temp daemon config in its own
 * temp dir (its socket dir, log file and stderr inside), the compiled multus-shim run the way a
 * runtime runs it, and the daemon's socket spoken to directly (well-formed or not).
 */

/** The shim built beside the binary under test (`build.mjs` makes both). */
export const SHIM_BIN = join(dirname(MULTUS_BIN), 'multus-shim');

/** The integration prerequisites, and the shim beside the binary (a private build makes both). */
export function assertThickPrerequisites(): void {
  assertIntegrationPrerequisites();
  if (!existsSync(SHIM_BIN))
    throw new Error(`${SHIM_BIN} is missing: "node scripts/build.mjs" builds it beside multus`);
}

/**
 * Spawns the shim as a runtime does (env built from scratch, config on stdin) and returns at once.
 * `rawStdin` replaces the config's JSON, byte for byte.
 */
export function startShim(call: MultusCall, rawStdin?: string): RunningMultus {
  return startMultus(call, { bin: SHIM_BIN, rawStdin });
}

/** Runs the shim once and waits for it. */
export function runShim(call: MultusCall, rawStdin?: string): Promise<SignalledRun> {
  return startShim(call, rawStdin).done;
}

/** A multus config as the shim's conflist entry: `type: multus-shim` and where the daemon listens. */
export function shimConfig(
  conf: Readonly<Record<string, unknown>>,
  daemon: ThickDaemon,
  extra: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return { ...conf, type: 'multus-shim', daemonSocketDir: daemon.socketDir, daemonConfig: daemon.configFile, ...extra };
}

export interface DaemonOptions {
  /** More daemon config keys (they win over the helper's socketDir, logFile and logLevel "info"). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Wait until /healthz answers (default); false for a daemon expected to fail at start. */
  readonly wait?: boolean;
}

/**
 * One `multus daemon --config FILE` process in a temp dir of its own under `parent`: the config
 * (`daemon.json`), the socket dir (`run/`), the pino log (`daemon.log`) and its stderr. The
 * cleanup SIGKILLs it by pid if the test did not stop it.
 */
export class ThickDaemon {
  readonly dir: string;
  readonly configFile: string;
  readonly socketDir: string;
  readonly logFile: string;
  readonly stderrFile: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited: its code, or the signal that ended it. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;

  private constructor(parent: string, config: Readonly<Record<string, unknown>>, cleanup: Cleanup) {
    this.dir = mkdtempSync(join(parent, 'daemon-'));
    this.configFile = join(this.dir, 'daemon.json');
    this.logFile = join(this.dir, 'daemon.log');
    this.stderrFile = join(this.dir, 'daemon.stderr');
    const full = { socketDir: join(this.dir, 'run'), logFile: this.logFile, logLevel: 'info', ...config };
    this.socketDir = String(full.socketDir);
    writeFileSync(this.configFile, JSON.stringify(full, null, 2));
    const stderr = openSync(this.stderrFile, 'a');
    this.child = spawn(MULTUS_BIN, ['daemon', '--config', this.configFile], {
      env: { PATH: CALLER_PATH },
      stdio: ['ignore', stderr, stderr],
    });
    closeSync(stderr);
    const pid = this.child.pid;
    cleanup.add(`daemon ${String(pid)}`, () => {
      if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts a daemon and (by default) waits until it serves. */
  static async start(parent: string, cleanup: Cleanup, options: DaemonOptions = {}): Promise<ThickDaemon> {
    const daemon = new ThickDaemon(parent, options.config ?? {}, cleanup);
    if (options.wait !== false) await daemon.waitServing();
    return daemon;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get socketPath(): string {
    return join(this.socketDir, 'multus.sock');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls /healthz until it answers 200 (seconds, not milliseconds: the machine may be loaded). */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`the daemon exited before serving:\n${this.stderr()}`);
      if ((await getStatus(this.socketPath, '/healthz').catch(() => 0)) === 200) return;
      if (Date.now() > deadline) throw new Error(`the daemon did not serve within ${timeoutMs} ms:\n${this.stderr()}`);
      await sleep(50);
    }
  }

  /** Sends `signal` and waits for the exit. */
  async signal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** The daemon's pino log lines (JSON), every request's included. */
  logLines(): Array<Record<string, unknown>> {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  stderr(): string {
    return existsSync(this.stderrFile) ? readFileSync(this.stderrFile, 'utf8') : '';
  }

  /** VmRSS from /proc/PID/status, in KiB. */
  rssKiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+) kB$/mu.exec(status)?.[1];
    if (kib === undefined) throw new Error(`no VmRSS for ${this.pid}`);
    return Number(kib);
  }
}

/**
 * A plugin dir with `stand-in`, a THICK-MODE TEST STAND-IN (a shell script, so a delegate call
 * costs a few ms): not a real plugin, it makes nothing. VERSION answers the usual versions; ADD
 * prints a result with one interface named CNI_IFNAME in CNI_NETNS and no address; other
 * commands print nothing. Each call appends `COMMAND CONTAINERID IFNAME` to `calls.log` beside
 * it. A delegate config holding `"hold":true` makes its ADD touch `started-<containerId>` beside
 * it and wait until `release-<containerId>` exists. The dir and script are 0755 (multus refuses
 * plugins that others may write).
 */
export function installStandIn(binDir: string): string {
  mkdirSync(binDir, { recursive: true });
  chmodSync(binDir, 0o755);
  const script = join(binDir, 'stand-in');
  writeFileSync(script, STAND_IN);
  chmodSync(script, 0o755);
  return binDir;
}

const STAND_IN = `#!/bin/sh
# THICK-MODE TEST STAND-IN (test/integration/support/thick.ts): not a real CNI plugin, makes nothing.
# Shell builtins only (no command substitution): one process per call.
dir=\${0%/*}
IFS= read -r conf || :
if [ "$CNI_COMMAND" = VERSION ]; then
  printf '%s' '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}'
  exit 0
fi
echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_IFNAME" >> "$dir/calls.log"
[ "$CNI_COMMAND" = ADD ] || exit 0
case "$conf" in *'"hold":true'*)
  : > "$dir/started-$CNI_CONTAINERID"
  while [ ! -e "$dir/release-$CNI_CONTAINERID" ]; do sleep 0.05; done ;;
esac
printf '{"cniVersion":"1.0.0","interfaces":[{"name":"%s","sandbox":"%s"}],"ips":[]}' "$CNI_IFNAME" "$CNI_NETNS"
`;
