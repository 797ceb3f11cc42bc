import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { silentLogger } from "../../src/shared/logger.js";
import { harness, within } from "../helpers.js";

const wf = workflow("three", async ({ step }) => {
  for (const s of ["a", "b", "c"]) await step.run(s, () => s);
  await step.sleep("nap", "1m");
  return "done";
});

describe("following a run's log", () => {
  it("yields the entries another process writes while it executes the run, then its final status", async () => {
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    // Another process: its own journal over the same store, its own engine and worker.
    const other = new Engine({ journal: await h.reopen(), workflows: [wf], logger: silentLogger });
    const seen: string[] = [];
    const following = (async () => {
      const log = h.engine.follow(runId, { pollMs: 5 });
      for (;;) {
        const next = await log.next();
        if (next.done) return next.value;
        seen.push(next.value.stepId ? `${next.value.type} ${next.value.stepId}` : next.value.type);
      }
    })();
    await new Worker(other).drain();
    h.clock.advance(60_000);
    await new Worker(other).drain();
    expect(await within(following, "the follower to see the run end")).toBe("completed");
    expect(seen[0]).toBe("run.created");
    expect(seen).toEqual(
      expect.arrayContaining(["step.ended a", "step.ended c", "run.waiting", "step.ended nap"]),
    );
    expect(seen.at(-1)).toBe("run.ended");
    // Every entry of the log, once each, in order.
    const entries = await h.journal.readEntries("default", runId);
    expect(seen).toEqual(entries.map((e) => (e.stepId ? `${e.type} ${e.stepId}` : e.type)));
  });

  it("starts after a given entry, stops when aborted, and refuses an unknown run", async () => {
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const all = await h.journal.readEntries("default", runId);
    const controller = new AbortController();
    const log = h.engine.follow(runId, { afterSeq: all.at(-2)!.seq, pollMs: 5, signal: controller.signal });
    expect((await log.next()).value).toMatchObject({ seq: all.at(-1)!.seq });
    setTimeout(() => controller.abort(), 20);
    expect(await log.next()).toEqual({ done: true, value: undefined });
    await expect(h.engine.follow("run_nope").next()).rejects.toMatchObject({ code: "CAIRN_RUN_NOT_FOUND" });
  });
});
