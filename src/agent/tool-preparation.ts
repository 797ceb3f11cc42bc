import type { Step } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import { live } from "./call-intent.js";
import type { LoopState } from "./loop-state.js";
import { toolContext } from "./tool-execution.js";

/**
 * Runs the `prepare` of the run's tools that have one, as one step (`tools.prepare`) before the
 * first model call, and adds the instructions they return to the run's system prompt. Agents
 * without such tools get no step, so their journals are unchanged.
 */
export async function prepareTools(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  const preparing = Object.values(state.run.tools).filter((t) => t.prepare !== undefined);
  if (preparing.length === 0) return;
  const added = await step.run("tools.prepare", (ctx) =>
    live(state, async () => {
      const parts: string[] = [];
      for (const t of preparing) {
        const prepared = await t.prepare!(toolContext(options, state.run, ctx));
        if (prepared?.instructions) parts.push(prepared.instructions);
      }
      return parts;
    }),
  );
  if (added.length > 0) state.run.instructions = [options.instructions, ...added].join("\n\n");
}
