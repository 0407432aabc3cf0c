/** Time, injected so tests control it. */
export interface Clock {
  now(): Date;
  /** Waits (polling loops); a test clock returns at once and moves its time on. */
  sleep(ms: number): Promise<void>;
}
