import type { Workflow, WorkflowOptions } from "../engine/workflow.js";
import { workflow } from "../engine/workflow.js";
import { AGENT_BRAND } from "../shared/brands.js";
import { ConfigError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { ModelSpec } from "./models.js";
import type { ApprovalSettings, Tool } from "./tool.js";
import { isTool } from "./tool.js";
import type { ToolPolicy } from "./tool-policy.js";
import type { ToolSource } from "./tool-source.js";
import { checkToolSources } from "./tool-source.js";
import { checkToolPolicy } from "./tool-policy.js";
import type { Price, Usage } from "./usage.js";

const AGENT = AGENT_BRAND;

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
   * and the tool calls it asks for form one step (fewer rows; a crash repeats the whole turn),
   * except side-effecting tools that are not idempotent, which run after it as their own steps.
   */
  checkpoint?: "calls" | "turn";
  /**
   * Stop the run once it has used this many tokens or this much money (USD), across sub-agents;
   * or, with `onExceed: "ask"`, pause it for a person to raise the budget.
   */
  budget?: { tokens?: number; costUsd?: number; onExceed?: "fail" | "ask" };
  /** Prices per `provider:model`, overriding the built-in table. */
  prices?: Record<string, Price>;
  /** Retries of a failing model call (429s, 5xx, timeouts). Default 6. */
  modelRetries?: number;
  /** Consecutive tool calls with unusable arguments before the run stops. Default 3. */
  maxInvalidToolCalls?: number;
  /** The same tool called with the same arguments this many turns in a row is a loop. Default 3. */
  loopLimit?: number;
  /**
   * Runs with a `session` share one conversation, kept across runs and restarts. One run per
   * session is in flight at a time, including while it waits (an approval, a retry, a sub-agent,
   * a person's attention); a message that arrives meanwhile is queued (its run starts once the
   * earlier ones ended and sees their turns; the default), interrupts it (it is cancelled and a
   * new run answers both messages), steers it (it sees the message before its next model call),
   * or is rejected.
   */
  session?: {
    onBusy?: "queue" | "interrupt" | "steer" | "reject";
    /**
     * How much of the session a run sends the model: with `maxMessages`, only the latest that
     * many (from a user message on), so a long session stays within the model's context.
     * Default: all of it.
     */
    history?: { maxMessages?: number };
  };
  /** Give the agent a `memory` tool: notes saved per agent and user, across runs. */
  memory?: boolean;
  /** Agents this one can delegate to; each becomes a tool named by its key. */
  agents?: Record<string, Agent>;
  /** How deep delegation may go (a sub-agent's sub-agent is depth 2). Default 3. */
  maxDepth?: number;
  /** Defaults for the approval gates of this agent's tools (`needsApproval`). */
  approvals?: ApprovalSettings;
  /**
   * Decides each tool call from the tool and its arguments: allow, deny (the model is told why) or
   * require a person's approval. Each decision is a step in the run's journal (`policy.<tool>`).
   */
  toolPolicy?: ToolPolicy;
  /**
   * Tools from MCP servers: `mcpServer({...}).tools({ allow: [...] })`. Listed when a run starts
   * (a step, `mcp.<server>`), so a run keeps the tools it started with.
   */
  mcp?: ToolSource[];
  /**
   * The version of this agent's definition, recorded on its runs (see the workflow option
   * `version` and docs/versioning.md). Unset, it is a hash of the definition.
   */
  version?: string;
}

/** What an agent run takes. */
export interface AgentInput {
  message: string;
  /** The conversation this run continues; see AgentOptions.session. */
  session?: string;
  /** Who the agent acts for (memory is kept per user). Default "default". */
  user?: string;
  /** Unanswered messages of runs this one interrupted, answered together with `message`. */
  earlier?: string[];
  /** Delegation depth: 0 for a run started by a person or an app. */
  depth?: number;
  /**
   * Another model (a spec string) or instructions for this run's model calls: how a fork
   * (`cairn runs fork --model/--instructions`) changes an agent from its fork point on.
   */
  override?: { model?: string; instructions?: string };
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
  checkToolPolicy(options.toolPolicy, where);
  checkToolSources(options.mcp, where);
  const maxMessages = options.session?.history?.maxMessages;
  if (maxMessages !== undefined && (!Number.isInteger(maxMessages) || maxMessages < 1))
    throw new ConfigError(`${where}: session.history.maxMessages must be a whole number >= 1`);
  if (options.checkpoint === "turn") {
    const gated =
      Object.entries(options.tools ?? {}).find(([, t]) => t.needsApproval) ??
      options.mcp?.filter((s) => s.gated).map((s) => [s.name] as const)[0];
    if (gated) {
      throw new ConfigError(
        `${where}: tool "${gated[0]}" needs approval, which needs checkpoint "calls" (a turn cannot wait inside a step)`,
      );
    }
  }
  for (const [name, sub] of Object.entries(options.agents ?? {})) {
    if (!isAgent(sub))
      throw new ConfigError(`${where}: agents.${name} is not an agent; create it with agent({ ... })`);
    if (options.tools?.[name] !== undefined)
      throw new ConfigError(`${where}: "${name}" is both a tool and a sub-agent`);
  }
  // The loop (and the AI SDK under it) is loaded when an agent first runs, not when one is defined.
  const wf = workflow<AgentInput, AgentResult>(
    options.name,
    async (ctx) => (await import("./agent-loop.js")).runAgentLoop(options, ctx),
    {
      input: { parse: (value) => parseAgentInput(value, where) },
      ...sessionPolicy(options),
      ...(options.version !== undefined ? { version: options.version } : {}),
      fingerprint: fingerprint(options),
    },
  );
  return Object.freeze({ name: options.name, options, workflow: wf, [AGENT]: true as const });
}

