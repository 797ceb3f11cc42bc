import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/shared/errors.js";
import { encodePayload } from "../../../src/shared/payload.js";
import type { Lease, NewRun } from "../../../src/store/records.js";
import type { Ctx } from "./context.js";
import { WS, expectCode } from "./context.js";

/** Over the 64 KiB both stores keep in a row: stored as a content-addressed blob. */
const BIG = { text: "x".repeat(100 * 1024) };

/** A run with four committed steps a, b (a blob), c, d; its lease. */
async function fourSteps(c: Ctx): Promise<Lease> {
  const lease = await c.started({ data: { topic: "cairns" } });
  await c.journal.commitStep(lease, c.step("a", 0, { n: 1 }));
  await c.journal.commitStep(lease, c.step("b", 1, BIG));
  await c.journal.commitStep(lease, c.step("c", 2, { n: 3 }));
  await c.journal.commitStep(lease, c.step("d", 3, { n: 4 }));
  return lease;
}

function forkOf(
  c: Ctx,
  runId: string,
  stepId: string,
): NewRun & { forkedFrom: { runId: string; stepId: string } } {
  return { ...c.newRun({ data: { topic: "forked" } }), forkedFrom: { runId, stepId } };
}

/** forkRun, deleteRun, collectGarbage, scanSteps, ended-run filters, session ranges. */
export function lifecycleTests(get: () => Ctx): void {
  describe("forkRun", () => {
    it("copies the ended steps before the fork step, replaces outputs, and leaves the original as it was", async () => {
      const c = get();
      const original = await fourSteps(c);
      const fork = forkOf(c, original.runId, "c");
      const summary = await c.journal.forkRun(fork, { a: encodePayload({ n: 10 }, "a") });
      expect(summary).toMatchObject({
        id: fork.id,
        status: "queued",
        forkedFrom: { runId: original.runId, stepId: "c" },
      });
      const steps = await c.journal.loadSteps(WS, fork.id);
      expect(steps.map((s) => [s.stepId, s.seq, s.status, s.output])).toEqual([
        ["a", 0, "completed", { n: 10 }],
        ["b", 1, "completed", BIG],
      ]);
      expect((await c.journal.getRun(WS, fork.id))?.input).toEqual({ topic: "forked" });
      expect((await c.journal.readEntries(WS, fork.id))[0]).toMatchObject({
        type: "run.created",
        data: { forkedFrom: { runId: original.runId, stepId: "c" } },
      });
      const before = await c.journal.loadSteps(WS, original.runId);
      expect(before.map((s) => [s.stepId, s.output])).toEqual([
        ["a", { n: 1 }],
        ["b", BIG],
        ["c", { n: 3 }],
        ["d", { n: 4 }],
      ]);
      expect((await c.journal.getRunSummary(WS, original.runId))?.forkedFrom).toBeNull();
      // The fork is runnable like any new run.
      expect(await c.claimable(fork.id)).toBe(true);
    });

    it("records the fork step itself as completed when it is given an output", async () => {
      const c = get();
      const original = await fourSteps(c);
      const fork = forkOf(c, original.runId, "c");
      await c.journal.forkRun(fork, { c: encodePayload({ n: 30 }, "c") });
      const steps = await c.journal.loadSteps(WS, fork.id);
      expect(steps.map((s) => [s.stepId, s.seq, s.kind, s.status, s.output])).toEqual([
        ["a", 0, "run", "completed", { n: 1 }],
        ["b", 1, "run", "completed", BIG],
        ["c", 2, "run", "completed", { n: 30 }],
      ]);
    });

    it("refuses an unknown run, an unknown step, or an output of a later step, creating nothing", async () => {
      const c = get();
      const original = await fourSteps(c);
      await expectCode(c.journal.forkRun(forkOf(c, "run_nope", "a"), {}), ErrorCode.RunNotFound);
      const unknown = await expectCode(
        c.journal.forkRun(forkOf(c, original.runId, "zzz"), {}),
        ErrorCode.StepNotFound,
      );
      expect(unknown.message).toContain("a, b, c, d");
      const later = await expectCode(
        c.journal.forkRun(forkOf(c, original.runId, "b"), { d: encodePayload(1, "d") }),
        ErrorCode.InvalidInput,
      );
      expect(later.message).toContain('"d"');
      expect((await c.journal.listRuns(WS)).map((r) => r.id)).toEqual([original.runId]);
    });
  });

  describe("deleteRun and collectGarbage", () => {
    it("refuses a run that has not ended, then deletes it with its children, steps and log", async () => {
      const c = get();
      const parent = await fourSteps(c);
      const child = c.newRun({ workflow: "child", parentRunId: parent.runId, parentStepId: "call" });
      await c.journal.createRun(child);
      const refused = await expectCode(c.journal.deleteRun(WS, parent.runId), ErrorCode.Conflict);
      expect(refused.message).toContain(`cairn runs cancel ${parent.runId}`);
      await c.journal.completeRun(parent, encodePayload({ done: true }, "out"));
      const childStill = await expectCode(c.journal.deleteRun(WS, parent.runId), ErrorCode.Conflict);
      expect(childStill.message).toContain(child.id);
      await c.journal.requestCancel(WS, child.id, "not needed");
      expect((await c.journal.deleteRun(WS, parent.runId)).sort()).toEqual([parent.runId, child.id].sort());
      expect(await c.journal.getRun(WS, parent.runId)).toBeUndefined();
      expect(await c.journal.getRun(WS, child.id)).toBeUndefined();
      expect(await c.journal.loadSteps(WS, parent.runId)).toEqual([]);
      expect(await c.journal.readEntries(WS, parent.runId)).toEqual([]);
      await expectCode(c.journal.deleteRun(WS, parent.runId), ErrorCode.RunNotFound);
    });

    it("collects only blobs no run refers to, and none stored after the cut-off; a fork keeps its shared blob", async () => {
      const c = get();
      const original = await fourSteps(c);
      await c.journal.completeRun(original, encodePayload({ ok: true }, "out"));
      const fork = forkOf(c, original.runId, "c");
      await c.journal.forkRun(fork, {});
      c.clock.advance(1_000);
      // Referenced by both runs: nothing to collect.
      expect(await c.journal.collectGarbage(WS, c.clock.now())).toEqual({ blobs: 0, bytes: 0 });
      await c.journal.deleteRun(WS, original.runId);
      // Still the fork's (shared, never copied).
      expect(await c.journal.collectGarbage(WS, c.clock.now())).toEqual({ blobs: 0, bytes: 0 });
      expect((await c.journal.loadSteps(WS, fork.id))[1]?.output).toEqual(BIG);
      await c.journal.requestCancel(WS, fork.id, "done with it");
      await c.journal.deleteRun(WS, fork.id);
      // Stored before the cut-off only: a blob a writer may be about to refer to is spared.
      const stamped = c.clock.now() - 1_000;
      expect(await c.journal.collectGarbage(WS, stamped)).toEqual({ blobs: 0, bytes: 0 });
      const size = Buffer.byteLength(JSON.stringify(BIG));
      expect(await c.journal.collectGarbage(WS, c.clock.now())).toEqual({ blobs: 1, bytes: size });
      expect(await c.journal.collectGarbage(WS, c.clock.now())).toEqual({ blobs: 0, bytes: 0 });
    });
  });

  describe("listRuns by end", () => {
    it("lists ended runs, and those ended before a time", async () => {
      const c = get();
      const early = await c.started();
      await c.journal.completeRun(early, encodePayload(1, "out"));
      c.clock.advance(10_000);
      const late = await c.started();
      await c.journal.failRun(late, { name: "Error", message: "boom" });
      const active = await c.create();
      const ended = await c.journal.listRuns(WS, { ended: true });
      expect(ended.map((r) => r.id).sort()).toEqual([early.runId, late.runId].sort());
      const old = await c.journal.listRuns(WS, { endedBefore: c.clock.now() - 5_000 });
      expect(old.map((r) => r.id)).toEqual([early.runId]);
      expect((await c.journal.listRuns(WS, { ended: false })).length).toBe(3);
      expect(active.status).toBe("queued");
    });
  });

  describe("scanSteps", () => {
    it("reads the completed steps of a name, in every occurrence, of runs created in the window", async () => {
      const c = get();
      const before = await c.started();
      await c.journal.commitStep(before, c.step("model", 0, { usage: 1 }));
      c.clock.advance(1_000);
      const from = c.clock.now();
      const inside = await c.started();
      await c.journal.commitStep(inside, c.step("model", 0, { usage: 2 }));
      await c.journal.commitStep(inside, c.step("tool.x", 1, "x"));
      await c.journal.commitStep(inside, c.step("model#2", 2, { usage: 3 }));
      await c.journal.commitStep(inside, c.step("models", 3, { usage: 99 }));
      await c.journal.commitStep(inside, c.step("model_1", 4, { usage: 98 }));
      c.clock.advance(1_000);
      const to = c.clock.now();
      const after = await c.started();
      await c.journal.commitStep(after, c.step("model", 0, { usage: 4 }));
      const scanned = await c.journal.scanSteps(WS, {
        names: ["model", "turn"],
        createdAfter: from,
        createdBefore: to,
        limit: 100,
      });
      expect(scanned.map((s) => [s.runId, s.workflow, s.step.stepId, s.step.output])).toEqual([
        [inside.runId, "wf", "model", { usage: 2 }],
        [inside.runId, "wf", "model#2", { usage: 3 }],
      ]);
      const limited = await c.journal.scanSteps(WS, {
        names: ["model"],
        createdAfter: 0,
        createdBefore: to + 1,
        limit: 2,
      });
      expect(limited.map((s) => s.step.output)).toEqual([{ usage: 1 }, { usage: 2 }]);
    });
  });

  describe("session ranges", () => {
    it("tells a session's head and loads up to a seq, or only the last messages", async () => {
      const c = get();
      expect(await c.journal.sessionHead(WS, "helper", "s1")).toBe(0);
      const say = (text: string) => encodePayload({ role: "user", content: text }, "message");
      await c.journal.appendSession(WS, "helper", "s1", "run_1", [say("one"), say("two")]);
      await c.journal.appendSession(WS, "helper", "s1", "run_2", [say("three"), say("four")]);
      expect(await c.journal.sessionHead(WS, "helper", "s1")).toBe(4);
      const text = (ms: { message: unknown }[]) => ms.map((m) => (m.message as { content: string }).content);
      expect(text(await c.journal.loadSession(WS, "helper", "s1"))).toEqual(["one", "two", "three", "four"]);
      expect(text(await c.journal.loadSession(WS, "helper", "s1", { upTo: 2 }))).toEqual(["one", "two"]);
      expect(text(await c.journal.loadSession(WS, "helper", "s1", { upTo: 3, last: 2 }))).toEqual([
        "two",
        "three",
      ]);
      expect(text(await c.journal.loadSession(WS, "helper", "s1", { last: 1 }))).toEqual(["four"]);
    });
  });
}
