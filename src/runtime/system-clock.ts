import type { Clock } from '../core/ports/clock';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
