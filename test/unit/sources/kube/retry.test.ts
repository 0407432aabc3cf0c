import {
  AttemptTimedOut,
  Deadline,
  realAttemptTimer,
  type RetryPolicy,
  retrying,
  withTimeout,
} from '../../../../src/sources/kube/retry';
import { ManualAttemptTimer } from '../../../support/manual-attempt-timer';

/**
 * The retry loop with the clock, the pauses and the attempt timers in the test's hands: no
 * outcome here depends on how fast the machine is. The real timer is checked with jest's fake
 * timers, and once for real against an attempt that never settles, so that only the timer decides.
 */

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('realAttemptTimer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('expires after its timeout, not before', () => {
    const expire = jest.fn();
    realAttemptTimer(100, expire);
    jest.advanceTimersByTime(99);
    expect(expire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(expire).toHaveBeenCalledTimes(1);
  });

  test('a cancelled timer never expires', () => {
    const expire = jest.fn();
    const cancel = realAttemptTimer(100, expire);
    cancel();
    jest.advanceTimersByTime(1000);
    expect(expire).not.toHaveBeenCalled();
  });
});

describe('withTimeout', () => {
  test('an attempt that answers gets its value, and its timer is cancelled', async () => {
    const timers = new ManualAttemptTimer();
    await expect(withTimeout(() => Promise.resolve('pod'), 300, timers.start)).resolves.toBe('pod');
    expect(timers.timers.map((t) => [t.timeoutMs, t.state])).toEqual([[300, 'cancelled']]);
  });

  test('an attempt that throws, even synchronously, rejects with its error, and its timer is cancelled', async () => {
    const timers = new ManualAttemptTimer();
    const boom = new Error('boom');
    await expect(
      withTimeout(
        () => {
          throw boom;
        },
        300,
        timers.start,
      ),
    ).rejects.toBe(boom);
    expect(timers.running).toEqual([]);
  });

  test('when the timer expires: AttemptTimedOut, the signal aborted with it, the late answer ignored', async () => {
    const timers = new ManualAttemptTimer();
    let signal: AbortSignal | undefined;
    let answerLate: (err: Error) => void = () => undefined;
    const result = withTimeout(
      (s) => {
        signal = s;
        return new Promise<never>((_resolve, reject) => (answerLate = reject));
      },
      300,
      timers.start,
    );
    expect(signal?.aborted).toBe(false);
    expect(timers.expireRunning()).toBe(1);
    const err = await rejection(result);
    expect(err).toBeInstanceOf(AttemptTimedOut);
    expect((err as AttemptTimedOut).message).toBe('no answer within 300 ms');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(err);
    answerLate(new Error('aborted')); // swallowed: no unhandled rejection fails the run
  });

  test('the default timer is real: an attempt that never settles times out (only the timer can decide)', async () => {
    const err = await rejection(withTimeout(() => never(), 20));
    expect(err).toBeInstanceOf(AttemptTimedOut);
    expect((err as AttemptTimedOut).timeoutMs).toBe(20);
  });
});

describe('retrying', () => {
  let clock: number;
  let sleeps: number[];
  let timers: ManualAttemptTimer;
  let policy: RetryPolicy;
  const transient = (err: unknown): string | undefined =>
    err instanceof Error && err.message.startsWith('transient') ? err.message : undefined;
  const giveUp = (reason: string, attempts: number): Error => new Error(`gave up: ${reason} after ${attempts}`);

  beforeEach(() => {
    clock = 0;
    sleeps = [];
    timers = new ManualAttemptTimer();
    policy = {
      attemptTimeoutMs: 2000,
      backoffMs: [200, 400],
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      attemptTimer: timers.start,
    };
  });
  const deadline = (budgetMs: number): Deadline => new Deadline(budgetMs, () => clock);

  test('transient failures are retried after each backoff step, then it succeeds', async () => {
    let n = 0;
    const value = await retrying(
      () => (++n < 3 ? Promise.reject(new Error(`transient ${n}`)) : Promise.resolve(n)),
      policy,
      deadline(4000),
      transient,
      giveUp,
    );
    expect(value).toBe(3);
    expect(sleeps).toEqual([200, 400]);
    expect(timers.timers.map((t) => [t.timeoutMs, t.state])).toEqual([
      [2000, 'cancelled'],
      [2000, 'cancelled'],
      [2000, 'cancelled'],
    ]);
  });

  test('a final failure is rethrown as is, without a retry', async () => {
    const fatal = new Error('fatal');
    await expect(retrying(() => Promise.reject(fatal), policy, deadline(4000), transient, giveUp)).rejects.toBe(fatal);
    expect(sleeps).toEqual([]);
  });

  test('one attempt per backoff step plus one, then giveUp with the last reason', async () => {
    let n = 0;
    const err = await rejection(
      retrying(() => Promise.reject(new Error(`transient ${++n}`)), policy, deadline(4000), transient, giveUp),
    );
    expect((err as Error).message).toBe('gave up: transient 3 after 3');
    expect(sleeps).toEqual([200, 400]);
  });

  test('attempts that time out are retried like any transient failure', async () => {
    const timedOut = (err: unknown): string | undefined => (err instanceof AttemptTimedOut ? err.message : undefined);
    const attempts = retrying(
      () => {
        // Each attempt hangs; it times out right after it started, when the test says so.
        queueMicrotask(() => timers.expireRunning());
        return never();
      },
      policy,
      deadline(4000),
      timedOut,
      giveUp,
    );
    await expect(attempts).rejects.toThrow('gave up: no answer within 2000 ms after 3');
    expect(timers.timers.map((t) => t.state)).toEqual(['expired', 'expired', 'expired']);
  });

  test('the budget bounds each attempt and stops the retries when a pause would overrun it', async () => {
    const spend = [1500, 2400];
    let n = 0;
    const err = await rejection(
      retrying(
        () => {
          clock += spend[n] ?? 0;
          return Promise.reject(new Error(`transient ${++n}`));
        },
        policy,
        deadline(3000),
        transient,
        giveUp,
      ),
    );
    // 3000 ms left: bounded by attemptTimeoutMs; 1500 left: by the budget; then the budget is
    // overspent and the 400 ms pause (a backoff step left) is not taken.
    expect(timers.started).toEqual([2000, 1500]);
    expect(sleeps).toEqual([200]);
    expect((err as Error).message).toBe('gave up: transient 2 after 2');
  });

  test('an attempt started with the budget nearly spent still gets 50 ms', async () => {
    clock = 0;
    const nearlySpent = deadline(10);
    await expect(
      retrying(() => Promise.resolve('ok'), { ...policy, backoffMs: [] }, nearlySpent, transient, giveUp),
    ).resolves.toBe('ok');
    expect(timers.started).toEqual([50]);
  });
});
