import type { Step } from "../engine/step.js";
import type { Agent, AgentInput, AgentOptions } from "./agent.js";
import { AgentLimitError } from "./agent-limit-error.js";
import { enforceBudget } from "./budget.js";
import type { DelegationArgs } from "./delegation-tool.js";
import type { LoopState, ToolOutcome } from "./loop-state.js";
import { addUsage } from "./usage.js";

/** Hands a task to a sub-agent: a child run the parent waits for, or starts and leaves. */
export async function delegate(
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
  state.carried = false;
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
