import { InputError, ErrorCode } from "./errors.js";

/** A duration: milliseconds, or a string such as "500ms", "10s", "5m", "2h", "1d", "1w", "1h30m". */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * The longest duration Cairn takes (a sleep, a timeout, a retry delay): a million days, about
 * 2,700 years. Any time now plus this is a valid date, and fits every store exactly.
 */
export const MAX_DURATION_MS = 1_000_000 * UNIT_MS.d!;
export const MAX_DURATION_TEXT = "1000000d";

/** The latest time Cairn takes (a `sleepUntil`): JavaScript's last date, +275760-09-13. */
export const MAX_TIME_MS = 8_640_000_000_000_000;

/** The longest a timer in this process can wait (2^31 - 1 ms, about 24.8 days): a step timeout. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Parses a duration to milliseconds; throws an InputError naming `what` when it is not one, or
 * when it is longer than `maxMs` (default MAX_DURATION_MS).
 */
export function toMs(duration: Duration, what = "duration", maxMs = MAX_DURATION_MS): number {
  let ms: number;
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new InputError(
        ErrorCode.InvalidInput,
        `${what}: ${duration} is not a duration (use ms >= 0 or "10m")`,
      );
    }
    ms = duration;
  } else {
    const text = String(duration).trim();
    const parts = text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g);
    let total = 0;
    let consumed = "";
    for (const [whole, amount, unit] of parts) {
      total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
      consumed += whole;
    }
    if (consumed.replace(/\s/g, "") !== text.replace(/\s/g, "") || text === "" || !Number.isFinite(total)) {
      throw new InputError(
        ErrorCode.InvalidInput,
        `${what}: "${duration}" is not a duration (examples: "500ms", "10s", "5m", "2h", "1d")`,
      );
    }
    ms = Math.round(total);
  }
  if (ms > maxMs) {
    throw new InputError(
      ErrorCode.InvalidInput,
      `${what}: ${typeof duration === "number" ? duration : `"${duration}"`} is longer than the largest allowed, ${describeMs(maxMs)}`,
    );
  }
  return ms;
}

/**
 * A point in time as ms since the epoch (a Date, ms, or an ISO date string); throws an
 * InputError naming `what` when it is not one, or is later than MAX_TIME_MS.
 */
export function toTime(value: Date | number | string, what: string): number {
  const t = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (typeof t !== "number" || !Number.isFinite(t))
    throw new InputError(ErrorCode.InvalidInput, `${what}: ${String(value)} is not a date`);
  if (t > MAX_TIME_MS) {
    throw new InputError(
      ErrorCode.InvalidInput,
      `${what}: ${String(value)} is later than the latest date allowed, ${new Date(MAX_TIME_MS).toISOString()}`,
    );
  }
  return t;
}

function describeMs(ms: number): string {
  if (ms === MAX_DURATION_MS) return `${MAX_DURATION_TEXT} (about 2,700 years)`;
  if (ms === MAX_TIMER_MS) return `${MAX_TIMER_MS} ms (about 24 days)`;
  return `${ms} ms`;
}
