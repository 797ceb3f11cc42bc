import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/workflow.js";
import { NonRetriableError, RetryAfterError } from "../../src/shared/errors.js";
import { Counter, harness } from "../helpers.js";

describe("retries", () => {
  it("retries a failing step with exponential backoff, durably, then succeeds", async () => {
    const c = new Counter();
    const wf = workflow("flaky", async ({ step }) => {
      return step.run(
        "call",
        ({ attempt }) => {
          c.hit("call");
          if (attempt < 3) throw new Error(`boom ${attempt}`);
          return "ok";
        },
        { retries: 5, backoff: { initial: "1s", factor: 2, jitter: false } },
      );
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    expect(c.get("call")).toBe(1);
    let run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("waiting");
    expect(run?.wakeAt).toBe(h.clock.now() + 1000);
    await h.advance(999);
    expect(c.get("call")).toBe(1);
    await h.advance(1);
    expect(c.get("call")).toBe(2);
    await h.advance(2000);
    run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("completed");
    expect(c.get("call")).toBe(3);
    const attempts = await h.journal.loadAttempts("default", runId);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.error?.message])).toEqual([
      [1, "failed", "boom 1"],
      [2, "failed", "boom 2"],
    ]);
    const [step] = await h.journal.loadSteps("default", runId);
    expect(step?.attempt).toBe(3);
  });

  it("fails the run with the step's error once retries are exhausted, without slowing other runs", async () => {
    const wf = workflow("doomed", async ({ step }) =>
      step.run(
        "call",
        () => {
          throw new Error("always");
        },
        { retries: 2, backoff: { initial: "1m", jitter: false } },
      ),
    );
    const fine = workflow("fine", async ({ step }) => step.run("x", () => "done"));
    const h = await harness([wf, fine]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const other = await h.engine.start(fine);
    await h.drain();
    expect((await h.journal.getRunSummary("default", other.runId))?.status).toBe("completed");
    await h.advance(60_000);
    await h.advance(120_000);
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.message).toBe("always");
    const entries = await h.journal.readEntries("default", runId);
    expect(entries.at(-1)?.type).toBe("run.ended");
    expect(entries.at(-1)?.data).toMatchObject({ status: "failed" });
  });

  it("NonRetriableError fails at once; the handler may catch a step's failure", async () => {
    const c = new Counter();
    const wf = workflow("catcher", async ({ step }) => {
      try {
        await step.run("bad", () => {
          c.hit("bad");
          throw new NonRetriableError("invalid card");
        });
      } catch (err) {
        return `handled: ${(err as Error).message}`;
      }
      return "unreachable";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.output).toBe("handled: invalid card");
    expect(c.get("bad")).toBe(1);
  });

  it("RetryAfterError waits the delay it asks for", async () => {
    const c = new Counter();
    const wf = workflow("rate-limited", async ({ step }) =>
      step.run("call", ({ attempt }) => {
        c.hit("call");
        if (attempt === 1) throw new RetryAfterError("429", "30s");
        return "ok";
      }),
    );
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.wakeAt).toBe(h.clock.now() + 30_000);
    await h.advance(30_000);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
  });

  it("a step timeout fails the attempt and aborts its signal", async () => {
    let aborted = false;
    const wf = workflow("slow", async ({ step }) =>
      step.run(
        "hang",
        ({ signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(signal.reason as Error);
            });
          }),
        { timeout: 20, retries: 0 },
      ),
    );
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.code).toBe("CAIRN_STEP_TIMEOUT");
    expect(aborted).toBe(true);
  });

  it("workflow-level retries start over from the journal: finished steps are not run again", async () => {
    const c = new Counter();
    const wf = workflow(
      "whole",
      async ({ step, attempt }) => {
        await step.run("first", () => c.hit("first"));
        if (attempt === 1) throw new Error("handler bug on first attempt");
        await step.run("second", () => c.hit("second"));
        return attempt;
      },
      { retries: 2, backoff: { initial: "5s", jitter: false } },
    );
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("queued");
    await h.advance(5000);
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toBe(2);
    expect(c.get("first")).toBe(1);
    expect(c.get("second")).toBe(1);
  });
});
