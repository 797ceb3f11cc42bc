import type { ModelMessage } from "ai";
import type { Step } from "../engine/step.js";
import { hashJson } from "../shared/canonical-hash.js";
import type { AgentOptions } from "./agent.js";
import type { LoopState, RunScope, ToolOutcome } from "./loop-state.js";
import type { ToolCallRecord } from "./model-call.js";
import type { Tool } from "./tool.js";
import type { ToolApprovalRequest } from "./tool-approval.js";

/** Whether a person must approve this call of `t` before it runs. */
export function gated(t: Tool, args: unknown, run: RunScope): boolean {
  if (typeof t.needsApproval === "function") return t.needsApproval(args, { runId: run.runId });
  return t.needsApproval === true;
}

/**
 * Asks a person before a gated tool call: the run waits, holding nothing, until they approve
 * (possibly with edited arguments), reject, or the request expires. A rejection or an expiry is
 * told to the model as the tool's result, so it can adapt.
 */
export async function requestApproval(
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
  state.carried = false;
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
