import type { AttemptTimer } from '../../src/sources/kube/retry';

/** One attempt timer as the code under test started it. */
export interface StartedAttemptTimer {
  readonly timeoutMs: number;
  state: 'running' | 'cancelled' | 'expired';
  readonly expire: () => void;
}

/**
 * An attempt timer that never fires by itself: the test expires it (e.g. from a
 * KubeTestServer.beforeNext hook, once the server holds the request). A slow but answering
 * server then never causes a retry, and a server that never answers times out exactly when the
 * test says, however loaded the machine is.
 */
export class ManualAttemptTimer {
  readonly timers: StartedAttemptTimer[] = [];

  /** The AttemptTimer to inject (ClientNodeKubeClientOptions.attemptTimer, RetryPolicy.attemptTimer). */
  readonly start: AttemptTimer = (timeoutMs, expire) => {
    const timer: StartedAttemptTimer = {
      timeoutMs,
      state: 'running',
      expire: () => {
        if (timer.state !== 'running') return;
        timer.state = 'expired';
        expire();
      },
    };
    this.timers.push(timer);
    return () => {
      if (timer.state === 'running') timer.state = 'cancelled';
    };
  };

  /** The timeout every timer was started with, in order. */
  get started(): number[] {
    return this.timers.map((t) => t.timeoutMs);
  }

  /** Timers neither expired nor cancelled. */
  get running(): StartedAttemptTimer[] {
    return this.timers.filter((t) => t.state === 'running');
  }

  /** Expires every running timer (the attempts they bound time out now); returns how many. */
  expireRunning(): number {
    const running = this.running;
    for (const timer of running) timer.expire();
    return running.length;
  }
}
