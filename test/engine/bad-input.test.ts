import { describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow } from "../../src/engine/workflow.js";
import { CairnError } from "../../src/shared/errors.js";
import { Counter, harness } from "../helpers.js";

describe("bad input and changed code", () => {
  it("an unknown workflow is refused with the known ones listed", async () => {
    const h = await harness([workflow("known", async () => null)]);
    await expect(h.engine.start("nope")).rejects.toThrow(/unknown workflow "nope"; known: known/);
  });

  it("input that fails the workflow's schema is refused before a run exists", async () => {
    const wf = workflow("typed", async ({ input }) => input, { input: z.object({ id: z.number() }) });
    const h = await harness([wf]);
    const err = await h.engine.start(wf, { id: "x" }).catch((e: unknown) => e);
    expect(CairnError.is(err, "CAIRN_INVALID_INPUT")).toBe(true);
    expect((err as Error).message).toContain('input for workflow "typed" is not valid');
    expect(await h.journal.listRuns("default")).toHaveLength(0);
  });

  it("a step result that cannot be stored fails the run with an error naming the step and path", async () => {
    const wf = workflow("unserializable", async ({ step }) => {
      await step.run("make", () => ({ ok: 1, callback: () => 2 }));
      return null;
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.code).toBe("CAIRN_UNSERIALIZABLE");
    expect(run?.error?.message).toContain('step "make" result: value.callback is a function');
  });

  it("a payload over the ceiling fails with the size and the option to raise it", async () => {
    const wf = workflow("huge", async ({ step }) => step.run("big", () => "x".repeat(2 * 1024 * 1024)));
    const h = await harness([wf], { maxPayloadBytes: 1024 * 1024 });
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.error?.code).toBe("CAIRN_PAYLOAD_TOO_LARGE");
    expect(run?.error?.message).toMatch(
      /step "big" result: the value is 2\.0 MiB, over the 1\.0 MiB payload ceiling/,
    );
  });

  it("a run over its storage budget gets a warning in its log and goes on", async () => {
    const wf = workflow("hoarder", async ({ step }) => {
      for (let i = 0; i < 3; i++) await step.run("chunk", () => "y".repeat(100_000 + i));
      return "ok";
    });
    const h = await harness([wf], { runStorageBudgetBytes: 150_000 });
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const entries = await h.journal.readEntries("default", runId);
    const warnings = entries.filter((e) => e.type === "run.storage_warning");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.stepId).toBe("chunk#2");
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.storedBytes).toBeGreaterThan(300_000);
  });

  it("a sendEvent with no name or oversized data throws in the handler, and the run still ends", async () => {
    const wf = workflow("sender", async ({ step }) => {
      const errors: string[] = [];
      for (const event of [{ name: "" }, { name: "big", data: "x".repeat(2_000) }])
        await step.sendEvent(`send-${errors.length}`, event).catch((e: Error) => errors.push(e.message));
      return errors;
    });
    const h = await harness([wf], { maxPayloadBytes: 1_000 });
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toEqual([
      expect.stringContaining("sendEvent needs an event with a name"),
      expect.stringContaining('step "send-1" event data'),
    ]);
  });

  it("a corrupt row fails its own run with a clear error and leaves others untouched", async () => {
    const c = new Counter();
    const wf = workflow("two-part", async ({ step }) => {
      await step.run("a", () => c.hit("a"));
      await step.sleep("pause", "1m");
      return step.run("b", () => "ok");
    });
    const h = await harness([wf]);
    const bad = await h.engine.start(wf);
    const good = await h.engine.start(wf);
    await h.drain();
    await h.sql("UPDATE steps SET output_json = '{not json' WHERE run_id = ? AND step_id = 'a'", [bad.runId]);
    await h.advance(60_000);
    const badRun = await h.journal.getRunSummary("default", bad.runId);
    expect(badRun?.status).toBe("failed");
    expect(badRun?.error?.code).toBe("CAIRN_CORRUPT_PAYLOAD");
    expect(badRun?.error?.message).toContain(`run ${bad.runId} step "a" output`);
    expect((await h.journal.getRunSummary("default", good.runId))?.status).toBe("completed");
  });

  it("a renamed step under an in-flight run fails it naming the expected and the found step", async () => {
    let version = 1;
    const wf = workflow("evolving", async ({ step }) => {
      await step.run(version === 1 ? "fetch" : "download", () => 1);
      await step.sleep("pause", "1m");
      return "done";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    version = 2;
    await h.advance(60_000);
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.code).toBe("CAIRN_NON_DETERMINISM");
    expect(run?.error?.message).toContain(
      'at position 1 the journal has step "fetch" (run) but the code now calls "download" (run)',
    );
  });

  it("a removed step under an in-flight run fails it naming the step", async () => {
    let version = 1;
    const wf = workflow("shrinking", async ({ step }) => {
      await step.run("a", () => 1);
      if (version === 1) await Promise.all([step.sleep("pause", "1m"), step.run("extra", () => 2)]);
      else await step.sleep("pause", "1m");
      return "done";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.drain();
    version = 2;
    await h.advance(60_000);
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.code).toBe("CAIRN_NON_DETERMINISM");
    expect(run?.error?.message).toContain(
      'the journal has step "extra" at position 3, but the workflow "shrinking" now returns without calling it',
    );
  });
});
