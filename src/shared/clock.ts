/** Where time comes from. Injected everywhere so tests advance time instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told: for tests of timers, backoff and leases. */
export class ManualClock implements Clock {
  private time: number;
  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.time = typeof start === "number" ? start : start.getTime();
  }
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
  set(time: number | Date): void {
    this.time = typeof time === "number" ? time : time.getTime();
  }
}
