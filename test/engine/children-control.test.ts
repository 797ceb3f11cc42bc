import { describe, expect, it } from "vitest";
import type { Step } from "../../src/engine/step.js";
import { workflow } from "../../src/engine/workflow.js";
import { Counter, harness, until } from "../helpers.js";

describe("child runs", () => {
  it("invoke waits for the child without holding the parent, then returns its result", async () => {
    const child = workflow("square", async ({ input, step }) => {
      await step.sleep("think", "1m");
      return (input as { n: number }).n ** 2;
    });
    const parent = workflow("parent", async ({ step }) => {
      const v = await step.invoke("sq", child, { n: 7 });
      return { v };
    });
    const h = await harness([child, parent]);
    const { runId } = await h.engine.start(parent);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    const [kid] = await h.journal.listRuns("default", { parentRunId: runId });
    expect(kid?.workflow).toBe("square");
    expect(kid?.parentStepId).toBe("sq");
    await h.advance(60_000);
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toEqual({ v: 49 });
  });

  it("a failed child's error is thrown in the parent", async () => {
    const child = workflow("bad-child", async () => {
      throw new Error("child broke");
    });
    const parent = workflow("parent2", async ({ step }) => {
      try {
        await step.invoke("kid", "bad-child", {});
        return "no";
      } catch (err) {
        return (err as Error).message;
      }
    });
    const h = await harness([child, parent]);
    const { runId } = await h.engine.start(parent);
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.output).toMatch(/child run run_\w+ failed: child broke/);
  });
});

describe("run control", () => {
  it("cancels a waiting run at once, and its children", async () => {
    const child = workflow("kid", async ({ step }) => step.sleep("long", "1d"));
    const parent = workflow("p", async ({ step }) => step.invoke("k", child, {}));
    const h = await harness([child, parent]);
    const { runId } = await h.engine.start(parent);
    await h.drain();
    expect(await h.engine.cancel(runId)).toBe("cancelled");
    const [kid] = await h.journal.listRuns("default", { parentRunId: runId });
    expect(kid?.status).toBe("cancelled");
    await h.advance(86_400_000);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("cancelled");
  });

  it("cancels a running run at its next step", async () => {
    const c = new Counter();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wf = workflow("long", async ({ step }) => {
      await step.run("one", async () => {
        c.hit("one");
        await gate;
      });
      await step.run("two", () => c.hit("two"));
      return "done";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    const draining = h.drain();
    await until(
      "the run to be running",
      async () => (await h.journal.getRunSummary("default", runId))?.status === "running",
    );
    expect(await h.engine.cancel(runId)).toBe("running");
    release();
    await draining;
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("cancelled");
    expect(c.get("one")).toBe(1);
    expect(c.get("two")).toBe(0);
  });

  it("the same idempotency key returns the same run", async () => {
    const wf = workflow("idem", async () => "x");
    const h = await harness([wf]);
    const a = await h.engine.start(wf, {}, { idempotencyKey: "order-1" });
    const b = await h.engine.start(wf, {}, { idempotencyKey: "order-1" });
    expect(b.runId).toBe(a.runId);
    expect(b.created).toBe(false);
  });

  it("singleton skip keeps the active run; singleton cancel replaces it", async () => {
    const wait = async ({ step }: { step: Step }) => step.sleep("s", "1h");
    const skip = workflow("skip", wait, {
      singleton: { key: (i: { session: string }) => i.session, mode: "skip" },
    });
    const cancel = workflow("cancel", wait, {
      singleton: { key: (i: { session: string }) => i.session, mode: "cancel" },
    });
    const h = await harness([skip, cancel]);
    const s1 = await h.engine.start(skip, { session: "a" });
    const s2 = await h.engine.start(skip, { session: "a" });
    const s3 = await h.engine.start(skip, { session: "b" });
    expect(s2.runId).toBe(s1.runId);
    expect(s3.runId).not.toBe(s1.runId);
    const c1 = await h.engine.start(cancel, { session: "a" });
    await h.drain();
    const c2 = await h.engine.start(cancel, { session: "a" });
    expect(c2.created).toBe(true);
    expect((await h.journal.getRunSummary("default", c1.runId))?.status).toBe("cancelled");
  });

  it("a concurrency limit per key keeps extra runs queued until one finishes", async () => {
    const releases: (() => void)[] = [];
    const wf = workflow(
      "limited",
      async ({ step }) => step.run("work", () => new Promise<void>((r) => releases.push(r))),
      { concurrency: { limit: 2, key: (i: { user: string }) => i.user } },
    );
    const h = await harness([wf]);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.engine.start(wf, { user: "u1" })).runId);
    const other = await h.engine.start(wf, { user: "u2" });
    const leases = await h.engine.claim(10);
    expect(leases.map((l) => l.runId).sort()).toEqual([ids[0], ids[1], other.runId].sort());
  });
});

describe("step.start", () => {
  it("starts a child run without waiting, once, at the time asked", async () => {
    const c = new Counter();
    const child = workflow("later", async ({ input }) => c.hit(`later:${(input as { n: number }).n}`));
    const parent = workflow("starter", async ({ step }) => {
      const { runId } = await step.start("kick", child, { n: 1 }, { runAt: Date.UTC(2026, 0, 1, 1) });
      await step.sleep("pause", "10m");
      return runId;
    });
    const h = await harness([child, parent]);
    const { runId } = await h.engine.start(parent);
    await h.drain();
    const [kid] = await h.journal.listRuns("default", { parentRunId: runId });
    expect(kid?.status).toBe("queued");
    expect(c.get("later:1")).toBe(0);
    await h.advance(10 * 60_000);
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toBe(kid?.id);
    expect(c.get("later:1")).toBe(0);
    await h.advance(60 * 60_000);
    expect(c.get("later:1")).toBe(1);
    expect(await h.journal.listRuns("default", { parentRunId: runId })).toHaveLength(1);
  });
});
