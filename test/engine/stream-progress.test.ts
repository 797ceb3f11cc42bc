import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/workflow.js";
import { Entry } from "../../src/store/entry-types.js";
import { harness } from "../helpers.js";

const PARTS = 600;

const talker = workflow("talker", async ({ step }) => {
  return step.run("speak", async (ctx) => {
    let text = "";
    for (let i = 0; i < PARTS; i++) {
      const piece = `t${i} `;
      text += piece;
      ctx.progress({ type: "text-delta", text: piece });
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    return text;
  });
});

describe("streamed step progress", () => {
  it("stores what a step reports in its run's log, batched, all of it before the step's result", async () => {
    const h = await harness([talker]);
    const run = await h.engine.start(talker);
    await h.drain();
    const entries = await h.journal.readEntries("default", run.runId);
    const progress = entries.filter((e) => e.type === Entry.StepProgress);
    const ended = entries.find((e) => e.type === Entry.StepEnded && e.stepId === "speak")!;
    const parts = progress.flatMap((e) => e.data.parts as { text: string }[]);
    expect(parts.map((p) => p.text).join("")).toBe(await run.result());
    // Batched: far fewer log entries than parts, each tagged with the step and its attempt.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(PARTS / 50);
    for (const e of progress) {
      expect(e.stepId).toBe("speak");
      expect(e.data).toMatchObject({ attempt: 1, epoch: 1 });
      expect(e.seq).toBeLessThan(ended.seq);
    }
  });

  it("stores what a quick step streamed with its result, in the same commit: no write of its own", async () => {
    const quick = workflow("quick", async ({ step }) =>
      step.run("answer", (ctx) => {
        for (const text of ["Hel", "lo"]) ctx.progress({ type: "text-delta", text });
        return "Hello";
      }),
    );
    const h = await harness([quick]);
    let separateWrites = 0;
    const append = h.journal.appendStreamChunks.bind(h.journal);
    h.journal.appendStreamChunks = (lease, batch) => {
      separateWrites++;
      return append(lease, batch);
    };
    const run = await h.engine.start(quick);
    await h.drain();
    expect(await run.result()).toBe("Hello");
    expect(separateWrites).toBe(0);
    const entries = await h.journal.readEntries("default", run.runId);
    const at = entries.findIndex((e) => e.type === Entry.StepEnded && e.stepId === "answer");
    // The parts, then the step's end, next to each other in the log: what a stream reads.
    expect(entries[at - 1]).toMatchObject({
      type: Entry.StepProgress,
      stepId: "answer",
      data: { attempt: 1, parts: [{ text: "Hel" }, { text: "lo" }] },
    });
  });

  it("start() returns a handle whose result() waits for the run, whoever executes it", async () => {
    const failing = workflow("failing", async ({ step }) => {
      await step.run(
        "boom",
        () => {
          throw new Error("no luck");
        },
        { retries: 0 },
      );
    });
    const h = await harness([talker, failing]);
    const ok = await h.engine.start(talker, {}, { idempotencyKey: "k-1" });
    const bad = await h.engine.start(failing);
    const waiting = ok.result<string>({ timeoutMs: 20_000 });
    await expect(ok.result({ timeoutMs: 10 })).rejects.toMatchObject({ code: "CAIRN_WAIT_TIMEOUT" });
    await h.drain();
    expect(await waiting).toMatch(/^t0 t1 /);
    await expect(bad.result({ timeoutMs: 20_000 })).rejects.toThrow("no luck");
    expect((await h.engine.findRun(talker, "k-1"))?.id).toBe(ok.runId);
    expect(await h.engine.findRun(talker, "k-2")).toBeUndefined();
    // The handle is the start result people already compare.
    expect(ok).toMatchObject({ runId: ok.runId, created: true, status: "queued" });
  });
});
