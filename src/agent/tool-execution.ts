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
import { callTool, toolContextFor } from "./tool-call-scope.js";
import type { PolicyCall, PolicyDecision } from "./tool-policy.js";
import { decide } from "./tool-policy.js";
import { CairnError, ErrorCode } from "../shared/errors.js";
import { live } from "./call-intent.js";

/**
 * Runs one tool call as its own step; failures and bad arguments go back to the model. `verdict`
 * is the tool policy's decision for it (see decidePolicies). A credential a person must fix comes
 * back as `reconnect`, for runToolCalls to wait on in call order.
 */
export async function runTool(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  call: ToolCallRecord,
  verdict?: PolicyDecision,
): Promise<ToolOutcome> {
  const checked = checkArguments(options, state, call);
  if (!checked.ok) return checked;
  const sub = options.agents?.[call.name];
  if (sub !== undefined)
    return delegate(options, step, state, call.name, sub, checked.output as DelegationArgs);
  const t = state.run.tools[call.name]!;
  let args = checked.output;
  if (verdict?.decision === "deny") return denied(call, verdict);
  if (verdict?.decision === "approve" || gated(t, args, state.run)) {
    const decision = await requestApproval(options, step, state, call, t, args);
    if (!decision.ok) return decision;
    args = decision.output;
  }
  return runToolStep(options, step, state, call, args);
}

/** The tool's own step (`tool.<name>`), with arguments already checked and approved. */
export async function runToolStep(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  call: ToolCallRecord,
  args: unknown,
): Promise<ToolOutcome> {
  const t = state.run.tools[call.name]!;
  // A crash inside it pauses the run for a person, whose `skip-step` records its result without
  // running anything here: like a wait, it cannot stand in for the next call's intent.
  if (t.sideEffect && !t.idempotent) state.carried = false;
  try {
    const output = await step.run(
      `tool.${call.name}`,
      (ctx) => live(state, () => callTool(options, state.run, t, args, ctx)),
      {
        retries: t.retries ?? 2,
        ...(t.timeout !== undefined ? { timeout: t.timeout } : {}),
        ...(t.sideEffect ? { sideEffect: true } : {}),
        ...(t.idempotent ? { idempotent: true } : {}),
      },
    );
    return { ok: true, output };
  } catch (err) {
    const error = `tool ${call.name} failed: ${(err as Error).message}`;
    // A credential a person must fix (an OAuth refresh refused): the run will wait for them.
    if (CairnError.is(err, ErrorCode.CredentialUnavailable))
      return { ok: false, error, reconnect: { reason: err.message, args } };
    return { ok: false, error };
  }
}

/**
 * The tool policy's decisions for a turn's calls, one step each (`policy.<tool>`), in call order:
 * taken one after another before any call runs, so a replay places every step where it was.
 */
export async function decidePolicies(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  calls: ToolCallRecord[],
  settled: (ToolOutcome | null)[] | undefined,
): Promise<(PolicyDecision | undefined)[]> {
  const policy = options.toolPolicy;
  const verdicts: (PolicyDecision | undefined)[] = [];
  for (const [i, call] of calls.entries()) {
    const t = state.run.tools[call.name];
    const parsed = t?.input.safeParse(call.input);
    const runs = policy !== undefined && !settled?.[i] && options.agents?.[call.name] === undefined;
    verdicts.push(
      runs && t !== undefined && call.invalid === undefined && parsed?.success
        ? await step.run(
            `policy.${call.name}`,
            () => decide(policy, policyCall(options, state, call, parsed.data)),
            { retries: 0 },
          )
        : undefined,
    );
  }
  return verdicts;
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
  if (options.toolPolicy !== undefined) {
    const verdict = await decide(options.toolPolicy, policyCall(options, state, call, parsed.data));
    if (verdict.decision === "deny") return denied(call, verdict);
    if (verdict.decision === "approve")
      return {
        ok: false,
        error: `${call.name} needs a person's approval by policy, which checkpoint "turn" cannot wait for; it was not made`,
      };
  }
  try {
    return { ok: true, output: await callTool(options, state.run, t, parsed.data, ctx) };
  } catch (err) {
    return { ok: false, error: `tool ${call.name} failed: ${(err as Error).message}` };
  }
}

/**
 * The context of tool code that runs outside a call (a tool's `prepare`): the run's redactor on
 * what it reports, and a `fetch` through the proxy that carries no credentials.
 */
export function toolContext(options: AgentOptions, run: RunScope, ctx: StepRunContext): ToolContext {
  return toolContextFor(options, run, undefined, ctx, new Set());
}

function policyCall(
  options: AgentOptions,
  state: LoopState,
  call: ToolCallRecord,
  args: unknown,
): PolicyCall {
  const { run } = state;
  return {
    tool: call.name,
    args,
    agent: options.name,
    user: run.user,
    session: run.session,
    runId: run.runId,
  };
}

function denied(call: ToolCallRecord, verdict: PolicyDecision): ToolOutcome {
  const why = verdict.reason ? `: ${verdict.reason}` : "";
  return {
    ok: false,
    error: `the tool policy denied this call of ${call.name}${why}. It was not made; do not try to get around the policy.`,
  };
}

/** Waits for a person to fix a credential; true when they approve trying the call again. */
export async function reconnected(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  call: ToolCallRecord,
  reason: string,
): Promise<boolean> {
  state.carried = false;
  const decision = await step.waitForApproval(`reconnect.${call.name}`, {
    title: `${options.name} cannot call ${call.name}: ${reason}; approve once done to try again`,
    details: { agent: options.name, tool: call.name, user: state.run.user, reason },
    batch: `${state.run.runId}:turn-${state.turns}`,
  });
  return decision.status === "approved";
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
