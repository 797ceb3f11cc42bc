/**
 * OpenAI Responses, `POST /v1/responses`, as @ai-sdk/openai's responses model parses it
 * (`openaiResponsesChunkSchema` / `openaiResponsesResponseSchema` in node_modules/@ai-sdk/openai/dist/index.mjs).
 *
 * Stream: `event: <type>` + `data: {type, sequence_number, …}`: response.created, response.in_progress;
 * per message item: response.output_item.added, response.content_part.added, response.output_text.delta…,
 * response.output_text.done, response.content_part.done, response.output_item.done; per function_call item:
 * response.output_item.added (arguments ""), response.function_call_arguments.delta…,
 * response.function_call_arguments.done, response.output_item.done (full arguments); then
 * response.completed with the whole response and its usage. There is no `[DONE]`.
 */
import { chunk, type Completion } from "./plan.js";
import { openaiErrorBody } from "./openai-errors.js";
import { sse, type Frame, type ResponseContext, type WireFormat } from "./wire.js";

function usage(c: Completion) {
  return {
    input_tokens: c.usage.input,
    input_tokens_details: { cached_tokens: c.usage.cached },
    output_tokens: c.usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: c.usage.input + c.usage.output,
  };
}

const messageId = (ctx: ResponseContext) => `msg_fake${ctx.seq}`;
const functionItemId = (ctx: ResponseContext, i: number) => `fc_fake${ctx.seq}_${i}`;

function outputItems(c: Completion, ctx: ResponseContext): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  if (c.text.length > 0) {
    items.push({
      type: "message",
      id: messageId(ctx),
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: c.text, annotations: [], logprobs: [] }],
    });
  }
  c.toolCalls.forEach((call, i) => {
    items.push({
      type: "function_call",
      id: functionItemId(ctx, i),
      call_id: call.id,
      name: call.name,
      arguments: call.argsText,
      status: "completed",
    });
  });
  return items;
}

function response(c: Completion, ctx: ResponseContext, done: boolean): Record<string, unknown> {
  return {
    id: `resp_fake${ctx.seq}`,
    object: "response",
    created_at: ctx.created,
    status: done ? "completed" : "in_progress",
    error: null,
    incomplete_details: null,
    model: ctx.model,
    output: done ? outputItems(c, ctx) : [],
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    usage: done ? usage(c) : null,
  };
}

function stream(c: Completion, ctx: ResponseContext): Frame[] {
  const frames: Frame[] = [];
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>, textDelta = false) =>
    frames.push(sse({ type, sequence_number: sequence++, ...fields }, type, textDelta));
  event("response.created", { response: response(c, ctx, false) });
  event("response.in_progress", { response: response(c, ctx, false) });
  const items = outputItems(c, ctx);
  let outputIndex = 0;
  if (c.text.length > 0) {
    const id = messageId(ctx);
    const at = { item_id: id, output_index: outputIndex, content_index: 0 };
    event("response.output_item.added", {
      output_index: outputIndex,
      item: { type: "message", id, status: "in_progress", role: "assistant", content: [] },
    });
    event("response.content_part.added", { ...at, part: { type: "output_text", text: "", annotations: [] } });
    for (const piece of chunk(c.text, c.chunkSize)) {
      event("response.output_text.delta", { ...at, delta: piece, logprobs: [] }, true);
    }
    event("response.output_text.done", { ...at, text: c.text, logprobs: [] });
    event("response.content_part.done", {
      ...at,
      part: { type: "output_text", text: c.text, annotations: [] },
    });
    event("response.output_item.done", { output_index: outputIndex, item: items[outputIndex] });
    outputIndex++;
  }
  c.toolCalls.forEach((call, i) => {
    const id = functionItemId(ctx, i);
    event("response.output_item.added", {
      output_index: outputIndex,
      item: {
        type: "function_call",
        id,
        call_id: call.id,
        name: call.name,
        arguments: "",
        status: "in_progress",
      },
    });
    for (const piece of chunk(call.argsText, c.chunkSize)) {
      event("response.function_call_arguments.delta", {
        item_id: id,
        output_index: outputIndex,
        delta: piece,
      });
    }
    event("response.function_call_arguments.done", {
      item_id: id,
      output_index: outputIndex,
      arguments: call.argsText,
    });
    event("response.output_item.done", { output_index: outputIndex, item: items[outputIndex] });
    outputIndex++;
  });
  event("response.completed", { response: response(c, ctx, true) });
  return frames;
}

export const openaiResponses: WireFormat = {
  api: "openai-responses",
  path: "/v1/responses",
  toolIdPrefix: "call_",
  stream,
  json: (c, ctx) => response(c, ctx, true),
  error: openaiErrorBody,
};
