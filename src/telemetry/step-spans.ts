import type { ModelTurn, ToolCallRecord } from "../agent/model-call.js";
import { modelTurnOf } from "../agent/run-usage.js";
import type { AttributeValue } from "./span-record.js";

/** How a step of a run is shown in a trace: its span's name, kind and GenAI attributes. */
export interface StepShape {
  name: string;
  kind: "internal" | "client";
  attributes: Record<string, AttributeValue>;
}

/** What the tracer knows of the run a step belongs to. */
export interface RunFacts {
  agent: boolean;
  workflow: string;
  /** The agent's model as `provider:model`, when known (for a model call that failed). */
  model?: string;
  /** The agent's session: the GenAI conversation. */
  conversation?: string;
  /** Tool calls the last model call asked for that have not run yet, oldest first. */
  pending: ToolCallRecord[];
}

const MODEL_STEP = /^(model|turn)(#\d+)?$/;
const TOOL_STEP = /^(tool|agent)\.(.+?)(#\d+)?$/;
const APPROVAL_STEP = /^approve\.(.+?)(#\d+)?$/;

/** Splits `provider:model` into its two GenAI attributes. */
function modelAttributes(key: string | undefined): Record<string, AttributeValue> {
  if (key === undefined) return {};
  const colon = key.indexOf(":");
  return colon < 0
    ? { "gen_ai.request.model": key }
    : { "gen_ai.provider.name": key.slice(0, colon), "gen_ai.request.model": key.slice(colon + 1) };
}

/**
 * The shape of a step's span: `chat {model}` for an agent's model call, `execute_tool {name}`
 * for a tool call (or a sub-agent, a tool too), `step {id}` for anything else. A tool call's id
 * is taken from the tool calls the last model call asked for (`facts.pending`), which it uses up.
 */
export function stepShape(
  facts: RunFacts,
  stepId: string,
  kind: string,
  output: unknown,
  content: (value: unknown) => string | undefined,
): StepShape {
  const common: Record<string, AttributeValue> = { "cairn.step.id": stepId, "cairn.step.kind": kind };
  if (facts.conversation !== undefined) common["gen_ai.conversation.id"] = facts.conversation;
  if (facts.agent) {
    common["gen_ai.agent.name"] = facts.workflow;
    if (MODEL_STEP.test(stepId)) return chatShape(facts, modelTurnOf(output), common, content);
    const tool = TOOL_STEP.exec(stepId);
    if (tool) {
      const name = tool[2]!;
      const at = facts.pending.findIndex((c) => c.name === name);
      const call = at < 0 ? undefined : facts.pending.splice(at, 1)[0];
      const args = call === undefined ? undefined : content(call.input);
      const result = content(output);
      return {
        name: `execute_tool ${name}`,
        kind: "internal",
        attributes: {
          ...common,
          "gen_ai.operation.name": "execute_tool",
          "gen_ai.tool.name": name,
          "gen_ai.tool.type": tool[1] === "agent" ? "agent" : "function",
          ...(call ? { "gen_ai.tool.call.id": call.id } : {}),
          ...(args !== undefined ? { "gen_ai.tool.call.arguments": args } : {}),
          ...(result !== undefined ? { "gen_ai.tool.call.result": result } : {}),
        },
      };
    }
    const approval = APPROVAL_STEP.exec(stepId);
    if (approval) {
      const call = facts.pending.find((c) => c.name === approval[1]);
      if (call) common["gen_ai.tool.call.id"] = call.id;
      common["gen_ai.tool.name"] = approval[1]!;
    }
  }
  return { name: `step ${stepId}`, kind: "internal", attributes: common };
}

function chatShape(
  facts: RunFacts,
  turn: ModelTurn | undefined,
  common: Record<string, AttributeValue>,
  content: (value: unknown) => string | undefined,
): StepShape {
  const model = turn?.model ?? facts.model;
  const attributes: Record<string, AttributeValue> = {
    ...common,
    "gen_ai.operation.name": "chat",
    ...modelAttributes(model),
  };
  if (turn !== undefined) {
    // The calls it asks for run next, as tool steps: their spans take these ids.
    facts.pending = [...turn.toolCalls];
    const name = modelAttributes(turn.model)["gen_ai.request.model"];
    if (name !== undefined) attributes["gen_ai.response.model"] = name;
    attributes["gen_ai.response.finish_reasons"] = [turn.finishReason];
    attributes["gen_ai.usage.input_tokens"] = turn.usage.input;
    attributes["gen_ai.usage.output_tokens"] = turn.usage.output;
    if (turn.usage.cached > 0) attributes["gen_ai.usage.cache_read.input_tokens"] = turn.usage.cached;
    if (turn.cost !== null) attributes["cairn.cost_usd"] = turn.cost;
    if (turn.resent) attributes["cairn.model_call.resent"] = true;
    const messages = content([
      {
        role: "assistant",
        parts: [
          ...(turn.text ? [{ type: "text", content: turn.text }] : []),
          ...turn.toolCalls.map((c) => ({ type: "tool_call", id: c.id, name: c.name, arguments: c.input })),
        ],
        finish_reason: turn.finishReason,
      },
    ]);
    if (messages !== undefined) attributes["gen_ai.output.messages"] = messages;
  }
  const spanName = attributes["gen_ai.request.model"];
  return { name: spanName === undefined ? "chat" : `chat ${String(spanName)}`, kind: "client", attributes };
}
