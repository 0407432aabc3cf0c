import { CniCode, CniError } from '../core/errors';
import type { Clock } from '../core/ports/clock';
import type { ContainerLock, HeldLock } from '../core/ports/container-lock';
import type { ExecRequest, Executor, HostLink } from '../core/ports/executor';
import type { FileProbe } from '../core/ports/file-probe';
import type { PodInfo } from '../core/ports/kube-client';
import type { Logger, LoggerFactory, LogSettings } from '../core/ports/logger';
import type { NodePods, PodChange } from '../core/ports/node-pods';
import type { PluginVersionQuery, PluginVersions } from '../core/ports/plugin-versions';
import type { CacheEntry, CacheKey, ResultCache } from '../core/ports/result-cache';
import { SUPPORTED_VERSIONS } from '../core/version';

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
      JSON.parse(
        JSON.stringify({
          type: req.type,
          command: req.command,
          ifname: req.env.CNI_IFNAME,
          env: req.env,
          stdin: req.stdin,
        }),
      ) as RecordedCall,
    );
    return this.script(req);
  }

  /** Host tool calls (`nsenter ...`), joined by spaces. */
  readonly tools: string[] = [];

  runTool(file: string, args: readonly string[]): Promise<string> {
    this.tools.push([file, ...args].join(' '));
    return Promise.resolve('');
  }

  /** Host links looked up, by name. */
  readonly links: string[] = [];

  /** Every link exists, with mtu 1500; a test scripting the host overrides this. */
  hostLink(name: string): Promise<HostLink | undefined> {
    this.links.push(name);
    return Promise.resolve({ name, mtu: 1500 });
  }

  /** `"ADD bridge net0"` lines, for asserting order. */
  sequence(): string[] {
    return this.calls.map((c) => `${c.command} ${c.type} ${c.ifname}`);
  }
}

/** A /24 per container, interface and plugin: stateless, so concurrent requests never share one by chance. */
function subnetOf(req: ExecRequest): number {
  let hash = 0;
  for (const c of `${req.env.CNI_CONTAINERID}/${req.env.CNI_IFNAME}/${req.type}`)
    hash = (hash * 31 + c.charCodeAt(0)) | 0;
  return Math.abs(hash) % 250;
}

/** Answers ADD with a plausible result of the config's version (an address from 10.99.0.0/16); nothing else. */
export function defaultScript(req: ExecRequest): unknown {
  if (req.command !== 'ADD') return undefined;
  const version = String(req.stdin['cniVersion']);
  const address = `10.99.${subnetOf(req)}.2/24`;
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

  list(dir: string, containerId?: string): Promise<CacheEntry[]> {
    const inDir = [...this.entries.entries()].filter(([id]) => id.startsWith(`${dir}/`)).map(([, e]) => e);
    return Promise.resolve(containerId === undefined ? inDir : inDir.filter((e) => e.containerId === containerId));
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
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}
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

/**
 * VERSION answers by plugin type, without running anything: a type not listed speaks every
 * version multus does; `undefined` stands for a plugin with no usable VERSION answer.
 */
export class FakePluginVersions implements PluginVersions {
  /** Every query, in order. */
  readonly queries: PluginVersionQuery[] = [];

  constructor(private readonly answers: Readonly<Record<string, readonly string[] | undefined>> = {}) {}

  supported(query: PluginVersionQuery): Promise<readonly string[] | undefined> {
    this.queries.push(query);
    return Promise.resolve(query.type in this.answers ? this.answers[query.type] : SUPPORTED_VERSIONS);
  }
}

/** Files that exist, and pairs of paths that name one file (e.g. a netns bind mount and /proc/1/ns/net). */
export class FakeFileProbe implements FileProbe {
  constructor(
    readonly files = new Set<string>(),
    readonly same: Array<readonly [string, string]> = [],
  ) {}

  exists(path: string): Promise<boolean> {
    return Promise.resolve(this.files.has(path));
  }

  sameFile(a: string, b: string): Promise<boolean> {
    return Promise.resolve(this.same.some(([x, y]) => (x === a && y === b) || (x === b && y === a)));
  }
}

/** The node's pods as a test sets them: `synced` and `pods` are changed by the test between passes. */
export class FakeNodePods implements NodePods {
  constructor(
    public pods: PodInfo[] = [],
    public isSynced = true,
  ) {}

  synced(): boolean {
    return this.isSynced;
  }

  get(namespace: string, name: string): PodInfo | undefined {
    return this.pods.find((p) => p.namespace === namespace && p.name === name);
  }

  list(): readonly PodInfo[] {
    return this.pods;
  }

  private readonly listeners = new Set<(change: PodChange) => void>();

  subscribe(listener: (change: PodChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies a change to the pods and tells the listeners, as the informer would. */
  emit(change: PodChange): void {
    const others = this.pods.filter((p) => p.namespace !== change.pod.namespace || p.name !== change.pod.name);
    this.pods = change.type === 'deleted' ? others : [...others, change.pod];
    for (const listener of this.listeners) listener(change);
  }
}
