import type { Duration } from "../shared/duration.js";
import { toMs } from "../shared/duration.js";
import { ErrorCode, InputError } from "../shared/errors.js";

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

/** Throws an InputError naming `what` for backoff options that give no usable delay. */
export function checkBackoff(options: BackoffOptions | undefined, what: string): void {
  if (options === undefined) return;
  if (options.initial !== undefined) toMs(options.initial, `${what} backoff.initial`);
  if (options.max !== undefined) toMs(options.max, `${what} backoff.max`);
  const factor = options.factor;
  if (factor !== undefined && (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1)) {
    throw new InputError(
      ErrorCode.InvalidInput,
      `${what} backoff.factor: ${String(factor)} is not a number >= 1`,
    );
  }
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
