import { describe, expect, it } from "vitest";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { Counter, harness } from "../helpers.js";

describe("durable timers", () => {
  it("sleeps without holding the run, and wakes when the store's clock reaches the time", async () => {
    const c = new Counter();
    const wf = workflow("nap", async ({ step }) => {
      await step.run("before", () => c.hit("before"));
      await step.sleep("nap", "1h");
      await step.run("after", () => c.hit("after"));
      return "rested";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    let run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("waiting");
    expect(run?.leaseOwner).toBeNull();
    expect(run?.reason).toContain('sleeping in step "nap"');
    await h.advance(59 * 60_000);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    await h.advance(60_000);
    run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("completed");
    expect(c.get("before")).toBe(1);
    expect(c.get("after")).toBe(1);
  });

  it("sleepUntil waits for an absolute time", async () => {
    const wf = workflow("until", async ({ step }) => {
      await step.sleepUntil("wake", new Date(Date.UTC(2026, 0, 2)));
      return "ok";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    h.clock.set(Date.UTC(2026, 0, 2));
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
  });

  it("runs parallel sleeps and steps, and waits for the latest", async () => {
    const wf = workflow("parallel", async ({ step }) => {
      const [a, , b] = await Promise.all([
        step.run("a", () => 1),
        step.sleep("s1", "1m"),
        step.run("b", () => 2),
        step.sleep("s2", "2m"),
      ]);
      return a + b;
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    await h.advance(60_000);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    await h.advance(60_000);
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toBe(3);
  });
});

describe("events", () => {
  it("waitForEvent returns the matching event, ignoring others", async () => {
    const wf = workflow("await-approval", async ({ input, step }) => {
      const ev = await step.waitForEvent<{ orderId: string; ok: boolean }>("approved", {
        event: "order.approved",
        match: { "data.orderId": (input as { id: string }).id },
        timeout: "1d",
      });
      return ev?.data ?? "timed out";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, { id: "o-1" });
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    const other = await h.engine.send({ name: "order.approved", data: { orderId: "o-2", ok: false } });
    expect(other.resumedRuns).toEqual([]);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    const mine = await h.engine.send({ name: "order.approved", data: { orderId: "o-1", ok: true } });
    expect(mine.resumedRuns).toEqual([runId]);
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toEqual({ orderId: "o-1", ok: true });
  });

  it("waitForEvent returns null on timeout, and a later event changes nothing", async () => {
    const wf = workflow("timeout", async ({ step }) => {
      const ev = await step.waitForEvent("ev", { event: "never", timeout: "10m" });
      return ev === null ? "timed out" : "got it";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    await h.advance(10 * 60_000);
    await h.engine.send({ name: "never" });
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.output).toBe("timed out");
  });

  it("sendEvent starts triggered workflows and resumes waiting runs, exactly once", async () => {
    const c = new Counter();
    const onSignup = workflow(
      "welcome",
      async ({ input, step }) => {
        await step.run("email", () => c.hit(`email:${(input as { user: string }).user}`));
        return null;
      },
      { triggers: [{ event: "user.signed_up" }] },
    );
    const signup = workflow("signup", async ({ input, step }) => {
      await step.sendEvent("announce", {
        name: "user.signed_up",
        data: { user: (input as { user: string }).user },
      });
      return "sent";
    });
    const h = await harness([onSignup, signup]);
    await h.engine.start(signup, { user: "ada" });
    await h.drain();
    expect(c.get("email:ada")).toBe(1);
    const runs = await h.journal.listRuns("default", { workflow: "welcome" });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe("completed");
  });

  it("an event sent twice with the same id is stored and acted on once", async () => {
    const wf = workflow("t", async () => null, { triggers: [{ event: "ping" }] });
    const h = await harness([wf]);
    const first = await h.engine.send({ name: "ping", id: "p-1" });
    const second = await h.engine.send({ name: "ping", id: "p-1" });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(await h.journal.listRuns("default", { workflow: "t" })).toHaveLength(1);
  });
});

describe("a worker in the same process", () => {
  it("claims work made runnable by this engine at once, not at its next poll", async () => {
    const wf = workflow(
      "prompt",
      async ({ step }) => (await step.waitForEvent("go", { event: "go" }))?.data ?? null,
    );
    const h = await harness([wf]);
    const worker = new Worker(h.engine, { pollIntervalMs: 60_000 });
    worker.start();
    try {
      const until = async (status: string) => {
        for (let i = 0; i < 200; i++) {
          if ((await h.journal.listRuns("default"))[0]?.status === status) return;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error(`the run did not become ${status} within 2 s (the worker waited for its poll)`);
      };
      await h.engine.start(wf);
      await until("waiting");
      await h.engine.send({ name: "go", data: "now" });
      await until("completed");
    } finally {
      await worker.stop();
    }
  });
});
