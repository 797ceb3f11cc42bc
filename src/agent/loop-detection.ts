import { AgentLimitError } from "./agent-limit-error.js";
import type { LoopState } from "./loop-state.js";
import type { ToolCallRecord } from "./model-call.js";

/** The same tool calls with the same arguments, turn after turn, is a loop. */
export function checkLoop(state: LoopState, calls: ToolCallRecord[], limit = 3): void {
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
