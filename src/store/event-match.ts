import { ErrorCode, InputError } from "../shared/errors.js";

/**
 * Whether an event satisfies a wait's `match`: every key is a dot path into the event
 * (`name`, `id`, `data.…`) and its value must equal the given one (compared as JSON). A path the
 * event does not have never matches, whatever the expected value: a missing key is no wildcard.
 */
export function eventMatches(
  event: { id: string; name: string; data: unknown },
  match: Record<string, unknown> | null,
): boolean {
  if (match === null) return true;
  for (const [path, expected] of Object.entries(match)) {
    let cursor: unknown = event;
    for (const key of path.split(".")) {
      if (typeof cursor !== "object" || cursor === null) {
        cursor = undefined;
        break;
      }
      cursor = (cursor as Record<string, unknown>)[key];
    }
    if (cursor === undefined || expected === undefined) return false;
    if (JSON.stringify(cursor) !== JSON.stringify(expected)) return false;
  }
  return true;
}

/**
 * What is wrong with a wait's `match`, or undefined when every value can be compared: a value
 * JSON would drop or change (undefined, a function, a symbol, a BigInt, NaN or Infinity) would
 * otherwise turn that key into a wildcard, and the wait would take events meant for other runs.
 */
export function matchProblem(match: unknown): string | undefined {
  if (typeof match !== "object" || match === null || Array.isArray(match)) {
    return `match must be an object of dot paths and values, not ${describe(match)}`;
  }
  const walk = (value: unknown, path: string): string | undefined => {
    switch (typeof value) {
      case "undefined":
      case "function":
      case "symbol":
      case "bigint":
        return `match["${path}"] is ${describe(value)}`;
      case "number":
        return Number.isFinite(value) ? undefined : `match["${path}"] is ${value}`;
      case "object": {
        if (value === null || value instanceof Date) return undefined;
        const proto = Object.getPrototypeOf(value) as unknown;
        if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
          return `match["${path}"] is a ${name}, which JSON cannot compare`;
        }
        const entries = Array.isArray(value)
          ? value.map((v, i) => [String(i), v] as const)
          : Object.entries(value);
        for (const [k, v] of entries) {
          const found = walk(v, Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`);
          if (found) return found;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  };
  for (const [key, value] of Object.entries(match)) {
    const found = walk(value, key);
    if (found) return found;
  }
  return undefined;
}

/** A wait's match as stored; refuses one that would match events it was not meant for. */
export function matchJson(match: Record<string, unknown> | undefined, where: string): string | null {
  if (match === undefined) return null;
  const problem = matchProblem(match);
  if (problem !== undefined) throw invalidMatch(where, problem);
  return JSON.stringify(match);
}

export function invalidMatch(where: string, problem: string): InputError {
  return new InputError(
    ErrorCode.InvalidInput,
    `${where}: ${problem}; a match value must be plain JSON (a string, number, boolean, null, or an ` +
      `object or array of those). An undefined value usually means a misspelled field: check it, or ` +
      `leave the key out to accept any value`,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (typeof value === "bigint") return "a BigInt";
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value;
}