/** What decides an agent's path, for its version hash: every handler of every agent is the same loop. */
function fingerprint(options: AgentOptions): unknown {
  const { tools, agents, model, ...rest } = options;
  return {
    ...rest,
    model: typeof model === "string" ? model : `${model.provider}:${model.modelId}`,
    tools: Object.entries(tools ?? {}).map(([name, t]) => ({
      name,
      description: t.description,
      execute: String((t as { execute: unknown }).execute),
      retries: t.retries,
      sideEffect: t.sideEffect,
      idempotent: t.idempotent,
      needsApproval: typeof t.needsApproval === "function" ? String(t.needsApproval) : t.needsApproval,
    })),
    agents: Object.keys(agents ?? {}),
  };
}

export function isAgent(value: unknown): value is Agent {
  return typeof value === "object" && value !== null && AGENT in value;
}

/** Checks an agent's input by hand: zod would cost every process that defines an agent ~35 ms. */
function parseAgentInput(value: unknown, where: string): AgentInput {
  const input = typeof value === "string" ? { message: value } : value;
  const issues: string[] = [];
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    issues.push("input: expected an object");
  } else {
    const i = input as Record<string, unknown>;
    if (typeof i.message !== "string") issues.push("message: expected a string");
    for (const key of ["session", "user"] as const) {
      const v = i[key];
      if (v !== undefined && (typeof v !== "string" || v.length < 1 || v.length > 200))
        issues.push(`${key}: expected a string of 1 to 200 characters`);
    }
    if (
      i.earlier !== undefined &&
      (!Array.isArray(i.earlier) || i.earlier.some((m) => typeof m !== "string"))
    )
      issues.push("earlier: expected an array of strings");
    if (i.depth !== undefined && (typeof i.depth !== "number" || !Number.isInteger(i.depth) || i.depth < 0))
      issues.push("depth: expected a whole number >= 0");
    const o = i.override as Record<string, unknown> | undefined;
    if (
      o !== undefined &&
      (typeof o !== "object" ||
        o === null ||
        Object.keys(o).some((k) => k !== "model" && k !== "instructions") ||
        (o.model !== undefined && (typeof o.model !== "string" || o.model === "")) ||
        (o.instructions !== undefined && typeof o.instructions !== "string"))
    )
      issues.push("override: expected { model?: a model spec, instructions?: a string }");
    if (issues.length === 0) {
      // Only the known fields, as the schema this replaces returned them.
      const parsed: AgentInput = { message: i.message as string };
      if (i.session !== undefined) parsed.session = i.session as string;
      if (i.user !== undefined) parsed.user = i.user as string;
      if (i.earlier !== undefined) parsed.earlier = i.earlier as string[];
      if (i.depth !== undefined) parsed.depth = i.depth as number;
      if (o !== undefined) parsed.override = o;
      return parsed;
    }
  }
  throw new ConfigError(
    `${where}: input must be a message string or { message, session?, user? } (${issues.join("; ")})`,
  );
}

/**
 * One run per session at a time, by the engine's singleton keys: a session's runs take turns in
 * the order they were started, and a run that waits (approval, retry, sub-agent) keeps its turn.
 */
function sessionPolicy(options: AgentOptions): Pick<WorkflowOptions<AgentInput>, "singleton"> {
  // A run without a session gets a key of its own, so it never waits for another.
  const key = (i: AgentInput) => (i.session !== undefined ? `session:${i.session}` : newId("solo"));
  switch (options.session?.onBusy ?? "queue") {
    case "queue":
      return { singleton: { key, mode: "queue" } };
    case "interrupt":
      return { singleton: { key, mode: "cancel" } };
    default:
      return { singleton: { key, mode: "skip" } };
  }
}
