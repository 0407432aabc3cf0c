import { STATUS_CODES } from 'node:http';
import { CniCode, CniError } from '../../core/errors';
import { AttemptTimedOut } from './retry';

/**
 * How failed Kubernetes API calls become CniErrors. The classification works on the HTTP
 * status and the Status object the API server sends, never on message text; the messages name
 * the server, the user and the object so an operator can act on them, and never carry
 * credentials (no request headers, no kubeconfig content).
 */

/** One API call, for messages: `GET pods ns1/pod1`. */
export interface ApiCallTarget {
  readonly verb: 'get' | 'list' | 'patch' | 'create';
  /** `pods`, or `<plural>.<group>` for other objects (kubectl's spelling). */
  readonly resource: string;
  /** `namespace/name`, or `name` for cluster-scoped objects; for a list, its field selector. */
  readonly object: string;
}

/** The fields of a Kubernetes `Status` body that we use. */
export interface ApiStatus {
  readonly reason: string | undefined;
  readonly message: string | undefined;
}

/** What a failed attempt means for the caller. */
export type ApiFailure =
  | { readonly kind: 'transient'; readonly reason: string }
  | { readonly kind: 'unauthorized' | 'forbidden' | 'rejected'; readonly status: number; readonly detail: string }
  | { readonly kind: 'not-found'; readonly status: ApiStatus | undefined }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'internal'; readonly detail: string };

/** The parts of client-node's ApiException we read (it also carries the response headers). */
export interface ApiExceptionLike {
  readonly code: number;
  readonly body: unknown;
}

export function describeCall(target: ApiCallTarget): string {
  return `${target.verb.toUpperCase()} ${target.resource} ${target.object}`;
}

/**
 * The Status object in an error body, or undefined when the body is something else (client-node
 * hands over the raw text; a 404 from a path the server does not serve is `404 page not found`).
 */
export function parseStatus(body: unknown): ApiStatus | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const status = value as Record<string, unknown>;
  if (status['kind'] !== 'Status') return undefined;
  return {
    reason: typeof status['reason'] === 'string' ? status['reason'] : undefined,
    message: typeof status['message'] === 'string' ? status['message'] : undefined,
  };
}

/** `403 Forbidden: <the server's message>`. */
function statusDetail(code: number, body: unknown): string {
  const head = `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;
  const message = parseStatus(body)?.message;
  return message === undefined || message === '' ? head : `${head}: ${message}`;
}

/** Classifies an HTTP error response by its status code. */
export function classifyResponse(err: ApiExceptionLike): ApiFailure {
  const { code, body } = err;
  if (code === 401) return { kind: 'unauthorized', status: code, detail: statusDetail(code, body) };
  if (code === 403) return { kind: 'forbidden', status: code, detail: statusDetail(code, body) };
  if (code === 404) return { kind: 'not-found', status: parseStatus(body) };
  if (code === 409) return { kind: 'conflict' };
  if (code === 408 || code === 429 || code >= 500) return { kind: 'transient', reason: statusDetail(code, body) };
  return { kind: 'rejected', status: code, detail: statusDetail(code, body) };
}

/**
 * Classifies an error that is not an HTTP error response. A client-side timeout and every
 * network-level failure (refused, reset, DNS, TLS; node-fetch raises FetchError, Bun's fetch a
 * TypeError, both with a `code`) are transient; a missing required parameter is our bug.
 */
export function classifyThrown(err: unknown, isRequiredError: (err: unknown) => boolean): ApiFailure {
  if (err instanceof AttemptTimedOut) return { kind: 'transient', reason: err.message };
  if (isRequiredError(err)) return { kind: 'internal', detail: String((err as { message?: unknown }).message) };
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
  };
  if (typeof code === 'string' && code !== '') return { kind: 'transient', reason: code };
  return { kind: 'transient', reason: typeof message === 'string' ? message : String(err) };
}

/** Code 11: the API server did not answer usefully within the retry budget. */
export function unreachable(
  server: string,
  reason: string,
  attempts: number,
  target: ApiCallTarget,
  cause: unknown,
): CniError {
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return new CniError(
    CniCode.TryAgainLater,
    `Kubernetes API ${server} unreachable: ${reason} after ${tries} (${describeCall(target)})`,
    { cause },
  );
}

/** Code 104: the credentials were refused (401) or the user lacks the permission (403). */
export function accessDenied(
  server: string,
  user: string,
  target: ApiCallTarget,
  failure: { kind: string; detail: string },
  cause: unknown,
): CniError {
  const msg =
    failure.kind === 'unauthorized'
      ? `Kubernetes API ${server} did not accept the credentials of user "${user}" (${failure.detail}) ` +
        `(${describeCall(target)})`
      : `Kubernetes API ${server}: user "${user}" may not ${target.verb} ${target.resource} ${target.object} ` +
        `(${failure.detail})`;
  return new CniError(CniCode.KubernetesAccessDenied, msg, { cause });
}

/** Code 105: the object does not exist. */
export function notFound(server: string, target: ApiCallTarget, cause: unknown): CniError {
  const what = target.resource === 'pods' ? 'pod' : target.resource;
  return new CniError(CniCode.KubernetesNotFound, `${what} ${target.object} not found at Kubernetes API ${server}`, {
    cause,
  });
}

/** Code 999: the server refused a request we built (400, 405, 415, 422 ...), or we broke a precondition. */
export function rejected(server: string, target: ApiCallTarget, detail: string, cause: unknown): CniError {
  return new CniError(CniCode.Internal, `Kubernetes API ${server} rejected ${describeCall(target)} (${detail})`, {
    cause,
  });
}
