import type { LanguageModelUsage, ModelMessage, ToolSet } from "ai";
import { streamText, tool as aiTool } from "ai";
import type { StepRunContext } from "../engine/step.js";
import { classifyModelError } from "./model-errors.js";
import type { ResolvedModel } from "./models.js";
import type { Tool } from "./tool.js";
import type { Price, Usage } from "./usage.js";
import { costOf } from "./usage.js";

/** A tool call the model asked for. `invalid` says why its arguments could not be used. */
export interface ToolCallRecord {
  id: string;
  name: string;
  input: unknown;
  invalid?: string;
}

/** One model call, as the journal keeps it: the model's message, its tool calls, usage and cost. */
export interface ModelTurn {
  text: string;
  toolCalls: ToolCallRecord[];
  /** The assistant message(s) to append to the conversation, as the AI SDK reports them. */
  messages: ModelMessage[];
  finishReason: string;
  usage: Usage;
  model: string;
  /** USD, or null when the model has no known price. */
  cost: number | null;
  /** This call was sent again because a crash cut off an earlier attempt (whose tokens are unknown). */
  resent?: true;
}

export interface ModelCall {
  model: ResolvedModel;
  system: string;
  messages: ModelMessage[];
  tools: Record<string, Tool>;
  price: Price | undefined;
  ctx: StepRunContext;
  /** This call re-sends one a crash cut off (see call-intent.ts). */
  resent: boolean;
}

/** Calls the model once, streaming its text deltas to the step's progress listeners. */
export async function callModel(call: ModelCall): Promise<ModelTurn> {
  const { ctx } = call;
  const tools: ToolSet = {};
  for (const [name, t] of Object.entries(call.tools)) {
    tools[name] = aiTool({ description: t.description, inputSchema: t.input });
  }
  let failure: unknown;
  const result = streamText({
    model: call.model.model,
    system: call.system,
    messages: call.messages,
    tools,
    maxRetries: 0, // Cairn retries durably, with the journal's backoff
    abortSignal: ctx.signal,
    onError: ({ error }) => {
      failure ??= error;
    },
  });
  let text = "";
  const toolCalls: ToolCallRecord[] = [];
  let usage: LanguageModelUsage | undefined;
  let finishReason = "unknown";
  try {
    // Everything comes from the one stream; the result's other getters would each re-read it.
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") {
        text += part.text;
        ctx.progress({ type: "text-delta", text: part.text });
      } else if (part.type === "tool-call") {
        toolCalls.push({
          id: part.toolCallId,
          name: part.toolName,
          input: part.input as unknown,
          ...(part.dynamic && part.invalid ? { invalid: errorText(part.error) } : {}),
        });
      } else if (part.type === "finish") {
        usage = part.totalUsage;
        finishReason = part.finishReason;
      } else if (part.type === "error") {
        failure ??= part.error;
      }
    }
    if (failure !== undefined) throw failure;
    const response = await result.response;
    const used: Usage = {
      input: usage?.inputTokens ?? 0,
      output: usage?.outputTokens ?? 0,
      cached: usage?.inputTokenDetails?.cacheReadTokens ?? 0,
    };
    return {
      text,
      toolCalls,
      // Only the assistant's message: the SDK also answers invalid tool calls with its own tool
      // error message, and the loop sends exactly one result per call itself.
      messages: JSON.parse(
        JSON.stringify(response.messages.filter((m) => m.role === "assistant")),
      ) as ModelMessage[],
      finishReason,
      usage: used,
      model: call.model.key,
      cost: costOf(used, call.price),
      ...(call.resent ? { resent: true as const } : {}),
    };
  } catch (err) {
    throw classifyModelError(failure ?? err, call.model.key);
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === "string" ? err : JSON.stringify(err);
}
