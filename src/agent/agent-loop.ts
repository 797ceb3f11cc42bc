import type { ModelMessage, ToolResultPart } from "ai";
import type { Step, StepRunContext } from "../engine/step.js";
import type { WorkflowContext } from "../engine/workflow.js";
import type { Journal } from "../store/journal.js";
import { hashJson } from "../shared/canonical-hash.js";
import { encodePayload } from "../shared/payload.js";
import type { ToolApprovalRequest } from "./tool-approval.js";
import type { Agent, AgentInput, AgentOptions, AgentResult } from "./agent.js";
import type { DelegationArgs } from "./delegation-tool.js";
import { delegationTool } from "./delegation-tool.js";
import { memoryTool } from "./memory-tool.js";
import { AgentLimitError } from "./agent-limit-error.js";
import type { ModelTurn, ToolCallRecord } from "./model-call.js";
import { callModel } from "./model-call.js";
import { resolveModel } from "./models.js";
import type { Tool, ToolContext } from "./tool.js";
import type { Usage } from "./usage.js";
import { addUsage, DEFAULT_PRICES, ZERO_USAGE } from "./usage.js";

interface RunScope {
  runId: string;
  workspace: string;
  journal: Journal;
  user: string;
  session: string | null;
  depth: number;
  /** The tools the model sees: the agent's own, memory, and one per sub-agent. */
  tools: Record<string, Tool>;
}

/** What a tool call gave back: its output, or an error the model is told about. */
type ToolOutcome = { ok: true; output: unknown } | { ok: false; error: string };

interface LoopState {
  /** The run's own context: who it acts for, its session, its delegation depth. */
  run: RunScope;
  messages: ModelMessage[];
  /** Messages before this index came from the session's history. */
  historyLength: number;
  usage: Usage;
  cost: number | null;
  turns: number;
  invalidStreak: number;
  /** The budget in force: the agent's, raised by a person when it asks. */
  budget: { tokens?: number; costUsd?: number };
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
  const { step, input } = ctx;
  const run: RunScope = {
    runId: ctx.runId,
    workspace: ctx.workspace,
    journal: ctx.journal,
    user: input.user ?? "default",
    session: input.session ?? null,
    depth: input.depth ?? 0,
    tools: toolsOf(options),
  };
  const history = run.session === null ? [] : await loadHistory(options, step, run);
  const state: LoopState = {
    run,
    messages: [...history, ...(input.earlier ?? []).map(userMessage), userMessage(input.message)],
    historyLength: history.length,
    usage: ZERO_USAGE,
    cost: 0,
    turns: 0,
    invalidStreak: 0,
    budget: {
      ...(options.budget?.tokens !== undefined ? { tokens: options.budget.tokens } : {}),
      ...(options.budget?.costUsd !== undefined ? { costUsd: options.budget.costUsd } : {}),
    },
    recentCalls: [],
  };
  const maxTurns = options.maxTurns ?? 20;
  for (;;) {
    await takeSteering(options, step, state);
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
    await enforceBudget(options, step, state);
    if (turn.toolCalls.length === 0) {
      // A message that steered in during the last call still gets an answer.
      if (await takeSteering(options, step, state)) continue;
      await saveHistory(options, step, state);
      return { text: turn.text, turns: state.turns, usage: state.usage, cost: state.cost };
    }
    checkLoop(state, turn.toolCalls, options.loopLimit);
    const results =
      outcomes ?? (await Promise.all(turn.toolCalls.map((call) => runTool(options, step, state, call))));
    state.messages.push({
      role: "tool",
      content: turn.toolCalls.map((call, i) => toolResultPart(call, results[i]!)),
    });
  }
}

function userMessage(text: string): ModelMessage {
  return { role: "user", content: text };
}

function toolsOf(options: AgentOptions): Record<string, Tool> {
  const tools: Record<string, Tool> = { ...(options.tools ?? {}) };
  if (options.memory) tools.memory ??= memoryTool() as Tool;
  for (const [name, sub] of Object.entries(options.agents ?? {})) tools[name] = delegationTool(sub);
  return tools;
}

/** The session's conversation so far, recorded as a step so a replay sees the same history. */
async function loadHistory(options: AgentOptions, step: Step, run: RunScope): Promise<ModelMessage[]> {
  return step.run("session.load", async () => {
    const messages = await run.journal.loadSession(run.workspace, options.name, run.session!);
    return messages.map((m) => m.message as ModelMessage);
  });
}

/** Appends this run's part of the conversation to its session, once. */
async function saveHistory(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  const { run } = state;
  if (run.session === null) return;
  const added = state.messages
    .slice(state.historyLength)
    .map((m, i) => encodePayload(m, `session message ${i + 1}`));
  await step.run("session.save", () =>
    run.journal.appendSession(run.workspace, options.name, run.session!, run.runId, added),
  );
}

