import { isObject } from '../../core/json';
import type { Logger } from '../../core/ports/logger';
import { parseStatus } from './kube-errors';
import type { ListWatchApi } from './list-watch-api';
import { HttpStatusError } from './rest-transport';

/**
 * An informer: list a collection (in pages), then watch it from the list's resourceVersion,
 * keeping a map of what multus reads of each object. It reconnects with backoff when the
 * stream breaks, re-watches from the last resourceVersion it saw, and lists again when the
 * server answers 410 Gone (its history no longer reaches that far). A failed list keeps the
 * previous map: objects already cached keep serving while the API is down.
 */

/** What one informer watches and what it keeps of each object. */
export interface InformerSpec<T> {
  /** For status and logs: `pods`, or `<plural>.<group>` (kubectl's spelling). */
  readonly kind: string;
  /** For status and logs: `node=<name>`, `namespace=<ns>`, `name=<name>`. */
  readonly scope: string;
  /** The collection's path, e.g. `/api/v1/pods`. */
  readonly path: string;
  readonly fieldSelector?: string;
  /** What is kept of an object (frozen by the informer); the key is `namespace/name` or `name`. */
  readonly transform: (object: Record<string, unknown>) => T;
}

/** Timing and size knobs; tests pass instant sleeps and small pages. */
export interface InformerTuning {
  /** Items per list page (`limit`). */
  readonly pageSize: number;
  /** Asked of the server per watch (`timeoutSeconds`); it ends the stream then and we re-watch. */
  readonly watchTimeoutSeconds: number;
  /** First pause after a failure; doubles per failure in a row up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** How often a type the server does not serve (404 on the list) is looked for again. */
  readonly absentRecheckMs: number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now: () => number;
  /** In [0, 1): spreads the reconnects of many nodes (0.5 means none). */
  readonly random: () => number;
}

export const DEFAULT_TUNING: InformerTuning = {
  // Small pages: a page of 5000-node-pod-sized objects is parsed whole, and its garbage is the
  // daemon's memory peak (500 pods a page: 3.6 MB of JSON; docs/performance.md, section 6).
  pageSize: 100,
  watchTimeoutSeconds: 300,
  backoffMs: 500,
  maxBackoffMs: 30_000,
  absentRecheckMs: 60_000,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    }),
  now: Date.now,
  random: Math.random,
};

/** One informer as the metrics export it. */
export interface InformerStatus {
  readonly kind: string;
  readonly scope: string;
  /** Listed, and its watch is open now: the cache is as current as the API. */
  readonly synced: boolean;
  /** Seconds since the last list or watch event (bookmarks included); undefined before the first. */
  readonly lastEventAgeSeconds: number | undefined;
  readonly objects: number;
}

/** One object that appeared, changed or went; a re-list reports what it changed. */
export interface InformerChange<T> {
  readonly type: 'added' | 'modified' | 'deleted';
  readonly key: string;
  /** The object now; for `deleted`, as it was last kept. */
  readonly value: T;
  /** What was kept before a `modified`. */
  readonly previous?: T;
}

/** How a list or watch ended when it did not fail: 'absent' when the server does not serve the type. */
type Outcome = 'ended' | 'absent';

/** How many recent deletions are remembered, so a pod read with a GET is not answered after the watch deleted it. */
const TOMBSTONES = 1024;

function keyOf(object: Record<string, unknown>): string | undefined {
  const meta = isObject(object['metadata']) ? object['metadata'] : {};
  const name = meta['name'];
  if (typeof name !== 'string') return undefined;
  return typeof meta['namespace'] === 'string' ? `${meta['namespace']}/${name}` : name;
}

