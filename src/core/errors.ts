/**
 * The one error type of the project. Every failure that can reach the runtime is a CniError
 * carrying a CNI spec code, so callers classify by `code` (never by message text) and the
 * skeleton can print it as the spec's error JSON.
 */

/** Error codes of the CNI spec (SPEC.md "Error"), plus this project's own (100+). */
export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginNotAvailableLimited: 51,
  Internal: 999,
  /** A delegate exited non-zero without printing a CNI error. */
  DelegateFailed: 100,
  /** A delegate's binary was not found in binDir or CNI_PATH. */
  DelegateNotFound: 101,
  /** A delegate printed something that is not a valid CNI result. */
  DelegateBadOutput: 102,
  /** Rolling back or deleting attachments failed for at least one delegate. */
  DelegateCleanupFailed: 103,
  /** The Kubernetes API refused the credentials (401) or the access (403). */
  KubernetesAccessDenied: 104,
  /** A Kubernetes object multus needs (the pod, a network) does not exist. */
  KubernetesNotFound: 105,
  /** A delegate ran longer than the delegate timeout and was killed. */
  DelegateTimedOut: 106,
  /** A plugin directory or binary is writable by group or others. */
  InsecurePlugin: 107,
  /** A vendor adapter module could not be loaded or registered. */
  AdapterLoadFailed: 108,
} as const;

/** One of {@link CniCode}'s values, or any other number: a delegate's own error code passes through as it is. */
export type CniCodeValue = number;

/** The JSON a plugin prints on stdout when it fails (CNI spec "Error"). */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** One thing wrong, located by its JSON path: errors listing several keep them apart for tools. */
export interface ErrorProblem {
  readonly path: string;
  readonly message: string;
}

export interface CniErrorOptions {
  details?: string;
  cause?: unknown;
  /** The problems the message lists, each with its path (`multus validate` prints them one per line). */
  problems?: readonly ErrorProblem[];
}

export class CniError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly details: string | undefined;
  readonly problems: readonly ErrorProblem[];

  constructor(code: CniCodeValue, msg: string, options: CniErrorOptions = {}) {
    super(msg, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CniError';
    this.code = code;
    this.msg = msg;
    this.details = options.details;
    this.problems = options.problems ?? [];
  }

  /** A copy with `prefix: ` put before the message, keeping code, details and cause. */
  withContext(prefix: string): CniError {
    return new CniError(this.code, `${prefix}: ${this.msg}`, {
      details: this.details,
      cause: this,
      problems: this.problems,
    });
  }

  toJSON(cniVersion: string): CniErrorJson {
    const json: CniErrorJson = { cniVersion, code: this.code, msg: this.msg };
    if (this.details !== undefined && this.details !== '') json.details = this.details;
    return json;
  }
}

/** Wrap anything thrown into a CniError; non-CniErrors become code 999 with their message. */
export function toCniError(err: unknown, context?: string): CniError {
  if (err instanceof CniError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const msg = context === undefined ? `internal error: ${message}` : `${context}: ${message}`;
  return new CniError(CniCode.Internal, msg, { cause: err });
}
