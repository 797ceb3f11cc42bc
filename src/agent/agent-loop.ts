import type { ModelMessage, ToolResultPart } from "ai";
import type { Step, StepRunContext } from "../engine/step.js";
import type { WorkflowContext } from "../engine/workflow.js";
import type { AgentInput, AgentOptions, AgentResult } from "./agent.js";
import { AgentLimitError } from "./agent-limit-error.js";
import type { ModelTurn, ToolCallRecord } from "./model-call.js";
import { callModel } from "./model-call.js";
import { resolveModel } from "./models.js";
import type { Tool } from "./tool.js";
import type { Usage } from "./usage.js";
import { addUsage, DEFAULT_PRICES, ZERO_USAGE } from "./usage.js";

/** What a tool call gave back: its output, or an error the model is told about. */
type ToolOutcome = { ok: true; output: unknown } | { ok: false; error: string };

interface LoopState {
  messages: ModelMessage[];
  usage: Usage;
  cost: number | null;
  turns: number;
  invalidStreak: number;
  /** Signatures of the tool calls of recent turns, newest last, for loop detection. */
  recentCalls: string[];
}

/**
 * The durable agent loop: call the model, run the tools it asks for, feed their results back,
 * until it answers without tools. With checkpoint "calls", each model call is a step named
 * `model` and each tool call a step named `tool.<name>`, so a resumed run replays them from the
 * journal and continues with the first unfinished one.
 */
export async function runAgentLoop(
  options: AgentOptions,
  ctx: WorkflowContext<AgentInput>,
): Promise<AgentResult> {
  const { step } = ctx;
  const state: LoopState = {
    messages: [{ role: "user", content: ctx.input.message }],
    usage: ZERO_USAGE,
    cost: 0,
    turns: 0,
    invalidStreak: 0,
    recentCalls: [],
  };
  const maxTurns = options.maxTurns ?? 20;
  for (;;) {
    if (state.turns >= maxTurns) {
      throw new AgentLimitError(
        "max-turns",
        `the agent made ${maxTurns} model calls without a final answer (maxTurns ${maxTurns})`,
      );
    }
    state.turns++;
    const { turn, outcomes } =
      options.checkpoint === "turn"
        ? await wholeTurn(options, step, state)
        : await separateCalls(options, step, state);
    state.messages.push(...turn.messages);
    state.usage = addUsage(state.usage, turn.usage);
    state.cost = state.cost === null || turn.cost === null ? null : state.cost + turn.cost;
    checkBudget(options, state);
    if (turn.toolCalls.length === 0) {
      return { text: turn.text, turns: state.turns, usage: state.usage, cost: state.cost };
    }
    checkLoop(options, state, turn.toolCalls);
    const results =
      outcomes ?? (await Promise.all(turn.toolCalls.map((call) => runTool(options, step, state, call))));
    state.messages.push({
      role: "tool",
      content: turn.toolCalls.map((call, i) => toolResultPart(call, results[i]!)),
    });
  }
}

/** checkpoint "calls": the model call is one step; tool calls become steps afterwards. */
async function separateCalls(
  options: AgentOptions,
  step: Step,
  state: LoopState,
): Promise<{ turn: ModelTurn; outcomes?: ToolOutcome[] }> {
  const turn = await step.run("model", (ctx) => modelCall(options, state, ctx), {
    retries: options.modelRetries ?? 6,
    backoff: { initial: "2s", max: "2m" },
    // Its intent is recorded so a call cut off by a crash is known to be re-sent (and marked).
    sideEffect: true,
    idempotent: true,
  });
  return { turn };
}

/** checkpoint "turn": the model call and its tool calls are one step. */
async function wholeTurn(
  options: AgentOptions,
  step: Step,
  state: LoopState,
): Promise<{ turn: ModelTurn; outcomes: ToolOutcome[] }> {
  return step.run(
    "turn",
    async (ctx) => {
      const turn = await modelCall(options, state, ctx);
      const outcomes: ToolOutcome[] = [];
      for (const call of turn.toolCalls) outcomes.push(await executeInline(options, call, ctx));
      return { turn, outcomes };
    },
    {
      retries: options.modelRetries ?? 6,
      backoff: { initial: "2s", max: "2m" },
      sideEffect: true,
      idempotent: true,
    },
  );
}

function modelCall(options: AgentOptions, state: LoopState, ctx: StepRunContext): Promise<ModelTurn> {
  const model = resolveModel(options.model);
  return callModel({
    model,
    system: options.instructions,
    messages: state.messages,
    tools: options.tools ?? {},
    price: options.prices?.[model.key] ?? DEFAULT_PRICES[model.key],
    ctx,
  });
}

