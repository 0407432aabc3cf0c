/** Time, injected so tests control it. */
export interface Clock {
  now(): Date;
}
