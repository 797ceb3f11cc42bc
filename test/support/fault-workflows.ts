import { appendFileSync } from "node:fs";
import { workflow } from "../../src/engine/workflow.js";

/** Appends `line` to $COUNTS_FILE: how test workflows in other processes count executions. */
export function mark(line: string): void {
  appendFileSync(process.env.COUNTS_FILE!, `${line}\n`);
}

/** Keeps the event loop busy for `ms`, as a CPU-bound step that never awaits does. */
export function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

/**
 * Workflows the worker processes of the fault tests run (test/support/worker-process.ts).
 * Their step bodies mark each execution in $COUNTS_FILE.
 */
export const FAULT_WORKFLOWS = [
  workflow("poisoned", async ({ step, runId }) => step.run("work", () => mark(`${runId}:work`))),
  workflow("fine", async ({ step, runId }) => step.run("work", () => mark(`${runId}:work`))),
  workflow("spin", async ({ step, runId }) => {
    await step.run("spin", () => {
      mark(`${runId}:spin`);
      busyWait(Number(process.env.SPIN_MS ?? 1500));
      return "spun";
    });
    return step.run("after", () => mark(`${runId}:after`));
  }),
  workflow("nap", async ({ step, runId }) => {
    await step.run("nap", async () => {
      mark(`${runId}:nap`);
      await new Promise((r) => setTimeout(r, Number(process.env.NAP_MS ?? 3000)));
      return "rested";
    });
    return step.run("after", () => mark(`${runId}:after`));
  }),
];