/** Runs one tool call as its own step; failures and bad arguments go back to the model. */
async function runTool(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  call: ToolCallRecord,
): Promise<ToolOutcome> {
  const checked = checkArguments(options, state, call);
  if (!checked.ok) return checked;
  const t = options.tools![call.name]!;
  try {
    const output = await step.run(`tool.${call.name}`, (ctx) => t.execute(checked.output, ctx), {
      retries: t.retries ?? 2,
      ...(t.timeout !== undefined ? { timeout: t.timeout } : {}),
      ...(t.sideEffect ? { sideEffect: true } : {}),
      ...(t.idempotent ? { idempotent: true } : {}),
    });
    return { ok: true, output };
  } catch (err) {
    return { ok: false, error: `tool ${call.name} failed: ${(err as Error).message}` };
  }
}

async function executeInline(
  options: AgentOptions,
  call: ToolCallRecord,
  ctx: StepRunContext,
): Promise<ToolOutcome> {
  const t = options.tools?.[call.name];
  const parsed = t?.input.safeParse(call.input);
  if (t === undefined || call.invalid !== undefined || !parsed?.success) {
    return { ok: false, error: invalidMessage(call, parsed?.error?.message) };
  }
  try {
    return { ok: true, output: (await t.execute(parsed.data, ctx)) ?? null };
  } catch (err) {
    return { ok: false, error: `tool ${call.name} failed: ${(err as Error).message}` };
  }
}

/** Validates a call's arguments against the tool's schema; counts consecutive bad calls. */
function checkArguments(options: AgentOptions, state: LoopState, call: ToolCallRecord): ToolOutcome {
  const t: Tool | undefined = options.tools?.[call.name];
  const parsed = t?.input.safeParse(call.input);
  if (t !== undefined && call.invalid === undefined && parsed?.success) {
    state.invalidStreak = 0;
    return { ok: true, output: parsed.data };
  }
  state.invalidStreak++;
  const limit = options.maxInvalidToolCalls ?? 3;
  if (state.invalidStreak > limit) {
    throw new AgentLimitError(
      "invalid-tool-calls",
      `the model sent ${state.invalidStreak} tool calls in a row with unusable arguments (last: ${invalidMessage(call, parsed?.error?.message)})`,
    );
  }
  return { ok: false, error: invalidMessage(call, parsed?.error?.message) };
}

function invalidMessage(call: ToolCallRecord, schemaError: string | undefined): string {
  if (call.invalid !== undefined)
    return `invalid call of ${call.name}: ${call.invalid}. Check the tool's name and arguments and try again.`;
  return `invalid arguments for ${call.name}: ${schemaError ?? "unknown tool"}. Fix them and call the tool again.`;
}

function toolResultPart(call: ToolCallRecord, outcome: ToolOutcome): ToolResultPart {
  return {
    type: "tool-result",
    toolCallId: call.id,
    toolName: call.name,
    output: outcome.ok
      ? { type: "json", value: (outcome.output ?? null) as never }
      : { type: "error-text", value: outcome.error },
  };
}

function checkBudget(options: AgentOptions, state: LoopState): void {
  const { budget } = options;
  const tokens = state.usage.input + state.usage.output;
  if (budget?.tokens !== undefined && tokens > budget.tokens) {
    throw new AgentLimitError(
      "token-budget",
      `the run used ${tokens} tokens, over its budget of ${budget.tokens}`,
    );
  }
  if (budget?.costUsd !== undefined && state.cost !== null && state.cost > budget.costUsd) {
    throw new AgentLimitError(
      "cost-budget",
      `the run cost $${state.cost.toFixed(4)}, over its budget of $${budget.costUsd}`,
    );
  }
}

/** The same tool calls with the same arguments, turn after turn, is a loop. */
function checkLoop(options: AgentOptions, state: LoopState, calls: ToolCallRecord[]): void {
  // Calls with unusable arguments are the invalid-call limit's business, not a loop.
  const usable = calls.filter(
    (c) => c.invalid === undefined && options.tools?.[c.name]?.input.safeParse(c.input).success,
  );
  if (usable.length === 0) return;
  const signature = JSON.stringify(usable.map((c) => [c.name, c.input]));
  state.recentCalls.push(signature);
  const limit = options.loopLimit ?? 3;
  const recent = state.recentCalls.slice(-limit);
  if (recent.length === limit && recent.every((s) => s === signature)) {
    throw new AgentLimitError(
      "tool-loop",
      `the model made the same tool call ${limit} turns in a row: ${signature.slice(0, 200)}`,
    );
  }
}
