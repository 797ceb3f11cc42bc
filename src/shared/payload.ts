import { CorruptPayloadError, PayloadTooLargeError, UnserializableError } from "./errors.js";

/** A JSON value as Cairn stores it. `undefined` at the top level means "no value" (a void step). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value already turned into JSON text, with its size, ready for the store. */
export interface EncodedPayload {
  /** JSON text, or undefined for a step that returned nothing. */
  readonly text: string | undefined;
  readonly bytes: number;
  /**
   * True when JSON changed the value on the way (a `toJSON` ran, e.g. a Date became a string, or
   * an undefined property was dropped): what a replay reads back differs from the value given.
   */
  readonly reshaped?: boolean;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;

const NOT_JSON = new Error("not JSON");

/**
 * Turns a value into JSON text for the journal. Values JSON would silently change (functions,
 * symbols, Maps, Sets, class instances without toJSON, NaN) or cannot hold (cycles, BigInt) are
 * refused with an error naming `label` and the path inside the value.
 */
export function encodePayload(
  value: unknown,
  label: string,
  maxBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): EncodedPayload {
  if (value === undefined) return { text: undefined, bytes: 0 };
  let text: string | undefined;
  let reshaped = false;
  let tooDeep = false;
  try {
    text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      if (!isPlainJson(v) || (v === undefined && Array.isArray(this))) throw NOT_JSON;
      // The holder still has the value before toJSON: a difference, or a dropped undefined, is a
      // value that reads back otherwise. One comparison per node, on the hot path of every step.
      if (v === undefined || this[key] !== v) reshaped = true;
      return v;
    });
  } catch (err) {
    text = undefined;
    // The stack ran out: thousands of levels of nesting, which walking it to describe it would
    // run out of again.
    tooDeep = err instanceof RangeError;
  }
  if (tooDeep) {
    throw new UnserializableError(
      `${label}: the value is nested too deeply (thousands of levels of objects and arrays inside each other) to store as JSON; flatten it.`,
    );
  }
  if (text === undefined) {
    throw new UnserializableError(
      `${label}: ${describeProblem(value)}. Return plain JSON data (objects, arrays, strings, numbers, booleans, null).`,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new PayloadTooLargeError(
      `${label}: the value is ${formatBytes(bytes)}, over the ${formatBytes(maxBytes)} payload ceiling. ` +
        `Store large data elsewhere and return a reference, or raise maxPayloadBytes (in cairn.config.ts, or the Engine's options).`,
    );
  }
  return reshaped ? { text, bytes, reshaped } : { text, bytes };
}

/**
 * The value as a replay will return it: `value` itself when JSON kept it as it was (the common,
 * free case), else the value read back from `encoded` (a Date becomes its ISO string), so code
 * sees the same thing before and after a crash.
 */
export function asReplayed<T>(value: T, encoded: EncodedPayload, label: string): T {
  return encoded.reshaped === true ? (decodePayload(encoded.text, label) as T) : value;
}

/** Parses stored JSON text; a row that cannot be read fails with an error naming `label`. */
export function decodePayload(text: string | null | undefined, label: string): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CorruptPayloadError(
      `${label}: the stored payload is not valid JSON (${(cause as Error).message}); this run cannot continue from it`,
      { cause },
    );
  }
}

function isPlainJson(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v);
    case "undefined":
      return true; // dropped inside objects, as JSON does
    case "object": {
      // toJSON has already run, so a Date arrives here as its ISO string.
      if (v === null || Array.isArray(v)) return true;
      const proto = Object.getPrototypeOf(v) as unknown;
      return proto === Object.prototype || proto === null;
    }
    default:
      return false;
  }
}

/** Walks the value to name the first thing JSON cannot hold faithfully. */
function describeProblem(value: unknown): string {
  const seen = new Set<object>();
  const walk = (raw: unknown, path: string, key: string): string | undefined => {
    let v = raw;
    // JSON.stringify calls toJSON first (a Date becomes its ISO string): judge what it returns.
    if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") {
      try {
        v = (v as { toJSON(key: string): unknown }).toJSON(key);
      } catch (err) {
        return `${path}.toJSON() threw (${(err as Error).message})`;
      }
    }
    if (typeof v === "function") return `${path} is a function`;
    if (typeof v === "symbol") return `${path} is a symbol`;
    if (typeof v === "bigint") return `${path} is a BigInt (store it as a string)`;
    if (typeof v === "number" && !Number.isFinite(v)) return `${path} is ${v}`;
    if (typeof v !== "object" || v === null) return undefined;
    if (seen.has(v)) return `${path} refers back to itself (a cycle)`;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (v[i] === undefined) return `${path}[${i}] is undefined (JSON would turn it into null)`;
        const found = walk(v[i], `${path}[${i}]`, String(i));
        if (found) return found;
      }
    } else {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "object";
        return `${path} is a ${name}, which JSON cannot hold faithfully`;
      }
      for (const [k, child] of Object.entries(v)) {
        const found = walk(child, `${path}.${k}`, k);
        if (found) return found;
      }
    }
    seen.delete(v);
    return undefined;
  };
  return walk(value, "value", "") ?? "the value cannot be stored as JSON";
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
