import type { Result } from 'execa';
import { CniCode, CniError } from '../../core/errors';
import type { ExecRequest, Executor } from '../../core/ports/executor';
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
}

type ExecaModule = typeof import('execa');

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
  private execaModule: Promise<ExecaModule> | undefined;

  constructor(options: ExecaExecutorOptions = {}) {
    this.path = options.path === undefined || options.path === '' ? DEFAULT_PLUGIN_PATH : options.path;
    this.timeoutMs = options.timeoutMs;
    this.maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  }

  async run(request: ExecRequest): Promise<unknown> {
    const binary = await findPlugin(request.type, request.binDirs);
    const { execa } = await this.loadExeca();
    const result = await execa(binary, [], {
      env: this.envFor(request),
      extendEnv: false,
      input: JSON.stringify(request.stdin),
      reject: false,
      cancelSignal: request.signal,
      timeout: this.timeoutMs,
      maxBuffer: { stdout: this.maxStdoutBytes },
      stripFinalNewline: false,
    });
    this.throwIfAbnormal(request, result);
    return decodePluginOutput({
      type: request.type,
      command: request.command,
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    });
  }

  async runTool(file: string, args: readonly string[]): Promise<string> {
    const { execa } = await this.loadExeca();
    const result = await execa(file, [...args], { env: { PATH: this.path }, extendEnv: false, reject: false, timeout: this.timeoutMs ?? 10_000 });
    if (result.failed) {
      const why = String(result.stderr ?? '').trim() || result.shortMessage || `exit code ${String(result.exitCode)}`;
      throw new CniError(CniCode.IoFailure, `${file} ${args.join(' ')} failed: ${why}`);
    }
    return String(result.stdout ?? '');
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
  private throwIfAbnormal(request: ExecRequest, result: Result): void {
    const who = `plugin ${JSON.stringify(request.type)} ${request.command}`;
    if (result.isCanceled) {
      throw new CniError(CniCode.DelegateFailed, `${who} was cancelled`, { cause: request.signal?.reason });
    }
    if (result.timedOut) {
      throw new CniError(CniCode.DelegateFailed, `${who} timed out after ${String(this.timeoutMs)} ms and was killed`);
    }
    if (result.isMaxBuffer) {
      throw new CniError(CniCode.DelegateBadOutput, `${who} printed more than ${this.maxStdoutBytes} bytes on stdout`);
    }
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      throw new CniError(CniCode.DelegateFailed, `${who} could not be started: ${result.originalMessage ?? result.message ?? 'unknown error'}`, {
        cause: result.cause,
      });
    }
  }
}
