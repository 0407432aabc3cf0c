import { CniError } from '../core/errors';
import type { ExecRequest, Executor, HostLink } from '../core/ports/executor';

/** One delegate run as the metrics see it. */
export interface ExecOutcome {
  /** The plugin `type` (the binary's name). */
  readonly type: string;
  /** ADD, DEL, CHECK, GC, STATUS, or VERSION (a plugin version probe). */
  readonly command: string;
  /** 0 when it succeeded, the CNI code of its error, or undefined when it failed without one. */
  readonly code: number | undefined;
  readonly seconds: number;
}

/** Told of every delegate run (the daemon's metrics). */
export interface ExecObserver {
  execFinished(outcome: ExecOutcome): void;
}

/**
 * The Executor port with a meter around it: each delegate run is timed and reported with its
 * type, command and outcome, then answered exactly as the wrapped executor answered it. The
 * daemon binds it over the one real executor, so every adapter's runs are counted without any
 * adapter knowing; host tools (`ip`, `nsenter`) and host-link
 * lookups are passed through uncounted.
 */
export class MeteringExecutor implements Executor {
  constructor(
    private readonly inner: Executor,
    private readonly observer: ExecObserver,
  ) {}

  async run(request: ExecRequest): Promise<unknown> {
    const started = performance.now();
    try {
      const result = await this.inner.run(request);
      this.report(request, 0, started);
      return result;
    } catch (err) {
      this.report(request, err instanceof CniError ? err.code : undefined, started);
      throw err;
    }
  }

  runTool(file: string, args: readonly string[]): Promise<string> {
    return this.inner.runTool(file, args);
  }

  hostLink(name: string): Promise<HostLink | undefined> {
    return this.inner.hostLink(name);
  }

  private report(request: ExecRequest, code: number | undefined, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    this.observer.execFinished({ type: request.type, command: request.command, code, seconds });
  }
}
