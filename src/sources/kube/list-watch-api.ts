import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { HttpStatusError, RestTransport } from './rest-transport';

/**
 * The two calls an informer makes: one page of a list, and a watch stream. A port, so that the
 * informer's tests script both; {@link HttpListWatchApi} is the real one.
 */
export interface ListWatchApi {
  /** One page of a list: the parsed List body; HttpStatusError for an answer outside 2xx. */
  list(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<unknown>;
  /**
   * Opens a watch and hands over each event line, parsed, in order. Resolves when the server
   * ends the stream; rejects on an answer outside 2xx (HttpStatusError), a broken connection,
   * a line that is not JSON, or `idleMs` without a byte (a half-open connection). `onOpen` is
   * called once the server accepted the watch (its 200 came).
   */
  watch(
    path: string,
    query: Readonly<Record<string, string>>,
    onEvent: (event: unknown) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void>;
}

/** The longest event line accepted (one object): far above any pod or NAD. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Thrown when a watch hears nothing for its idle limit; the informer reconnects. */
export class WatchIdleError extends Error {
  constructor(readonly idleMs: number) {
    super(`watch silent for ${idleMs} ms`);
    this.name = 'WatchIdleError';
  }
}

function withQuery(path: string, query: Readonly<Record<string, string>>): string {
  const search = new URLSearchParams(query).toString();
  return search === '' ? path : `${path}?${search}`;
}

/** Splits a byte stream into lines and parses each as JSON. */
class LineParser {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onEvent: (event: unknown) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.pending.push(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_LINE_BYTES) throw new Error(`watch event longer than ${MAX_LINE_BYTES} bytes`);
    }
  }

  private flush(): void {
    const line = Buffer.concat(this.pending).toString('utf8').trim();
    this.pending = [];
    this.pendingBytes = 0;
    if (line !== '') this.onEvent(JSON.parse(line));
  }
}

function readError(res: IncomingMessage): Promise<HttpStatusError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
    const done = (): void => {
      const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v ?? '')]));
      resolve(new HttpStatusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), headers));
    };
    res.on('end', done);
    res.on('error', done);
  });
}

/**
 * Lists through {@link RestTransport} (the same TLS material and credentials as every other
 * call) and watches over node's HTTP(S) with the same options, streaming: an event is handled
 * as soon as its line arrives, and nothing but the current line is buffered.
 */
export class HttpListWatchApi implements ListWatchApi {
  private readonly rest: RestTransport;
  private readonly base: URL;

  constructor(
    server: string,
    private readonly tls: RequestOptions,
    private readonly idleMs: number,
  ) {
    this.rest = new RestTransport(server, tls);
    this.base = new URL(server.endsWith('/') ? server : `${server}/`);
  }

  list(path: string, query: Readonly<Record<string, string>>, signal: AbortSignal): Promise<unknown> {
    return this.rest.request({ method: 'GET', path: withQuery(path, query), signal });
  }

  watch(
    path: string,
    query: Readonly<Record<string, string>>,
    onEvent: (event: unknown) => void,
    signal: AbortSignal,
    onOpen: () => void = () => undefined,
  ): Promise<void> {
    const url = new URL(withQuery(path, query).replace(/^\//u, ''), this.base);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const headers = { Accept: 'application/json', ...(this.tls.headers as Record<string, string> | undefined) };
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const req = send(url, { ...this.tls, method: 'GET', headers, signal }, (res) => {
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) {
          void readError(res).then(finish);
          return;
        }
        onOpen();
        const parser = new LineParser(onEvent);
        res.on('data', (chunk: Buffer) => {
          idle();
          try {
            parser.push(chunk);
          } catch (err) {
            req.destroy(err as Error);
          }
        });
        res.on('end', () => finish(undefined));
        res.on('error', finish);
        res.on('close', () => finish(res.complete ? undefined : new Error('watch connection closed')));
      });
      const finish = (err: Error | undefined): void => {
        clearTimeout(timer);
        if (err === undefined) resolve();
        else reject(err);
      };
      const idle = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => req.destroy(new WatchIdleError(this.idleMs)), this.idleMs);
      };
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('error', finish);
      idle();
      req.end();
    });
  }
}
