import type { Step } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import { AgentLimitError } from "./agent-limit-error.js";
import type { LoopState } from "./loop-state.js";

/**
 * Stops the run once it is over its budget, or, with `onExceed: "ask"`, waits for a person to
 * raise it (approving raises each limit by its original size, or to the edited `{ tokens,
 * costUsd }`); a rejection or an expiry stops the run.
 */
export async function enforceBudget(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  for (;;) {
    const over = overBudget(state);
    if (over === undefined) return;
    if (options.budget?.onExceed !== "ask") throw over;
    state.carried = false;
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
