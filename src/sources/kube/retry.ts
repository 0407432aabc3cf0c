/**
 * Bounded retries for Kubernetes API calls. A CNI ADD runs while kubelet waits: an API server
 * that is restarting deserves a few quick retries, but never a wait longer than a few seconds,
 * because kubelet retries the whole ADD itself once we answer "try again later" (code 11).
 */

/** How one API operation is retried. */
export interface RetryPolicy {
  /** Longest wait for one attempt; the call is abandoned (and aborted) after it. */
  readonly attemptTimeoutMs: number;
  /** Pause before retry k is `backoffMs[k-1]`; its length bounds the number of retries. */
  readonly backoffMs: readonly number[];
  readonly sleep: (ms: number) => Promise<void>;
  /** Bounds each attempt; realAttemptTimer unless a test decides itself when an attempt times out. */
  readonly attemptTimer: AttemptTimer;
}

/**
 * Starts the timer of one attempt: `expire` is called once `timeoutMs` have passed, unless the
 * returned function cancels the timer first. A port, so that tests decide when an attempt times
 * out instead of racing a real timer against real I/O on a loaded machine.
 */
export type AttemptTimer = (timeoutMs: number, expire: () => void) => () => void;

/** The real attempt timer: a setTimeout. */
export const realAttemptTimer: AttemptTimer = (timeoutMs, expire) => {
  const timer = setTimeout(expire, timeoutMs);
  return () => clearTimeout(timer);
};

/** The shortest attempt we start even when the budget is nearly spent. */
const MIN_ATTEMPT_MS = 50;

/**
 * The time left for one public operation (which may make several API calls, e.g. GET then
 * PATCH): every call of the operation draws on the same budget, so the total stays bounded.
 */
export class Deadline {
  private readonly end: number;

  constructor(
    budgetMs: number,
    private readonly now: () => number,
  ) {
    this.end = now() + budgetMs;
  }

  remaining(): number {
    return this.end - this.now();
  }
}

/** Thrown into the race when an attempt got no answer in time; classified as transient. */
export class AttemptTimedOut extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimedOut';
  }
}

/** Why an attempt failed in a way worth retrying, or undefined when it is final. */
export type TransientReason = (err: unknown) => string | undefined;

/** Builds the error thrown when the retries are used up. */
export type GiveUp = (reason: string, attempts: number, lastError: unknown) => Error;

/**
 * Runs `attempt` until it succeeds, fails for good (`transient` returns undefined: the error is
 * rethrown as is), or the retries or the deadline run out (`giveUp`'s error is thrown).
 * Each attempt gets an AbortSignal that fires at its timeout; the attempt also loses a race
 * against that timer, in case the HTTP layer ignores the signal (a lingering socket is harmless:
 * the plugin process exits soon after).
 */
export async function retrying<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  deadline: Deadline,
  transient: TransientReason,
  giveUp: GiveUp,
): Promise<T> {
  for (let n = 1; ; n++) {
    const timeoutMs = Math.min(policy.attemptTimeoutMs, Math.max(deadline.remaining(), MIN_ATTEMPT_MS));
    try {
      return await withTimeout(attempt, timeoutMs, policy.attemptTimer);
    } catch (err) {
      const reason = transient(err);
      if (reason === undefined) throw err;
      const pause = policy.backoffMs[n - 1];
      if (pause === undefined || deadline.remaining() <= pause) throw giveUp(reason, n, err);
      await policy.sleep(pause);
    }
  }
}

/** Races `run` against a timer that aborts it; the loser's late rejection is swallowed. */
export function withTimeout<T>(
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  startTimer: AttemptTimer = realAttemptTimer,
): Promise<T> {
  const controller = new AbortController();
  let cancel: (() => void) | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    cancel = startTimer(timeoutMs, () => {
      const err = new AttemptTimedOut(timeoutMs);
      controller.abort(err);
      reject(err);
    });
  });
  let call: Promise<T>;
  try {
    call = run(controller.signal);
  } catch (err) {
    call = Promise.reject(err);
  }
  call.catch(() => undefined);
  return Promise.race([call, timeout]).finally(() => cancel?.());
}

/** The real pause between retries. */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
