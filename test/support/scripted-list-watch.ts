import type { ListWatchApi } from '../../src/sources/kube/list-watch-api';
import { HttpStatusError } from '../../src/sources/kube/rest-transport';

/**
 * A ListWatchApi the test drives: every list is answered by the next queued answer (or by
 * `onList`), every watch is a stream the test feeds event by event and ends, breaks or lets
 * the code under test abort. Waiters resolve when the code under test makes its next call, so
 * a test never sleeps on a clock.
 */

type ListAnswer = (path: string, query: Readonly<Record<string, string>>) => unknown;

/** A 4xx/5xx answer as RestTransport raises it; `body` is a Status unless given. */
export function httpError(code: number, body?: string): HttpStatusError {
  const status = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message: `HTTP ${code}` });
  return new HttpStatusError(code, body ?? status, {});
}

/** A List body. */
export function listBody(items: unknown[], resourceVersion: string, next?: string): Record<string, unknown> {
  return { kind: 'List', metadata: { resourceVersion, ...(next === undefined ? {} : { continue: next }) }, items };
}

/** An object with the metadata an informer keys and versions it by. */
export function kubeObject(
  namespace: string | undefined,
  name: string,
  resourceVersion: string,
  rest: Record<string, unknown> = {},
): Record<string, unknown> {
  const metadata = { name, resourceVersion, ...(namespace === undefined ? {} : { namespace }) };
  return { ...rest, metadata: { ...metadata, ...(rest['metadata'] as object | undefined) } };
}

export class ScriptedWatch {
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  readonly done: Promise<void>;
  aborted = false;

  constructor(
    readonly path: string,
    readonly query: Readonly<Record<string, string>>,
    private readonly onEvent: (event: unknown) => void,
    signal: AbortSignal,
  ) {
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined);
    signal.addEventListener('abort', () => {
      this.aborted = true;
      this.fail(new Error('aborted'));
    });
  }

  /** Delivers one event, as the server would; an error the informer throws on it breaks the stream. */
  emit(type: string, object: unknown): void {
    try {
      this.onEvent({ type, object });
    } catch (err) {
      this.fail(err);
    }
  }

  /** The server ends the stream normally (its timeout). */
  end(): void {
    this.settle?.resolve();
  }

  /** The connection breaks. */
  fail(err: unknown): void {
    this.settle?.reject(err);
  }
}

export class ScriptedListWatch implements ListWatchApi {
  readonly lists: Array<{ path: string; query: Readonly<Record<string, string>> }> = [];
  readonly watches: ScriptedWatch[] = [];
  /** Answers a list when nothing is queued (default: an empty list at resourceVersion 1). */
  onList: ListAnswer = () => listBody([], '1');
  private readonly queued: ListAnswer[] = [];
  private readonly waiters: Array<() => void> = [];

  /** Queues the answer of the next list: a body, an error to throw, or a promise the test settles. */
  answerList(answer: unknown): void {
    this.queued.push(() => {
      if (answer instanceof Error) throw answer;
      return answer;
    });
  }

  list(path: string, query: Readonly<Record<string, string>>): Promise<unknown> {
    this.lists.push({ path, query });
    this.wake();
    const answer = this.queued.shift() ?? this.onList;
    try {
      return Promise.resolve(answer(path, query));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  watch(
    path: string,
    query: Readonly<Record<string, string>>,
    onEvent: (event: unknown) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void> {
    const stream = new ScriptedWatch(path, query, onEvent, signal);
    onOpen?.();
    this.watches.push(stream);
    this.wake();
    return stream.done;
  }

  /** The `n`th watch (from 1), once the code under test opened it. */
  async watchNumber(n: number): Promise<ScriptedWatch> {
    while (this.watches.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.watches[n - 1] as ScriptedWatch;
  }

  /** Resolves once `n` lists were made. */
  async listCount(n: number): Promise<void> {
    while (this.lists.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Pauses the code under test asks for: recorded, and over only when the test releases them (or on abort). */
export class ManualSleeper {
  readonly pauses: number[] = [];
  private readonly pending: Array<() => void> = [];
  private readonly waiters: Array<() => void> = [];

  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      this.pauses.push(ms);
      this.pending.push(resolve);
      signal.addEventListener('abort', () => resolve());
      for (const waiter of this.waiters.splice(0)) waiter();
    });

  /** Resolves once `n` pauses were asked for. */
  async pauseCount(n: number): Promise<void> {
    while (this.pauses.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Ends every pause asked for so far. */
  release(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }
}
