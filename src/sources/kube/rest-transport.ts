import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ApiExceptionLike } from './kube-errors';

/** An HTTP answer outside 2xx, in the shape the error classification reads. */
export class HttpStatusError extends Error implements ApiExceptionLike {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(`HTTP ${code}`);
    this.name = 'HttpStatusError';
  }
}

export interface RestCall {
  readonly method: 'GET' | 'PATCH' | 'POST';
  /** The path under the server URL, e.g. `/api/v1/namespaces/ns1/pods/pod1`. */
  readonly path: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal: AbortSignal;
}

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]),
  );
}

/**
 * The few REST calls multus makes (get a pod, get an object, patch a pod), over node's HTTPS
 * with the TLS material and credentials that @kubernetes/client-node's KubeConfig applies.
 * client-node's generated API classes are not used: they bring 2.6 MB of models into the
 * binary, which every pod's start-up would pay for, for three URLs.
 */
export class RestTransport {
  private readonly base: URL;

  constructor(
    server: string,
    private readonly options: RequestOptions,
  ) {
    this.base = new URL(server.endsWith('/') ? server : `${server}/`);
  }

  /** The parsed JSON body of a 2xx answer; HttpStatusError otherwise; network errors as node raises them. */
  request(call: RestCall): Promise<unknown> {
    const url = new URL(call.path.replace(/^\//u, ''), this.base);
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...(this.options.headers as Record<string, string> | undefined),
    };
    if (payload !== undefined) {
      headers['Content-Type'] = call.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { ...this.options, method: call.method, headers, signal: call.signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return reject(new HttpStatusError(status, text, flatHeaders(res.headers)));
          try {
            resolve(text === '' ? undefined : JSON.parse(text));
          } catch {
            reject(new HttpStatusError(status, text, flatHeaders(res.headers)));
          }
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}
