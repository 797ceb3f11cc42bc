/**
 * OpenAI Chat Completions, `POST /v1/chat/completions`, as @ai-sdk/openai's chat model parses it
 * (`openaiChatChunkSchema` / `openaiChatResponseSchema` in node_modules/@ai-sdk/openai/dist/index.mjs).
 *
 * Stream: `data: {chat.completion.chunk}` events; the first carries `role`; text in `delta.content`;
 * a tool call starts with `{index, id, type: "function", function: {name, arguments: ""}}` and its
 * arguments follow in pieces under the same `index`; then a chunk with `finish_reason`, then (with
 * `stream_options.include_usage`) a chunk with `choices: []` and `usage`, then `data: [DONE]`.
 */
import { chunk, type Completion } from "./plan.js";
import { openaiErrorBody } from "./openai-errors.js";
import { sse, type Frame, type ResponseContext, type WireFormat } from "./wire.js";

function usage(c: Completion) {
  return {
    prompt_tokens: c.usage.input,
    completion_tokens: c.usage.output,
    total_tokens: c.usage.input + c.usage.output,
    prompt_tokens_details: { cached_tokens: c.usage.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const finishReason = (c: Completion) => (c.toolCalls.length > 0 ? "tool_calls" : "stop");

function stream(c: Completion, ctx: ResponseContext): Frame[] {
  const head = {
    id: `chatcmpl-fake${ctx.seq}`,
    object: "chat.completion.chunk",
    created: ctx.created,
    model: ctx.model,
    system_fingerprint: "fp_fake",
  };
  const frames: Frame[] = [];
  let first = true;
  const delta = (d: Record<string, unknown>, textDelta = false, finish: string | null = null) => {
    const withRole = first ? { role: "assistant", ...d } : d;
    first = false;
    frames.push(
      sse(
        { ...head, choices: [{ index: 0, delta: withRole, logprobs: null, finish_reason: finish }] },
        undefined,
        textDelta,
      ),
    );
  };
  for (const piece of chunk(c.text, c.chunkSize)) delta({ content: piece }, true);
  c.toolCalls.forEach((call, index) => {
    delta({
      ...(first ? { content: null } : {}),
      tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
    });
    for (const piece of chunk(call.argsText, c.chunkSize)) {
      delta({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  delta({}, false, finishReason(c));
  const options = ctx.body.stream_options;
  const includeUsage =
    typeof options === "object" &&
    options !== null &&
    (options as { include_usage?: unknown }).include_usage === true;
  if (includeUsage) frames.push(sse({ ...head, choices: [], usage: usage(c) }));
  frames.push(sse("[DONE]"));
  return frames;
}

function json(c: Completion, ctx: ResponseContext): unknown {
  const toolCalls = c.toolCalls.map((call) => ({
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: call.argsText },
  }));
  return {
    id: `chatcmpl-fake${ctx.seq}`,
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: c.text.length > 0 || toolCalls.length === 0 ? c.text : null,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          annotations: [],
        },
        logprobs: null,
        finish_reason: finishReason(c),
      },
    ],
    usage: usage(c),
    system_fingerprint: "fp_fake",
  };
}

export const openaiChat: WireFormat = {
  api: "openai-chat",
  path: "/v1/chat/completions",
  toolIdPrefix: "call_",
  stream,
  json,
  error: openaiErrorBody,
};
