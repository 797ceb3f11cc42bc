import type { Duration } from "../shared/duration.js";
import { toMs } from "../shared/duration.js";

export interface BackoffOptions {
  /** Delay before the first retry. Default 1s. */
  initial?: Duration;
  /** Largest delay. Default 1h. */
  max?: Duration;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Spread each delay randomly over [delay/2, delay] so retries do not arrive in lockstep. Default true. */
  jitter?: boolean;
}

/** Delay before retry number `failedAttempt` (1 = after the first failure). */
export function backoffDelay(
  failedAttempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = toMs(options.initial ?? 1000, "backoff.initial");
  const max = toMs(options.max ?? 3_600_000, "backoff.max");
  const factor = options.factor ?? 2;
  const raw = Math.min(max, initial * Math.pow(factor, Math.max(0, failedAttempt - 1)));
  if (options.jitter === false) return Math.round(raw);
  return Math.round(raw / 2 + (raw / 2) * random());
}
