/** Faults and hooks of the test API server, armed per request and counted down. */

/** Which requests a fault or hook applies to; every field given must match. */
export interface KubeTestMatcher {
  readonly method?: string;
  readonly pathPrefix?: string;
}

/** What happens to a matching request; `delayMs` applies first, then hang, reset or status. */
export interface KubeTestFault {
  /** Answer with this HTTP status and a Status body (403 and 409 get kube-apiserver's wording). */
  readonly status?: number;
  /** Message of the Status body (default: `injected failure`, or kube-apiserver's wording). */
  readonly message?: string;
  /** How many matching requests it applies to (default 1; Infinity for all). */
  readonly times?: number;
  /** Wait this long, then apply the rest of the fault (or answer normally). */
  readonly delayMs?: number;
  /** Never answer (the socket closes on stop() / close()). */
  readonly hang?: true;
  /** Destroy the connection without an answer (ECONNRESET at the client). */
  readonly reset?: true;
}

/** A fault or hook waiting for its requests. */
export interface Armed<T> {
  readonly matcher: KubeTestMatcher;
  remaining: number;
  readonly value: T;
}

function matches(matcher: KubeTestMatcher, method: string, path: string): boolean {
  return (
    (matcher.method === undefined || matcher.method.toUpperCase() === method) &&
    (matcher.pathPrefix === undefined || path.startsWith(matcher.pathPrefix))
  );
}

/** Takes the first armed entry matching the request, counting it down. */
export function take<T>(list: Armed<T>[], method: string, path: string): T | undefined {
  const index = list.findIndex((a) => matches(a.matcher, method, path));
  const armed = list[index];
  if (armed === undefined) return undefined;
  armed.remaining -= 1;
  if (armed.remaining <= 0) list.splice(index, 1);
  return armed.value;
}
