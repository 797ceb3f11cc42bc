import { appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { workflow } from "../../engine/workflow.js";

/** Where the demo counts how many times each step body ran, per run. */
export function executionLog(runId: string): string {
  return join(tmpdir(), `cairn-demo-${runId}.log`);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The demo workflow: five steps that each take a moment and record that they ran, so the
 * demo can show that a crash between steps re-runs none of the finished ones.
 */
export const reportWorkflow = workflow("demo.report", async ({ input, step }) => {
  const { topic, stepMs } = input as { topic: string; stepMs: number };
  const work = async <T>(runId: string, stepId: string, value: T): Promise<T> => {
    await pause(stepMs);
    appendFileSync(executionLog(runId), `${stepId}\n`);
    return value;
  };
  const sources = await step.run("fetch-sources", (s) =>
    work(s.runId, s.stepId, [`${topic} handbook`, `${topic} field notes`]),
  );
  const facts = await step.run("extract-facts", (s) =>
    work(
      s.runId,
      s.stepId,
      sources.map((src, i) => `fact ${i + 1} from ${src}`),
    ),
  );
  const outline = await step.run("outline", (s) =>
    work(s.runId, s.stepId, ["intro", ...facts.map((_, i) => `point ${i + 1}`), "summary"]),
  );
  const draft = await step.run("draft", (s) =>
    work(s.runId, s.stepId, `A ${outline.length}-part report on ${topic}.`),
  );
  const published = await step.run("publish", (s) =>
    work(s.runId, s.stepId, { title: `Report: ${topic}`, words: draft.split(" ").length }),
  );
  return published;
});
