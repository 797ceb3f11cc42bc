import type { ToolResultPart } from "ai";
import type { Step, StepRunContext } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import { AgentLimitError } from "./agent-limit-error.js";
import { gated, requestApproval } from "./approval-gate.js";
import { delegate } from "./delegation.js";
import type { DelegationArgs } from "./delegation-tool.js";
import type { LoopState, RunScope, ToolOutcome } from "./loop-state.js";
import type { ToolCallRecord } from "./model-call.js";
import type { Tool, ToolContext } from "./tool.js";
import { live } from "./call-intent.js";

/** Runs one tool call as its own step; failures and bad arguments go back to the model. */
export async function runTool(
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
  // A crash inside it pauses the run for a person, whose `skip-step` records its result without
  // running anything here: like a wait, it cannot stand in for the next call's intent.
  if (t.sideEffect && !t.idempotent) state.carried = false;
  try {
    const output = await step.run(
      `tool.${call.name}`,
      (ctx) => live(state, () => t.execute(args, toolContext(options, state.run, ctx))),
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

/**
 * checkpoint "turn": tools run inside the turn's step, without steps of their own; null for a
 * side-effecting tool that is not idempotent, which runs after the turn as its own step.
 */
export async function executeInline(
  options: AgentOptions,
  state: LoopState,
  call: ToolCallRecord,
  ctx: StepRunContext,
): Promise<ToolOutcome | null> {
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
  if (t.sideEffect && !t.idempotent) return null;
  try {
    return { ok: true, output: (await t.execute(parsed.data, toolContext(options, state.run, ctx))) ?? null };
  } catch (err) {
    return { ok: false, error: `tool ${call.name} failed: ${(err as Error).message}` };
  }
}

export function toolContext(options: AgentOptions, run: RunScope, ctx: StepRunContext): ToolContext {
  return {
    ...ctx,
    agent: { name: options.name, user: run.user, session: run.session },
    workspace: run.workspace,
    journal: run.journal,
  };
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

export function toolResultPart(call: ToolCallRecord, outcome: ToolOutcome): ToolResultPart {
  return {
    type: "tool-result",
    toolCallId: call.id,
    toolName: call.name,
    output: outcome.ok
      ? { type: "json", value: (outcome.output ?? null) as never }
      : { type: "error-text", value: outcome.error },
  };
}
