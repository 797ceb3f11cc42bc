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

/** Parses a duration to milliseconds; throws an InputError naming `what` when it is not one. */
export function toMs(duration: Duration, what = "duration"): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new InputError(
        ErrorCode.InvalidInput,
        `${what}: ${duration} is not a duration (use ms >= 0 or "10m")`,
      );
    }
    return duration;
  }
  const text = duration.trim();
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
  return Math.round(total);
}
