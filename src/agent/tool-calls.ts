import type { Step } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import type { LoopState, ToolOutcome } from "./loop-state.js";
import type { ToolCallRecord } from "./model-call.js";
import { decidePolicies, reconnected, runTool, runToolStep } from "./tool-execution.js";

/**
 * The tool calls of one model turn that the turn did not settle: the policy decides each (in
 * order), they run as steps side by side, then any that need a person to reconnect a credential
 * wait for them one at a time, in call order, so a replay meets every step where it was.
 */
export async function runToolCalls(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  calls: ToolCallRecord[],
  settled: (ToolOutcome | null)[] | undefined,
): Promise<ToolOutcome[]> {
  const verdicts = await decidePolicies(options, step, state, calls, settled);
  const results = await Promise.all(
    calls.map((call, i) => {
      const done = settled?.[i];
      return done ? Promise.resolve(done) : runTool(options, step, state, call, verdicts[i]);
    }),
  );
  for (const [i, call] of calls.entries()) {
    let outcome = results[i]!;
    while (!outcome.ok && outcome.reconnect !== undefined) {
      const { reason, args } = outcome.reconnect;
      if (!(await reconnected(options, step, state, call, reason))) {
        outcome = { ok: false, error: outcome.error };
        break;
      }
      outcome = await runToolStep(options, step, state, call, args);
    }
    results[i] = outcome;
  }
  return results;
}
