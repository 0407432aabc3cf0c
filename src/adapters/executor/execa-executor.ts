import type { Result } from 'execa';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { CniCode, CniError } from '../../core/errors';
import type { ExecRequest, Executor, HostLink } from '../../core/ports/executor';
import { findPlugin } from './plugin-finder';
import { decodePluginOutput } from './plugin-output';

/** The PATH a delegate gets when the caller passes none (what kubelet and containerd commonly have). */
export const DEFAULT_PLUGIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** 1 MiB: far more than any CNI result; a plugin printing more is broken, not verbose. */
export const DEFAULT_MAX_STDOUT_BYTES = 1024 * 1024;

export interface ExecaExecutorOptions {
  /** PATH for the delegates, normally `process.env.PATH` read once by `main.ts`. */
  readonly path?: string;
  /** Kills a plugin that runs longer than this (ms); none by default, the runtime has its own. */
  readonly timeoutMs?: number;
  readonly maxStdoutBytes?: number;
  /** Where the host's links are read (`hostLink`); tests point it at a temp dir. */
  readonly sysClassNet?: string;
}

/** sysfs's directory of the network links of the namespace it was mounted in (the host's, for multus). */
export const SYS_CLASS_NET = '/sys/class/net';

type ExecaModule = typeof import('execa');

type EndReason = 'timeout' | 'cancelled' | 'overflow';

interface SubprocessWatch {
  reason(): EndReason | undefined;
  /** Kills the process group now, for `why`. */
  kill(why: EndReason): void;
  dispose(): void;
}

/**
 * A stream's text, at most `limit` bytes of it: past the limit the rest is read and dropped, and
 * `over` is told once. Collected here rather than by execa (its `buffer` option), whose
 * buffering costs about 1.3 ms of CPU per plugin run in Bun: the daemon spawns every delegate
 * from one thread.
 */
function collect(stream: Readable | null | undefined, limit: number, over?: () => void): Promise<string> {
  if (stream === null || stream === undefined) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflowed = false;
    stream.on('data', (chunk: Buffer) => {
      if (size + chunk.length <= limit) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      // Past the limit, whether this chunk crosses it or an earlier one filled it exactly.
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      if (!overflowed) over?.();
      overflowed = true;
    });
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Kills the plugin's whole process group (it runs detached, as its own group leader) when the
 * timeout expires or the signal aborts, and remembers which happened.
 */
function watchSubprocess(
  pid: number | undefined,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): SubprocessWatch {
  let reason: EndReason | undefined;
  const killGroup = (why: EndReason): void => {
    reason ??= why;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => killGroup('timeout'), timeoutMs);
  const onAbort = (): void => killGroup('cancelled');
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    reason: () => reason,
    kill: killGroup,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * The Executor port over execa, and the only place in the project that spawns a process. The
 * delegate gets a clean env (CNI_* and PATH only, nothing else of ours leaks into it), its
 * config on stdin, and is decoded by the CNI contract. execa is loaded on first use, so a
 * VERSION call, which runs no delegate, does not pay for importing it.
 */
export class ExecaExecutor implements Executor {
  private readonly path: string;
  private readonly timeoutMs: number | undefined;
  private readonly maxStdoutBytes: number;
  private readonly sysClassNet: string;
  private execaModule: Promise<ExecaModule> | undefined;

  constructor(options: ExecaExecutorOptions = {}) {
    this.path = options.path === undefined || options.path === '' ? DEFAULT_PLUGIN_PATH : options.path;
    this.timeoutMs = options.timeoutMs;
    this.maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
    this.sysClassNet = options.sysClassNet ?? SYS_CLASS_NET;
  }

  async run(request: ExecRequest): Promise<unknown> {
    const binary = await findPlugin(request.type, request.binDirs);
    const { execa } = await this.loadExeca();
    const subprocess = execa(binary, [], {
      env: this.envFor(request),
      extendEnv: false,
      input: JSON.stringify(request.stdin),
      reject: false,
      // Its own process group, so a timeout or a cancel kills whatever the plugin started too.
      detached: true,
      buffer: false,
    });
    if (subprocess.pid !== undefined) request.onSpawn?.(subprocess.pid);
    const watch = watchSubprocess(subprocess.pid, request.timeoutMs ?? this.timeoutMs, request.signal);
    const [stdout, stderr, result] = await Promise.all([
      collect(subprocess.stdout, this.maxStdoutBytes, () => watch.kill('overflow')),
      collect(subprocess.stderr, this.maxStdoutBytes),
      subprocess,
    ]).finally(() => watch.dispose());
    this.throwIfAbnormal(request, result, watch.reason());
    return decodePluginOutput({
      type: request.type,
      command: request.command,
      exitCode: result.exitCode,
      signal: result.signal,
      stdout,
      stderr,
    });
  }

  async runTool(file: string, args: readonly string[]): Promise<string> {
    const { execa } = await this.loadExeca();
    const result = await execa(file, [...args], {
      env: { PATH: this.path },
      extendEnv: false,
      reject: false,
      timeout: this.timeoutMs ?? 10_000,
    });
    if (result.failed) {
      const why = String(result.stderr ?? '').trim() || result.shortMessage || `exit code ${String(result.exitCode)}`;
      throw new CniError(CniCode.IoFailure, `${file} ${args.join(' ')} failed: ${why}`);
    }
    return String(result.stdout ?? '');
  }

  /**
   * `<sysClassNet>/<name>/mtu`: there when the link is. A name that cannot be a link's (empty,
   * `.`, `..`, a `/`) names none. Any other failure to read is code 5, naming the file.
   */
  async hostLink(name: string): Promise<HostLink | undefined> {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) return undefined;
    const file = join(this.sysClassNet, name, 'mtu');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new CniError(
        CniCode.IoFailure,
        `reading ${file} (host link ${JSON.stringify(name)}) failed: ${String(err)}`,
      );
    }
    return { name, mtu: Number(text.trim()) };
  }

  private loadExeca(): Promise<ExecaModule> {
    this.execaModule ??= import('execa');
    return this.execaModule;
  }

  /** CNI_COMMAND, the request's CNI_* variables and PATH: the whole env a delegate sees. */
  private envFor(request: ExecRequest): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.env)) {
      if (key.startsWith('CNI_') && typeof value === 'string') env[key] = value;
    }
    env['CNI_COMMAND'] = request.command;
    env['PATH'] = this.path;
    return env;
  }

  /** Endings that are ours, not the plugin's: cancelled, timed out, too much output, never started. */
  private throwIfAbnormal(request: ExecRequest, result: Result, ended: EndReason | undefined): void {
    const who = `plugin ${JSON.stringify(request.type)} ${request.command}`;
    if (ended === 'cancelled') {
      const why = request.signal?.reason instanceof Error ? `: ${request.signal.reason.message}` : '';
      throw new CniError(CniCode.DelegateFailed, `${who} was cancelled${why}; its process group was killed`, {
        cause: request.signal?.reason,
      });
    }
    if (ended === 'timeout') {
      const ms = request.timeoutMs ?? this.timeoutMs ?? 0;
      throw new CniError(
        CniCode.DelegateTimedOut,
        `${who} timed out after ${formatDuration(ms)}; its process group was killed`,
      );
    }
    if (ended === 'overflow') {
      throw new CniError(CniCode.DelegateBadOutput, `${who} printed more than ${this.maxStdoutBytes} bytes on stdout`);
    }
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      throw new CniError(
        CniCode.DelegateFailed,
        `${who} could not be started: ${result.originalMessage ?? result.message ?? 'unknown error'}`,
        {
          cause: result.cause,
        },
      );
    }
  }
}
