import { z } from "zod";
import type { Agent } from "./agent.js";
import type { Tool } from "./tool.js";
import { tool } from "./tool.js";

const input = z.object({
  task: z.string().min(1).describe("What the agent should do, with everything it needs to know"),
  wait: z
    .boolean()
    .optional()
    .describe("false: start the task in the background and go on without its answer"),
  at: z.string().optional().describe("ISO date-time: start the task then, in the background"),
});

export type DelegationArgs = z.infer<typeof input>;

/**
 * The tool the model sees for a sub-agent. The agent loop runs it as a child run (waited for,
 * started in the background, or scheduled), never through `execute`.
 */
export function delegationTool(sub: Agent): Tool<DelegationArgs, unknown> {
  return tool({
    description:
      `Delegate a task to the "${sub.name}" agent. Its instructions: ${sub.options.instructions.slice(0, 300)}` +
      (sub.options.instructions.length > 300 ? "…" : ""),
    input,
    execute: () => {
      throw new Error(`the ${sub.name} delegation tool is run by the agent loop, not called directly`);
    },
  });
}