function resourceVersionOf(object: unknown): string | undefined {
  const meta = isObject(object) && isObject(object['metadata']) ? object['metadata'] : {};
  return typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The 410 Gone of a list or watch: the resourceVersion (or continue token) is too old. */
function isGone(err: unknown): boolean {
  return err instanceof HttpStatusError && err.code === 410;
}

export class Informer<T> {
  private items = new Map<string, T>();
  private resourceVersion = '';
  private listedOnce = false;
  private watching = false;
  private absent = false;
  private lastEventAt: number | undefined;
  private sequence = 0;
  private readonly deletions = new Map<string, number>();
  private readonly stopper = new AbortController();
  private firstList: Promise<void> | undefined;
  private settleFirstList: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly listeners = new Set<(change: InformerChange<T>) => void>();

  constructor(
    readonly spec: InformerSpec<T>,
    private readonly api: () => Promise<ListWatchApi>,
    private readonly tuning: InformerTuning,
    private readonly log: () => Logger,
  ) {}

  /** Starts the list+watch loop once; it runs until {@link stop}. */
  start(): void {
    this.firstList ??= new Promise((resolve) => (this.settleFirstList = resolve));
    this.running ??= this.loop();
  }

  /** Stops the loop and its open request; the cache stays readable. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.settleFirstList?.();
    await this.running;
  }

  /** Whether the cache ever held a complete list: only then is a miss an answer. */
  get listed(): boolean {
    return this.listedOnce;
  }

  /** Counts every change the watch applied (for {@link deletedAfter}). */
  get changes(): number {
    return this.sequence;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Every object kept now. */
  values(): T[] {
    return [...this.items.values()];
  }

  /**
   * Tells `listener` of each change applied from now on, in order. A listener that throws is
   * logged; the informer goes on. Returns what unsubscribes it.
   */
  subscribe(listener: (change: InformerChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once the first list finished or failed, or after `ms`: a caller that finds the
   * cache not listed then asks the API itself.
   */
  async waitForFirstList(ms: number): Promise<void> {
    this.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.firstList, timeout]);
    clearTimeout(timer);
  }

  /**
   * Whether the watch deleted `key` after {@link changes} was `since`: an object read outside
   * the watch before then (a pod the watch had not delivered yet) is no longer current.
   */
  deletedAfter(key: string, since: number): boolean {
    return (this.deletions.get(key) ?? -1) > since;
  }

  status(): InformerStatus {
    const { kind, scope } = this.spec;
    const age = this.lastEventAt === undefined ? undefined : Math.max(0, (this.tuning.now() - this.lastEventAt) / 1000);
    return {
      kind,
      scope,
      synced: this.listedOnce && (this.watching || this.absent),
      lastEventAgeSeconds: age,
      objects: this.items.size,
    };
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopper;
    let needList = true;
    let failures = 0;
    let gone = 0;
    while (!signal.aborted) {
      try {
        const outcome: Outcome = await this.linked(signal, (step) => (needList ? this.relist(step) : this.watch(step)));
        if (outcome === 'absent') {
          await this.tuning.sleep(this.tuning.absentRecheckMs, signal);
          continue;
        }
        needList = false;
        failures = 0;
        gone = 0;
      } catch (err) {
        if (signal.aborted) break;
        this.watching = false;
        // An HTTP answer (the type gone, permissions changed, 410) means list again; a broken
        // connection means watch again from where it stopped.
        needList = needList || err instanceof HttpStatusError;
        if (isGone(err) && gone++ < 2) continue;
        this.settleFirstList?.();
        const pause = this.backoff(failures++);
        const level = failures === 1 ? 'warn' : 'debug';
        this.log()[level](
          { ...this.ids(), failures, retryInMs: pause, reason: describe(err) },
          'informer: list/watch failed',
        );
        await this.tuning.sleep(pause, signal);
      }
    }
    this.watching = false;
  }

  /**
   * Runs one list or watch under its own signal, aborted with the informer's: the requests of a
   * long-lived informer never pile listeners onto one signal.
   */
  private async linked<R>(stop: AbortSignal, run: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const step = new AbortController();
    const abort = (): void => step.abort();
    stop.addEventListener('abort', abort);
    try {
      return await run(step.signal);
    } finally {
      stop.removeEventListener('abort', abort);
    }
  }

  private backoff(failures: number): number {
    const { backoffMs, maxBackoffMs, random } = this.tuning;
    const base = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(failures, 20));
    return Math.round(base * (0.8 + 0.4 * random()));
  }

  /** Lists every page into a new map, then swaps it in (a failure leaves the old one serving). */
  private async relist(signal: AbortSignal): Promise<Outcome> {
    const api = await this.api();
    const next = new Map<string, T>();
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const query: Record<string, string> = { limit: String(this.tuning.pageSize) };
      if (this.spec.fieldSelector !== undefined) query['fieldSelector'] = this.spec.fieldSelector;
      if (token !== undefined) query['continue'] = token;
      let page: unknown;
      try {
        page = await api.list(this.spec.path, query, signal);
      } catch (err) {
        if (err instanceof HttpStatusError && err.code === 404 && parseStatus(err.body) === undefined)
          return this.markAbsent();
        throw err;
      }
      const body = isObject(page) ? page : {};
      for (const item of Array.isArray(body['items']) ? body['items'] : []) this.put(next, item);
      const meta = isObject(body['metadata']) ? body['metadata'] : {};
      resourceVersion = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : resourceVersion;
      token = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : undefined;
    } while (token !== undefined);
    const previous = this.items;
    this.items = next;
    this.emitDifferences(previous, next);
    this.resourceVersion = resourceVersion;
    this.absent = false;
    this.heard();
    this.markListed();
    this.log().debug({ ...this.ids(), objects: next.size, resourceVersion }, 'informer: listed');
    return 'ended';
  }

  /** The server does not serve the type (a CRD not installed): every lookup answers "none". */
  private markAbsent(): Outcome {
    if (!this.absent) this.log().info(this.ids(), 'informer: the API does not serve this type; looking again later');
    this.items = new Map();
    this.absent = true;
    this.heard();
    this.markListed();
    return 'absent';
  }

  private markListed(): void {
    this.listedOnce = true;
    this.settleFirstList?.();
  }

  /** One watch from the current resourceVersion, until the server ends it or a 410 comes. */
  private async watch(signal: AbortSignal): Promise<Outcome> {
    const api = await this.api();
    const query: Record<string, string> = {
      watch: 'true',
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.tuning.watchTimeoutSeconds),
    };
    if (this.spec.fieldSelector !== undefined) query['fieldSelector'] = this.spec.fieldSelector;
    let events = 0;
    const started = this.tuning.now();
    try {
      await api.watch(
        this.spec.path,
        query,
        (event) => {
          events += 1;
          this.apply(event);
        },
        signal,
        () => (this.watching = true),
      );
    } finally {
      this.watching = false;
    }
    // A stream the server ends at once, again and again, is a failure to back off from.
    if (events === 0 && this.tuning.now() - started < 1000) throw new Error('watch ended at once without an event');
    return 'ended';
  }

  /**
   * Applies one watch event to the map. An ERROR event (a Status; 410 when the resourceVersion
   * is too old) is thrown as the HTTP error it stands for: it ends the watch, and the loop lists
   * again (410) or backs off.
   */
  private apply(event: unknown): void {
    if (!isObject(event)) return;
    const { type, object } = event;
    if (type === 'ERROR') {
      const code = isObject(object) ? object['code'] : undefined;
      throw new HttpStatusError(typeof code === 'number' ? code : 500, JSON.stringify(object), {});
    }
    this.heard();
    const rv = resourceVersionOf(object);
    if (rv !== undefined) this.resourceVersion = rv;
    if (type === 'BOOKMARK' || !isObject(object)) return;
    this.sequence += 1;
    const key = keyOf(object);
    if (key === undefined) return;
    const previous = this.items.get(key);
    if (type === 'ADDED' || type === 'MODIFIED') {
      const value = this.put(this.items, object) as T;
      this.emit(previous === undefined ? { type: 'added', key, value } : { type: 'modified', key, value, previous });
    }
    if (type === 'DELETED') {
      this.items.delete(key);
      this.deletions.delete(key);
      this.deletions.set(key, this.sequence);
      if (this.deletions.size > TOMBSTONES) this.deletions.delete(this.deletions.keys().next().value as string);
      this.emit({ type: 'deleted', key, value: previous ?? deepFreeze(this.spec.transform(object)) });
    }
  }

  /** Keeps what the spec keeps of `object`; returns it (undefined for an object without a name). */
  private put(map: Map<string, T>, object: unknown): T | undefined {
    if (!isObject(object)) return undefined;
    const key = keyOf(object);
    if (key === undefined) return undefined;
    const value = deepFreeze(this.spec.transform(object));
    map.set(key, value);
    return value;
  }

  /** What a re-list changed: objects new, changed (every one still there), and gone. */
  private emitDifferences(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>): void {
    if (this.listeners.size === 0) return;
    for (const [key, value] of after) {
      const previous = before.get(key);
      this.emit(previous === undefined ? { type: 'added', key, value } : { type: 'modified', key, value, previous });
    }
    for (const [key, value] of before) if (!after.has(key)) this.emit({ type: 'deleted', key, value });
  }

  private emit(change: InformerChange<T>): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log().warn({ ...this.ids(), key: change.key, reason: describe(err) }, 'informer: a listener failed');
      }
    }
  }

  private heard(): void {
    this.lastEventAt = this.tuning.now();
  }

  private ids(): Record<string, string> {
    return { kind: this.spec.kind, scope: this.spec.scope };
  }
}

function describe(err: unknown): string {
  if (err instanceof HttpStatusError) {
    const message = parseStatus(err.body)?.message;
    return message === undefined ? `HTTP ${err.code}` : `HTTP ${err.code}: ${message}`;
  }
  if (err instanceof Error) return (err as Error & { code?: string }).code ?? err.message;
  return String(err);
}