/** With `onBusy: "steer"`, messages sent while this run is in flight join it before its next model call. */
async function takeSteering(options: AgentOptions, step: Step, state: LoopState): Promise<boolean> {
  const { run } = state;
  if (run.session === null || options.session?.onBusy !== "steer") return false;
  const arrived = await step.run("session.inbox", (ctx) =>
    run.journal.takeInbox(run.workspace, options.name, run.session!, run.runId, ctx.stepId),
  );
  for (const text of arrived) state.messages.push(userMessage(String(text)));
  return arrived.length > 0;
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
      for (const call of turn.toolCalls) outcomes.push(await executeInline(options, state, call, ctx));
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

async function modelCall(options: AgentOptions, state: LoopState, ctx: StepRunContext): Promise<ModelTurn> {
  const model = await resolveModel(options.model);
  return callModel({
    model,
    system: options.instructions,
    messages: state.messages,
    tools: state.run.tools,
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
  const sub = options.agents?.[call.name];
  if (sub !== undefined)
    return delegate(options, step, state, call.name, sub, checked.output as DelegationArgs);
  const t = state.run.tools[call.name]!;
  let args = checked.output;
  if (gated(t, args, state.run)) {
    const decision = await requestApproval(options, step, state, call, t, args);
    if (!decision.ok) return decision;
    args = decision.output;
  }
  try {
    const output = await step.run(
      `tool.${call.name}`,
      (ctx) => t.execute(args, toolContext(options, state.run, ctx)),
      {
        retries: t.retries ?? 2,
        ...(t.timeout !== undefined ? { timeout: t.timeout } : {}),
        ...(t.sideEffect ? { sideEffect: true } : {}),
        ...(t.idempotent ? { idempotent: true } : {}),
      },
    );
    return { ok: true, output };
  } catch (err) {
    return { ok: false, error: `tool ${call.name} failed: ${(err as Error).message}` };
  }
}

function gated(t: Tool, args: unknown, run: RunScope): boolean {
  if (typeof t.needsApproval === "function") return t.needsApproval(args, { runId: run.runId });
  return t.needsApproval === true;
}

/**
 * Asks a person before a gated tool call: the run waits, holding nothing, until they approve
 * (possibly with edited arguments), reject, or the request expires. A rejection or an expiry is
 * told to the model as the tool's result, so it can adapt.
 */
async function requestApproval(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  call: ToolCallRecord,
  t: Tool,
  args: unknown,
): Promise<ToolOutcome> {
  const settings = { ...options.approvals, ...t.approval };
  const request: ToolApprovalRequest = {
    agent: options.name,
    tool: call.name,
    args,
    message: lastAssistantText(state.messages),
    session: state.run.session,
    user: state.run.user,
  };
  const decision = await step.waitForApproval(`approve.${call.name}`, {
    title: `${options.name} wants to call ${call.name}`,
    details: request,
    argsHash: hashJson(args),
    batch: `${state.run.runId}:turn-${state.turns}`,
    ...(settings.approvers !== undefined ? { approvers: settings.approvers } : {}),
    ...(settings.timeout !== undefined ? { timeout: settings.timeout } : {}),
    ...(settings.onTimeout !== undefined ? { onTimeout: settings.onTimeout } : {}),
  });
  if (decision.status === "rejected") {
    const why = decision.reason ? `: ${decision.reason}` : "";
    return {
      ok: false,
      error: `${decision.by ?? "The approver"} rejected this call of ${call.name}${why}. It was not made. Adapt to the feedback; do not repeat the same call unchanged.`,
    };
  }
  if (decision.status === "expired") {
    return {
      ok: false,
      error: `The request to approve this call of ${call.name} expired without a decision. The call was not made; do not assume it was approved.`,
    };
  }
  if (decision.editedArgs === null || decision.editedArgs === undefined) return { ok: true, output: args };
  // The approver changed the arguments: the tool runs with exactly those, once more validated.
  const edited = t.input.safeParse(decision.editedArgs);
  if (!edited.success)
    return {
      ok: false,
      error: `the approved arguments for ${call.name} are not valid: ${edited.error.message}`,
    };
  return { ok: true, output: edited.data };
}

function lastAssistantText(messages: ModelMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== "assistant") continue;
    if (typeof m.content === "string") return m.content;
    return m.content.map((p) => (p.type === "text" ? p.text : "")).join("");
  }
  return "";
}

function toolContext(options: AgentOptions, run: RunScope, ctx: StepRunContext): ToolContext {
  return {
    ...ctx,
    agent: { name: options.name, user: run.user, session: run.session },
    workspace: run.workspace,
    journal: run.journal,
  };
}

/** Hands a task to a sub-agent: a child run the parent waits for, or starts and leaves. */
async function delegate(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  name: string,
  sub: Agent,
  args: DelegationArgs,
): Promise<ToolOutcome> {
  const maxDepth = options.maxDepth ?? 3;
  if (state.run.depth + 1 > maxDepth) {
    return {
      ok: false,
      error: `cannot delegate to ${name}: the delegation depth limit (${maxDepth}) is reached; do the task yourself`,
    };
  }
  const input: AgentInput = { message: args.task, user: state.run.user, depth: state.run.depth + 1 };
  if (args.wait === false || args.at !== undefined) {
    const at = args.at === undefined ? undefined : Date.parse(args.at);
    if (at !== undefined && !Number.isFinite(at))
      return { ok: false, error: `"at" must be an ISO date, not ${args.at}` };
    const { runId } = await step.start(
      `agent.${name}`,
      sub.workflow,
      input,
      at === undefined ? {} : { runAt: at },
    );
    return { ok: true, output: { started: runId, at: args.at ?? "now" } };
  }
  try {
    const result = await step.invoke(`agent.${name}`, sub.workflow, input);
    state.usage = addUsage(state.usage, result.usage);
    state.cost = state.cost === null || result.cost === null ? null : state.cost + result.cost;
    await enforceBudget(options, step, state);
    return { ok: true, output: { answer: result.text } };
  } catch (err) {
    if (err instanceof AgentLimitError) throw err;
    return { ok: false, error: `${name} could not finish: ${(err as Error).message}` };
  }
}

/** checkpoint "turn": tools run inside the turn's step, without steps of their own. */
async function executeInline(
  options: AgentOptions,
  state: LoopState,
  call: ToolCallRecord,
  ctx: StepRunContext,
): Promise<ToolOutcome> {
  if (options.agents?.[call.name] !== undefined) {
    return {
      ok: false,
      error: `${call.name} is a sub-agent; with checkpoint "turn" delegation is not available`,
    };
  }
  const t = state.run.tools[call.name];
  const parsed = t?.input.safeParse(call.input);
  if (t === undefined || call.invalid !== undefined || !parsed?.success) {
    return { ok: false, error: invalidMessage(call, parsed?.error?.message) };
  }
  try {
    return { ok: true, output: (await t.execute(parsed.data, toolContext(options, state.run, ctx))) ?? null };
  } catch (err) {
    return { ok: false, error: `tool ${call.name} failed: ${(err as Error).message}` };
  }
}

/** Validates a call's arguments against the tool's schema; counts consecutive bad calls. */
function checkArguments(options: AgentOptions, state: LoopState, call: ToolCallRecord): ToolOutcome {
  const t: Tool | undefined = state.run.tools[call.name];
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

/**
 * Stops the run once it is over its budget, or, with `onExceed: "ask"`, waits for a person to
 * raise it (approving raises each limit by its original size, or to the edited `{ tokens,
 * costUsd }`); a rejection or an expiry stops the run.
 */
async function enforceBudget(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  for (;;) {
    const over = overBudget(state);
    if (over === undefined) return;
    if (options.budget?.onExceed !== "ask") throw over;
    const decision = await step.waitForApproval("budget.raise", {
      title: `${options.name} is over its budget`,
      details: { reason: over.message, usage: state.usage, cost: state.cost, budget: state.budget },
      ...(options.approvals?.approvers !== undefined ? { approvers: options.approvals.approvers } : {}),
    });
    if (decision.status !== "approved") throw over;
    const edited = decision.editedArgs as { tokens?: number; costUsd?: number } | null;
    const base = options.budget;
    state.budget = {
      ...(state.budget.tokens !== undefined
        ? { tokens: edited?.tokens ?? state.budget.tokens + (base.tokens ?? 0) }
        : {}),
      ...(state.budget.costUsd !== undefined
        ? { costUsd: edited?.costUsd ?? state.budget.costUsd + (base.costUsd ?? 0) }
        : {}),
    };
  }
}

function overBudget(state: LoopState): AgentLimitError | undefined {
  const { budget } = state;
  const tokens = state.usage.input + state.usage.output;
  if (budget.tokens !== undefined && tokens > budget.tokens) {
    return new AgentLimitError(
      "token-budget",
      `the run used ${tokens} tokens, over its budget of ${budget.tokens}`,
    );
  }
  if (budget.costUsd !== undefined && state.cost !== null && state.cost > budget.costUsd) {
    return new AgentLimitError(
      "cost-budget",
      `the run cost $${state.cost.toFixed(4)}, over its budget of $${budget.costUsd}`,
    );
  }
  return undefined;
}

/** The same tool calls with the same arguments, turn after turn, is a loop. */
function checkLoop(state: LoopState, calls: ToolCallRecord[], limit = 3): void {
  // Calls with unusable arguments are the invalid-call limit's business, not a loop.
  const usable = calls.filter(
    (c) => c.invalid === undefined && state.run.tools[c.name]?.input.safeParse(c.input).success,
  );
  if (usable.length === 0) return;
  const signature = JSON.stringify(usable.map((c) => [c.name, c.input]));
  state.recentCalls.push(signature);
  const recent = state.recentCalls.slice(-limit);
  if (recent.length === limit && recent.every((s) => s === signature)) {
    throw new AgentLimitError(
      "tool-loop",
      `the model made the same tool call ${limit} turns in a row: ${signature.slice(0, 200)}`,
    );
  }
}
