import type { Clock } from "../shared/clock.js";

export interface RateLimitOptions {
  /** Requests a key may make per second, sustained. */
  perSecond: number;
  /** Requests a key may make at once after being idle. Default 2 × perSecond. */
  burst?: number;
}

/**
 * A token bucket per key: each request takes a token, tokens come back at `perSecond`. Answers
 * how long to wait when the bucket is empty. Buckets of idle keys are forgotten.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly clock: Clock,
  ) {
    this.burst = options.burst ?? Math.max(1, options.perSecond * 2);
  }

  /** 0 when the request may go ahead (its token is taken), else the ms until one is free. */
  take(key: string): number {
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.options.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.forgetIdle(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.options.perSecond) * 1000);
  }

  private forgetIdle(now: number): void {
    const full = (this.burst / this.options.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}
