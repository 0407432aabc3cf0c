/** The queue is full: the call is answered at once with code 11 (the runtime retries it). */
export class GateFull extends Error {
  override readonly name = 'GateFull';
}

/**
 * Bounded concurrency with a bounded queue: at most `limit` calls run at once, at most
 * `maxQueued` wait (first come, first served), and any more are refused (backpressure).
 */
export class RequestGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a slot; resolves to the function that frees it (call it exactly once). */
  async enter(): Promise<() => void> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.maxQueued) throw new GateFull(`${this.waiting.length} calls already queued`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      const next = this.waiting.shift();
      if (next === undefined) this.running -= 1;
      else next(); // the slot passes straight to the next caller
    };
  }
}
