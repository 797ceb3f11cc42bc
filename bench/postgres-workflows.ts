// The workflows of the PostgreSQL benchmark, shared by the parent and its worker processes.
// Measures nothing.
import { workflow } from "../src/engine/workflow.js";
import { stepPayload } from "./postgres-floor.js";

/** `steps` no-op steps, each returning a ~50-byte result (the floor's row size). */
export const chain = workflow<{ steps: number }, number>("bench.pg.chain", async ({ input, step }) => {
  let last = 0;
  for (let i = 0; i < input.steps; i++) last = (await step.run("s", () => stepPayload(i))).i;
  return last;
});

/**
 * A run that parks for good: one step, then a wait on an event that never comes (`sleep`
 * false) or a 30-day durable timer (`sleep` true). The templates of the claim section's
 * 100,000 waiting runs.
 */
export const waiter = workflow<{ sleep: boolean }, unknown>("bench.pg.waiter", async ({ input, step }) => {
  await step.run("prepare", () => stepPayload(0));
  if (input.sleep) {
    await step.sleep("nap", "30d");
    return null;
  }
  const ev = await step.waitForEvent("approval", { event: "bench.never", match: { "data.n": 1 } });
  return ev?.data ?? null;
});
