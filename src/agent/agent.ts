import type { Workflow } from "../engine/workflow.js";
import { workflow } from "../engine/workflow.js";
import { ConfigError } from "../shared/errors.js";
import { runAgentLoop } from "./agent-loop.js";
import type { ModelSpec } from "./models.js";
import type { Tool } from "./tool.js";
import { isTool } from "./tool.js";
import type { Price, Usage } from "./usage.js";

const AGENT = Symbol.for("cairn.agent");

export interface AgentOptions {
  name: string;
  /** The system prompt. */
  instructions: string;
  model: ModelSpec;
  tools?: Record<string, Tool>;
  /** Model calls before the run stops without an answer. Default 20. */
  maxTurns?: number;
  /**
   * "calls" (default): every model call and every tool call is its own step. "turn": a model call
   * and the tool calls it asks for form one step (fewer rows; a crash repeats the whole turn).
   */
  checkpoint?: "calls" | "turn";
  /** Stop the run once it has used this many tokens or this much money (USD), across sub-agents. */
  budget?: { tokens?: number; costUsd?: number };
  /** Prices per `provider:model`, overriding the built-in table. */
  prices?: Record<string, Price>;
  /** Retries of a failing model call (429s, 5xx, timeouts). Default 6. */
  modelRetries?: number;
  /** Consecutive tool calls with unusable arguments before the run stops. Default 3. */
  maxInvalidToolCalls?: number;
  /** The same tool called with the same arguments this many turns in a row is a loop. Default 3. */
  loopLimit?: number;
}

/** What an agent run takes: a message (and, later, a session and a user). */
export interface AgentInput {
  message: string;
}

export interface AgentResult {
  text: string;
  turns: number;
  usage: Usage;
  /** USD; null when a model in the run has no known price. */
  cost: number | null;
}

export interface Agent {
  readonly name: string;
  readonly options: AgentOptions;
  /** The durable workflow that runs this agent (its id is the agent's name). */
  readonly workflow: Workflow<AgentInput, AgentResult>;
  readonly [AGENT]: true;
}

/**
 * Defines a durable agent: a model, instructions and tools, run as a workflow whose every model
 * call and tool call is a checkpoint.
 *
 * @example
 * const poster = agent({
 *   name: "poster",
 *   instructions: "You write and post short updates.",
 *   model: "openai:gpt-4.1-mini",
 *   tools: { post },
 * });
 */
export function agent(options: AgentOptions): Agent {
  if (typeof options?.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.name)) {
    throw new ConfigError(
      `agent name ${JSON.stringify(options?.name)} is not valid: use letters, digits, ".", "_" or "-"`,
    );
  }
  const where = `agent "${options.name}"`;
  if (typeof options.instructions !== "string")
    throw new ConfigError(`${where}: instructions must be a string`);
  if (options.model === undefined)
    throw new ConfigError(`${where}: a model is required, e.g. "openai:gpt-4.1-mini"`);
  for (const [name, t] of Object.entries(options.tools ?? {})) {
    if (!isTool(t))
      throw new ConfigError(`${where}: tools.${name} is not a tool; create it with tool({ ... })`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name))
      throw new ConfigError(`${where}: tool name "${name}" must match [a-zA-Z0-9_-]{1,64}`);
  }
  if (options.checkpoint !== undefined && options.checkpoint !== "calls" && options.checkpoint !== "turn") {
    throw new ConfigError(`${where}: checkpoint must be "calls" or "turn"`);
  }
  const wf = workflow<AgentInput, AgentResult>(options.name, (ctx) => runAgentLoop(options, ctx), {
    input: { parse: (value) => parseAgentInput(value, where) },
  });
  return Object.freeze({ name: options.name, options, workflow: wf, [AGENT]: true as const });
}

export function isAgent(value: unknown): value is Agent {
  return typeof value === "object" && value !== null && AGENT in value;
}

function parseAgentInput(value: unknown, where: string): AgentInput {
  if (typeof value === "string") return { message: value };
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { message?: unknown }).message === "string"
  ) {
    return value as AgentInput;
  }
  throw new ConfigError(`${where}: input must be a message string or { message: string }`);
}
