/**
 * Anthropic Messages, `POST /v1/messages`, as @ai-sdk/anthropic parses it
 * (`anthropicMessagesChunkSchema` / `anthropicMessagesResponseSchema` in node_modules/@ai-sdk/anthropic/dist/index.mjs).
 *
 * Stream: `event: <type>` + `data: {type, …}`: message_start (usage.input_tokens and cache fields), ping;
 * per block: content_block_start (`text` with text "", or `tool_use` with id, name, input {}),
 * content_block_delta (`text_delta` / `input_json_delta` with partial_json), content_block_stop; then
 * message_delta (stop_reason, usage.output_tokens) and message_stop.
 *
 * Anthropic's `input_tokens` excludes cache reads (the SDK adds `cache_read_input_tokens` back to get its
 * total), so a scripted `usage.input` (cached included) goes out as `input_tokens: input - cached`.
 */
import { chunk, type Completion } from "./plan.js";
import { sse, type Frame, type ResponseContext, type WireFormat } from "./wire.js";

const ANTHROPIC_ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: "invalid_request_error", message: "Invalid request." },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  403: {
    type: "permission_error",
    message: "Your API key does not have permission to use the specified resource.",
  },
  404: { type: "not_found_error", message: "The requested resource could not be found." },
  413: { type: "request_too_large", message: "Request exceeds the maximum allowed number of bytes." },
  429: { type: "rate_limit_error", message: "Number of requests has exceeded your rate limit." },
  500: { type: "api_error", message: "Internal server error" },
  529: { type: "overloaded_error", message: "Overloaded" },
};

function errorBody(status: number, message: string | undefined): unknown {
  const known = ANTHROPIC_ERRORS[status] ?? ANTHROPIC_ERRORS[status >= 500 ? 500 : 400]!;
  return { type: "error", error: { type: known.type, message: message ?? known.message } };
}

const stopReason = (c: Completion) => (c.toolCalls.length > 0 ? "tool_use" : "end_turn");

function inputUsage(c: Completion) {
  return {
    input_tokens: Math.max(0, c.usage.input - c.usage.cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: c.usage.cached,
  };
}

function stream(c: Completion, ctx: ResponseContext): Frame[] {
  const frames: Frame[] = [];
  const event = (type: string, fields: Record<string, unknown>, textDelta = false) =>
    frames.push(sse({ type, ...fields }, type, textDelta));
  event("message_start", {
    message: {
      id: `msg_fake${ctx.seq}`,
      type: "message",
      role: "assistant",
      model: ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...inputUsage(c), output_tokens: 1 },
    },
  });
  event("ping", {});
  let index = 0;
  if (c.text.length > 0) {
    event("content_block_start", { index, content_block: { type: "text", text: "" } });
    for (const piece of chunk(c.text, c.chunkSize)) {
      event("content_block_delta", { index, delta: { type: "text_delta", text: piece } }, true);
    }
    event("content_block_stop", { index });
    index++;
  }
  for (const call of c.toolCalls) {
    event("content_block_start", {
      index,
      content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
    });
    for (const piece of chunk(call.argsText, c.chunkSize)) {
      event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
    }
    event("content_block_stop", { index });
    index++;
  }
  event("message_delta", {
    delta: { stop_reason: stopReason(c), stop_sequence: null },
    usage: { output_tokens: c.usage.output },
  });
  event("message_stop", {});
  return frames;
}

function json(c: Completion, ctx: ResponseContext): unknown {
  const content: Record<string, unknown>[] = [];
  if (c.text.length > 0) content.push({ type: "text", text: c.text });
  for (const call of c.toolCalls) {
    // A non-streaming body must be JSON, so a malformed call's raw text goes out as a JSON string.
    const input: unknown = call.validJson ? JSON.parse(call.argsText) : call.argsText;
    content.push({ type: "tool_use", id: call.id, name: call.name, input });
  }
  return {
    id: `msg_fake${ctx.seq}`,
    type: "message",
    role: "assistant",
    model: ctx.model,
    content,
    stop_reason: stopReason(c),
    stop_sequence: null,
    usage: { ...inputUsage(c), output_tokens: c.usage.output },
  };
}

export const anthropic: WireFormat = {
  api: "anthropic",
  path: "/v1/messages",
  toolIdPrefix: "toolu_",
  stream,
  json,
  error: errorBody,
};
