import type { ServerResponse } from 'node:http';
import type { KubeTestObject, KubeTestResource } from './object-store';
import { resourceKey } from './object-store';
import { statusBody } from './status';

/**
 * The test API server's watches, as kube-apiserver serves them: `?watch=true` answers 200 and
 * streams one JSON event per line (`{"type":"ADDED","object":{...}}`), starting after the
 * resourceVersion asked for (replayed from a bounded history; older than the history is a 410
 * ERROR event, after which the client must list again), filtered by namespace and field
 * selector (an object that moves into the selector is ADDED, one that moves out is DELETED),
 * with BOOKMARK events on request and `timeoutSeconds` honoured.
 */

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One write to the store, as watches see it. */
export interface StoreChange {
  readonly type: ChangeType;
  /** resourceKey() of the object's type. */
  readonly resource: string;
  readonly revision: number;
  /** The object now (for DELETED: as it was, with the deletion's resourceVersion). */
  readonly object: KubeTestObject;
  /** The object before the write (undefined for ADDED). */
  readonly previous: KubeTestObject | undefined;
}

/** What a list or watch selects: one type, maybe one namespace, and `field=value` terms. */
export interface Selection {
  readonly resource: KubeTestResource;
  readonly namespace: string | undefined;
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

/** `spec.nodeName=node1,metadata.name=x` (`=` or `==`); a term without a value is an error message. */
export function parseFieldSelector(text: string | null): Array<[string, string]> | string {
  if (text === null || text === '') return [];
  const terms: Array<[string, string]> = [];
  for (const term of text.split(',')) {
    const match = /^([A-Za-z0-9.]+)==?(.*)$/u.exec(term.trim());
    if (match === null) return `unable to parse requirement: "${term}" (only field=value is served here)`;
    terms.push([match[1] as string, match[2] as string]);
  }
  return terms;
}

function fieldValue(object: KubeTestObject, path: string): string {
  let value: unknown = object;
  for (const part of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** Whether `selection` selects `object` (of its type). */
export function selects(selection: Selection, object: KubeTestObject | undefined): boolean {
  if (object === undefined) return false;
  if (selection.namespace !== undefined && object.metadata.namespace !== selection.namespace) return false;
  return selection.fields.every(([path, value]) => fieldValue(object, path) === value);
}

/** The event a watch with `selection` sees for `change`, or undefined when it sees none. */
function eventFor(selection: Selection, change: StoreChange): { type: ChangeType; object: KubeTestObject } | undefined {
  if (change.resource !== resourceKey(selection.resource)) return undefined;
  const now = change.type !== 'DELETED' && selects(selection, change.object);
  const before = change.type === 'DELETED' ? selects(selection, change.object) : selects(selection, change.previous);
  if (change.type === 'DELETED') return before ? { type: 'DELETED', object: change.object } : undefined;
  if (now && before) return { type: 'MODIFIED', object: change.object };
  if (now) return { type: 'ADDED', object: change.object };
  if (before && change.previous !== undefined) {
    const rv = change.object.metadata.resourceVersion;
    return {
      type: 'DELETED',
      object: { ...change.previous, metadata: { ...change.previous.metadata, resourceVersion: rv } },
    };
  }
  return undefined;
}

export interface WatchOptions {
  /** The resourceVersion to start after; undefined or "0": every current object as ADDED first. */
  readonly from: number | undefined;
  readonly bookmarks: boolean;
  readonly timeoutSeconds: number | undefined;
}

interface OpenWatch {
  readonly selection: Selection;
  readonly res: ServerResponse;
  readonly bookmarks: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class WatchHub {
  private history: StoreChange[] = [];
  /** Watches from a resourceVersion before this one get 410: their events are gone. */
  private oldest = 0;
  private readonly watches = new Set<OpenWatch>();

  constructor(private readonly historyLimit = 10_000) {}

  /** Open watches (for tests that wait for a client to reconnect). */
  get open(): number {
    return this.watches.size;
  }

  record(change: StoreChange): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.oldest = this.history.shift()?.revision ?? this.oldest;
    for (const watch of this.watches) this.send(watch, eventFor(watch.selection, change));
  }

  /** Forgets every event up to `revision`: a watch from before it gets 410 Gone (the client relists). */
  compact(revision: number): void {
    this.history = this.history.filter((c) => c.revision > revision);
    this.oldest = Math.max(this.oldest, revision);
  }

  /** Sends a BOOKMARK at `revision` to every watch that asked for bookmarks. */
  bookmark(revision: number, apiVersion: (r: KubeTestResource) => string): void {
    for (const watch of this.watches) {
      if (!watch.bookmarks) continue;
      const object = {
        apiVersion: apiVersion(watch.selection.resource),
        kind: watch.selection.resource.kind,
        metadata: { resourceVersion: String(revision) },
      };
      watch.res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
    }
  }

  /**
   * Answers a watch request: 200, then the events after `options.from` (or the current objects
   * as ADDED), then live ones, until the timeout, {@link closeAll} or the client goes away.
   */
  start(selection: Selection, options: WatchOptions, current: () => KubeTestObject[], res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const watch: OpenWatch = { selection, res, bookmarks: options.bookmarks, timer: undefined };
    if (options.from !== undefined && options.from > 0 && options.from < this.oldest) {
      const message = `too old resource version: ${options.from} (${this.oldest})`;
      res.end(`${JSON.stringify({ type: 'ERROR', object: { ...statusBody(410, message), reason: 'Expired' } })}\n`);
      return;
    }
    if (options.from === undefined || options.from === 0) {
      for (const object of current()) this.send(watch, { type: 'ADDED', object });
    } else {
      for (const change of this.history)
        if (change.revision > options.from) this.send(watch, eventFor(selection, change));
    }
    this.watches.add(watch);
    res.on('close', () => this.finish(watch));
    if (options.timeoutSeconds !== undefined)
      watch.timer = setTimeout(() => this.finish(watch), options.timeoutSeconds * 1000);
  }

  /** Ends every open watch normally (the client re-watches from its last resourceVersion). */
  closeAll(): void {
    for (const watch of [...this.watches]) this.finish(watch);
  }

  private finish(watch: OpenWatch): void {
    if (!this.watches.delete(watch)) return;
    clearTimeout(watch.timer);
    if (!watch.res.writableEnded) watch.res.end();
  }

  private send(watch: OpenWatch, event: { type: ChangeType; object: KubeTestObject } | undefined): void {
    if (event !== undefined && !watch.res.writableEnded) watch.res.write(`${JSON.stringify(event)}\n`);
  }
}
