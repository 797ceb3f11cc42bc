// The workflow the approvals benchmark runs, shared by the parent and its memory child (same id,
// so a worker in either process can execute runs the other started): one step.run, then
// step.waitForApproval, then one more step.run once decided. Measures nothing.
import { workflow } from "../src/engine/workflow.js";
import type { Journal } from "../src/store/journal.js";
import type { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";

export const approvalFlow = workflow<{ n: number }, { n: number; status: string }>(
  "bench.approval",
  async ({ input, step }) => {
    const order = await step.run("prepare", () => ({
      n: input.n,
      amount: 100 + (input.n % 50),
      note: "a small step result",
    }));
    const decision = await step.waitForApproval("ok", {
      title: `pay order ${order.n}`,
      details: { tool: "pay", args: { order: order.n, amount: order.amount }, reasoning: "the order is due" },
    });
    return step.run("apply", () => ({ n: order.n, status: decision.status }));
  },
);

/** Waiting runs and pending approvals in the store, counted with SQL (not through the engine). */
export function countWaiting(journal: Journal): { waitingRuns: number; pendingApprovals: number } {
  const db = (journal as SqliteJournal).database;
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  return {
    waitingRuns: count("SELECT COUNT(*) AS n FROM runs WHERE status = 'waiting'"),
    pendingApprovals: count("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'"),
  };
}
