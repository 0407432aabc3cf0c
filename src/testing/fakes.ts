import { CniCode, CniError } from '../core/errors';
import type { Clock } from '../core/ports/clock';
import type { ContainerLock, HeldLock } from '../core/ports/container-lock';
import type { ExecRequest, Executor } from '../core/ports/executor';
import type { Logger, LoggerFactory, LogSettings } from '../core/ports/logger';
import type { CacheEntry, CacheKey, ResultCache } from '../core/ports/result-cache';

/** A recorded delegate call: what the plugin would have seen. */
export interface RecordedCall {
  readonly type: string;
  readonly command: string;
  readonly ifname: string;
  readonly env: ExecRequest['env'];
  readonly stdin: Record<string, unknown>;
}

export type Script = (req: ExecRequest) => unknown;

/**
 * A scripted executor: records each call (deep-copied) and answers with the script's value, or
 * throws what the script throws. The default script returns a plausible result for ADD.
 */
export class FakeExecutor implements Executor {
  readonly calls: RecordedCall[] = [];

  constructor(private readonly script: Script = defaultScript) {}

  async run(req: ExecRequest): Promise<unknown> {
    this.calls.push(
      JSON.parse(JSON.stringify({ type: req.type, command: req.command, ifname: req.env.CNI_IFNAME, env: req.env, stdin: req.stdin })) as RecordedCall,
    );
    return this.script(req);
  }

  /** Host tool calls (`nsenter ...`), joined by spaces. */
  readonly tools: string[] = [];

  runTool(file: string, args: readonly string[]): Promise<string> {
    this.tools.push([file, ...args].join(' '));
    return Promise.resolve('');
  }

  /** `"ADD bridge net0"` lines, for asserting order. */
  sequence(): string[] {
    return this.calls.map((c) => `${c.command} ${c.type} ${c.ifname}`);
  }
}

let counter = 0;
export function defaultScript(req: ExecRequest): unknown {
  if (req.command !== 'ADD') return undefined;
  counter += 1;
  const version = String(req.stdin['cniVersion']);
  const address = `10.99.${counter % 250}.2/24`;
  if (version.startsWith('0.1') || version.startsWith('0.2')) return { cniVersion: version, ip4: { ip: address } };
  const ip: Record<string, unknown> = { address, interface: 0 };
  if (version.startsWith('0.')) ip['version'] = '4';
  return { cniVersion: version, interfaces: [{ name: req.env.CNI_IFNAME, sandbox: req.env.CNI_NETNS }], ips: [ip] };
}

export class MemoryCache implements ResultCache {
  readonly entries = new Map<string, CacheEntry>();
  /** Every entry saved, in order, for asserting what was written when. */
  readonly history: CacheEntry[] = [];

  private static id(key: CacheKey): string {
    return `${key.dir}/${key.containerId}-${key.ifname}`;
  }

  load(key: CacheKey): Promise<CacheEntry | undefined> {
    return Promise.resolve(this.entries.get(MemoryCache.id(key)));
  }

  save(key: CacheKey, entry: CacheEntry): Promise<void> {
    const copy = JSON.parse(JSON.stringify(entry)) as CacheEntry;
    this.entries.set(MemoryCache.id(key), copy);
    this.history.push(copy);
    return Promise.resolve();
  }

  remove(key: CacheKey): Promise<void> {
    this.entries.delete(MemoryCache.id(key));
    return Promise.resolve();
  }

  list(dir: string): Promise<CacheEntry[]> {
    return Promise.resolve([...this.entries.entries()].filter(([id]) => id.startsWith(`${dir}/`)).map(([, e]) => e));
  }
}

/** An in-memory container lock that records what happened (acquire, child pids, release). */
export class MemoryLock implements ContainerLock {
  readonly events: string[] = [];
  private readonly held = new Set<string>();

  acquire(key: CacheKey): Promise<HeldLock> {
    const id = `${key.containerId}-${key.ifname}`;
    if (this.held.has(id)) return Promise.reject(new CniError(CniCode.TryAgainLater, `${id} is locked`));
    this.held.add(id);
    this.events.push(`acquire ${id}`);
    return Promise.resolve({
      noteChild: (pid: number) => this.events.push(`child ${pid}`),
      release: () => {
        if (this.held.delete(id)) this.events.push(`release ${id}`);
        return Promise.resolve();
      },
    });
  }
}

export class FixedClock implements Clock {
  constructor(private at = new Date('2026-01-02T03:04:05.000Z')) {}
  now(): Date {
    return this.at;
  }
  sleep(ms: number): Promise<void> {
    this.at = new Date(this.at.getTime() + ms);
    return Promise.resolve();
  }
}

export interface LogLine {
  readonly level: string;
  readonly obj: object;
  readonly msg: string | undefined;
}

/** Keeps log lines in memory. */
export class RecordingLogger implements Logger, LoggerFactory {
  constructor(readonly lines: LogLine[] = [], private readonly bindings: Record<string, unknown> = {}) {}
  private push(level: string, obj: object, msg?: string): void {
    this.lines.push({ level, obj: { ...this.bindings, ...obj }, msg });
  }
  trace(obj: object, msg?: string): void {
    this.push('trace', obj, msg);
  }
  debug(obj: object, msg?: string): void {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.push('error', obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }
  create(_settings: LogSettings): Logger {
    return this;
  }
}
