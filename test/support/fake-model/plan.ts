/** Turns a ScriptedTurn into a wire-independent plan of what to send. */
import type { ScriptedTurn } from "./types.js";

export interface PlannedToolCall {
  id: string;
  name: string;
  /** The arguments as they go on the wire: JSON text, or the raw (invalid) text of a malformed call. */
  argsText: string;
  /** False for a malformed call, whose `argsText` is not JSON. */
  validJson: boolean;
}

export interface Completion {
  text: string;
  toolCalls: PlannedToolCall[];
  usage: { input: number; output: number; cached: number };
  chunkSize: number;
}

export type Plan =
  | { kind: "complete"; completion: Completion; cutAfterDeltas?: number }
  | { kind: "error"; status: number; message?: string; retryAfter?: number };

export const DEFAULT_USAGE = { input: 10, output: 5, cached: 0 } as const;
export const DEFAULT_CHUNK_SIZE = 4;

/** Splits `s` into pieces of `size` characters (code points, so surrogate pairs stay whole). */
export function chunk(s: string, size: number): string[] {
  const chars = Array.from(s);
  const out: string[] = [];
  const n = Math.max(1, Math.floor(size));
  for (let i = 0; i < chars.length; i += n) out.push(chars.slice(i, i + n).join(""));
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A plan for one response. `toolIdPrefix` gives generated tool-call ids their provider's look
 * (`call_` for OpenAI, `toolu_` for Anthropic); `seq` is the request number, to keep ids unique.
 * A `delayMs` turn must have been unwrapped by the caller. Throws on a turn of unknown shape.
 */
export function planTurn(turn: ScriptedTurn, toolIdPrefix: string, seq: number): Plan {
  const t: unknown = turn;
  if (!isObject(t)) throw new Error(`scripted turn is not an object: ${JSON.stringify(t)}`);
  const toolId = (i: number, id?: string): string => id ?? `${toolIdPrefix}fake_${seq}_${i}`;
  if ("delayMs" in t) throw new Error("planTurn: unwrap delayMs turns first");
  if ("error" in t) {
    const e = t.error;
    if (!isObject(e) || typeof e.status !== "number")
      throw new Error("scripted error turn needs a numeric status");
    return {
      kind: "error",
      status: e.status,
      message: typeof e.message === "string" ? e.message : undefined,
      retryAfter: typeof e.retryAfter === "number" ? e.retryAfter : undefined,
    };
  }
  if ("malformedToolCall" in t) {
    const m = t.malformedToolCall;
    if (!isObject(m) || typeof m.name !== "string" || typeof m.rawArgs !== "string") {
      throw new Error("malformedToolCall needs a string name and rawArgs");
    }
    const call = { id: toolId(0), name: m.name, argsText: m.rawArgs, validJson: false };
    return { kind: "complete", completion: completion("", [call], undefined, undefined) };
  }
  if ("cutAfterChunks" in t) {
    if (typeof t.cutAfterChunks !== "number" || typeof t.text !== "string") {
      throw new Error("a cut turn needs a numeric cutAfterChunks and a string text");
    }
    return {
      kind: "complete",
      completion: completion(t.text, [], undefined, undefined),
      cutAfterDeltas: t.cutAfterChunks,
    };
  }
  const text = t.text === undefined ? "" : t.text;
  if (typeof text !== "string") throw new Error("scripted text must be a string");
  const rawCalls = t.toolCalls === undefined ? [] : t.toolCalls;
  if (!Array.isArray(rawCalls)) throw new Error("scripted toolCalls must be an array");
  const calls = rawCalls.map((c: unknown, i): PlannedToolCall => {
    if (!isObject(c) || typeof c.name !== "string") throw new Error("a scripted tool call needs a name");
    const id = typeof c.id === "string" ? c.id : undefined;
    return { id: toolId(i, id), name: c.name, argsText: JSON.stringify(c.args ?? {}), validJson: true };
  });
  return { kind: "complete", completion: completion(text, calls, t.usage, t.chunkSize) };
}

function completion(
  text: string,
  toolCalls: PlannedToolCall[],
  usage: unknown,
  chunkSize: unknown,
): Completion {
  const u = isObject(usage) ? usage : {};
  const num = (v: unknown, d: number): number => (typeof v === "number" ? v : d);
  return {
    text,
    toolCalls,
    usage: {
      input: num(u.input, DEFAULT_USAGE.input),
      output: num(u.output, DEFAULT_USAGE.output),
      cached: num(u.cached, DEFAULT_USAGE.cached),
    },
    chunkSize: num(chunkSize, DEFAULT_CHUNK_SIZE),
  };
}
