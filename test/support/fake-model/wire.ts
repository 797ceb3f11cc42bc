/** What each provider module implements: the response bodies and SSE frames of one API. */
import type { Completion } from "./plan.js";
import type { ApiName } from "./types.js";

export interface ResponseContext {
  /** Request number (1-based), used in generated ids. */
  seq: number;
  /** The `model` of the request, echoed back. */
  model: string;
  /** Unix seconds. */
  created: number;
  /** The parsed request body (an empty object when it was not a JSON object). */
  body: Record<string, unknown>;
}

/** One SSE event, already encoded. `textDelta` marks the frames a cut turn counts. */
export interface Frame {
  data: string;
  textDelta?: boolean;
}

export interface WireFormat {
  api: ApiName;
  /** The request path, e.g. "/v1/chat/completions". */
  path: string;
  /** Prefix of generated tool-call ids. */
  toolIdPrefix: string;
  stream(c: Completion, ctx: ResponseContext): Frame[];
  json(c: Completion, ctx: ResponseContext): unknown;
  /** The provider's error body for an HTTP error status. */
  error(status: number, message: string | undefined): unknown;
}

/** `event: name` (when given) and `data: json`, as one SSE event. */
export function sse(payload: unknown, event?: string, textDelta?: boolean): Frame {
  const data = typeof payload === "string" ? payload : JSON.stringify(payload);
  return { data: `${event === undefined ? "" : `event: ${event}\n`}data: ${data}\n\n`, textDelta };
}
