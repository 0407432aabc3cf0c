/**
 * The shim ↔ daemon wire protocol, version 1: HTTP/1.1 over the daemon's unix socket. The shim
 * (C, src/shim/multus-shim.c) takes these constants through a generated header
 * (src/shim/shim-header.ts), so this module imports nothing.
 *
 * - `POST /v1/cni`, body {@link CniCall} (JSON): one CNI call, exactly as the runtime made it.
 *   Answer 200 with {@link CniAnswer}: what the thin plugin would have printed and its exit code.
 *   A request the daemon cannot take answers a non-200 status with a CniAnswer whose stdout is a
 *   CNI error (400 malformed, 408 too slow, 413 too large, 503 busy or stopping).
 * - `GET /healthz`: 200 while the daemon serves. `GET /readyz`: 200 when an ADD could succeed
 *   now (the readiness indicator file exists, the caches are synced), 503 with the reason.
 * - `GET /v1/records`: the daemon's records and what its reconcile would do with each (JSON,
 *   `RecordsListing` of reconcile-loop.ts), for `multus explain --records`.
 */
export const PROTOCOL_VERSION = 1;
export const CNI_PATH = '/v1/cni';
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const RECORDS_PATH = '/v1/records';

export interface CniCall {
  readonly version: number;
  /** Shared by the shim's stderr and the daemon's log lines of this call. */
  readonly requestId: string;
  /** The CNI_* variables (and MULTUS_REQUEST_ID) the runtime gave the shim. */
  readonly env: Readonly<Record<string, string>>;
  /** The runtime's stdin, unchanged. */
  readonly stdin: string;
}

export interface CniAnswer {
  readonly version: number;
  readonly requestId: string;
  readonly exitCode: number;
  /** Exactly what the plugin prints: the result, or the CNI error JSON. */
  readonly stdout: string;
}
