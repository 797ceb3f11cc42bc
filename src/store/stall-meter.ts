import { performance } from "node:perf_hooks";

/**
 * Remembers the store's synchronous calls that held this process's event loop for long (SQLite
 * waiting out another process's write lock): a lease that lapsed meanwhile was the store's
 * doing, not the step's, and the worker says so.
 */
export class StallMeter {
  private readonly stalls: { end: number; ms: number }[] = [];

  constructor(private readonly thresholdMs = 250) {}

  time<T>(fn: () => T): T {
    const began = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - began;
      if (ms >= this.thresholdMs) {
        this.stalls.push({ end: began + ms, ms });
        if (this.stalls.length > 16) this.stalls.shift();
      }
    }
  }

  /** Milliseconds spent blocked in such calls since `since` (a performance.now() time). */
  since(since: number): number {
    let total = 0;
    for (const s of this.stalls) if (s.end > since) total += Math.min(s.ms, s.end - since);
    return total;
  }
}
