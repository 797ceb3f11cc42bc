import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/workflow.js";
import { Counter, harness } from "../helpers.js";

describe("step.run", () => {
  it("runs each step once and returns the workflow's result", async () => {
    const c = new Counter();
    const wf = workflow("add", async ({ input, step }) => {
      const { a, b } = input as { a: number; b: number };
      const x = await step.run("double-a", () => (c.hit("a"), a * 2));
      const y = await step.run("double-b", () => (c.hit("b"), b * 2));
      return { sum: x + y };
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, { a: 1, b: 2 });
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toEqual({ sum: 6 });
    expect(c.get("a")).toBe(1);
    expect(c.get("b")).toBe(1);
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => [s.stepId, s.status, s.output])).toEqual([
      ["double-a", "completed", 2],
      ["double-b", "completed", 4],
    ]);
  });

  it("names repeated steps by occurrence: think, think#2, think#3", async () => {
    const wf = workflow("loop", async ({ step }) => {
      for (let i = 0; i < 3; i++) await step.run("think", () => i);
      return null;
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => s.stepId)).toEqual(["think", "think#2", "think#3"]);
  });
});
