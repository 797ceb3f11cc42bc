import { describe, expect, it } from "vitest";
import { encodePayload } from "../../../src/shared/payload.js";
import { Entry } from "../../../src/store/entry-types.js";
import type { StepStart } from "../../../src/store/journal.js";
import type { Ctx } from "./context.js";
import { TTL, WF, WS, error, expectCode } from "./context.js";

/** Steps: commit and load, intents, retries, workflow retries, needs-attention, the log. */
export function stepTests(get: () => Ctx): void {
  describe("steps", () => {
    it("commitStep / loadSteps round-trips void, null, scalars and nested data in seq order", async () => {
      const c = get();
      const lease = await c.started();
      const nested = {
        a: [1, "two", { three: [null, true, false] }],
        b: { c: { d: "é🙂" } },
        n: -1.5e-7,
        e: {},
      };
      const values: unknown[] = [undefined, null, 0, "", "text", false, [], nested];
      for (const [i, v] of values.entries()) {
        expect(await c.journal.commitStep(lease, c.step(`s${i}`, i, v))).toEqual({ cancelRequested: false });
      }
      const steps = await c.journal.loadSteps(WS, lease.runId);
      expect(steps.map((s) => s.stepId)).toEqual(values.map((_, i) => `s${i}`));
      expect(steps.map((s) => s.output)).toEqual(values);
      expect(steps[0]).toMatchObject({
        runId: lease.runId,
        seq: 0,
        kind: "run",
        status: "completed",
        attempt: 1,
      });
      expect(steps[0]!.output).toBeUndefined();
      expect(steps[0]!.outputBytes).toBe(0);
      expect(steps[1]!.output).toBeNull();
      expect(steps[7]!.outputBytes).toBe(Buffer.byteLength(JSON.stringify(nested)));
      expect(steps[7]!.error).toBeNull();
      expect(await c.journal.loadSteps(WS, "run_other")).toEqual([]);
    });

    it("keeps a failed step with its error, its kind and times, and records the attempt", async () => {
      const c = get();
      const lease = await c.started();
      const startedAt = c.clock.now();
      c.clock.advance(250);
      await c.journal.commitStep(lease, {
        ...c.step("bad", 0, undefined),
        kind: "send",
        status: "failed",
        attempt: 3,
        startedAt,
        endedAt: c.clock.now(),
        error: { name: "TypeError", message: "nope", code: "E_NOPE", data: { why: 1 } },
      });
      const [step] = await c.journal.loadSteps(WS, lease.runId);
      expect(step).toMatchObject({
        stepId: "bad",
        kind: "send",
        status: "failed",
        attempt: 3,
        startedAt,
        endedAt: startedAt + 250,
        error: { name: "TypeError", message: "nope", code: "E_NOPE", data: { why: 1 } },
      });
      const attempts = await c.journal.loadAttempts(WS, lease.runId);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        stepId: "bad",
        attempt: 3,
        outcome: "failed",
        error: { message: "nope" },
      });
    });

    it("recordIntent marks a side-effecting step started until its result is committed", async () => {
      const c = get();
      const lease = await c.started();
      const start: StepStart = {
        stepId: "charge",
        seq: 0,
        kind: "run",
        attempt: 1,
        startedAt: c.clock.now(),
        sideEffect: true,
      };
      await c.journal.recordIntent(lease, start);
      let [step] = await c.journal.loadSteps(WS, lease.runId);
      expect(step).toMatchObject({
        stepId: "charge",
        status: "started",
        sideEffect: true,
        attempt: 1,
        endedAt: null,
      });
      await c.journal.commitStep(lease, { ...c.step("charge", 0, { paid: true }), sideEffect: true });
      [step] = await c.journal.loadSteps(WS, lease.runId);
      expect(step).toMatchObject({ status: "completed", output: { paid: true }, sideEffect: true });
    });

    it("an intent found without a result on the next attempt is recorded as a crashed attempt", async () => {
      const c = get();
      const first = await c.started({}, "w1");
      const start: StepStart = {
        stepId: "charge",
        seq: 0,
        kind: "run",
        attempt: 1,
        startedAt: c.clock.now(),
        sideEffect: true,
      };
      await c.journal.recordIntent(first, start);
      c.clock.advance(TTL);
      const [second] = await c.claim({ owner: "w2" });
      await c.journal.recordIntent(second!, { ...start, attempt: 2, startedAt: c.clock.now() });
      expect(await c.journal.loadAttempts(WS, first.runId)).toEqual([
        expect.objectContaining({ stepId: "charge", attempt: 1, outcome: "crashed" }),
      ]);
      expect((await c.journal.loadSteps(WS, first.runId))[0]).toMatchObject({
        status: "started",
        attempt: 2,
      });
    });

    it("recordRetry then suspendRun wakes the run at retryAt", async () => {
      const c = get();
      const lease = await c.started();
      const now = c.clock.now();
      const retryAt = now + 5_000;
      const outcome = await c.journal.recordRetry(lease, {
        stepId: "flaky",
        seq: 0,
        kind: "run",
        attempt: 1,
        startedAt: now,
        sideEffect: false,
        error: error("503", "E_HTTP"),
        endedAt: now,
        retryAt,
      });
      expect(outcome).toEqual({ cancelRequested: false });
      const [step] = await c.journal.loadSteps(WS, lease.runId);
      expect(step).toMatchObject({ status: "retrying", attempt: 1, retryAt, error: { message: "503" } });
      expect(await c.journal.loadAttempts(WS, lease.runId)).toEqual([
        expect.objectContaining({ stepId: "flaky", attempt: 1, outcome: "failed" }),
      ]);
      await c.journal.suspendRun(lease);
      expect(await c.journal.getRunSummary(WS, lease.runId)).toMatchObject({
        status: "waiting",
        wakeAt: retryAt,
        leaseOwner: null,
      });
      expect(await c.journal.nextWakeAt(WS, [WF])).toBe(retryAt);
      c.clock.advance(4_999);
      expect(await c.claim()).toEqual([]);
      c.clock.advance(1);
      const [again] = await c.claim({ owner: "w2" });
      expect(again).toMatchObject({ runId: lease.runId, epoch: lease.epoch + 1 });
      await c.journal.commitStep(again!, c.step("flaky", 0, "ok", { attempt: 2 }));
      const [done] = await c.journal.loadSteps(WS, lease.runId);
      expect(done).toMatchObject({ status: "completed", attempt: 2, output: "ok", retryAt: null });
    });

    it("retryRun forgets failed steps and queues the run again with attempt + 1", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.commitStep(lease, c.step("good", 0, 1));
      await c.journal.commitStep(
        lease,
        c.step("bad", 1, undefined, { status: "failed", error: error("bad") }),
      );
      const runAt = c.clock.now() + 1_000;
      await c.journal.retryRun(lease, error("workflow failed"), runAt);
      const run = await c.journal.getRunSummary(WS, lease.runId);
      expect(run).toMatchObject({ status: "queued", attempt: 2, wakeAt: runAt, leaseOwner: null });
      expect((await c.journal.loadSteps(WS, lease.runId)).map((s) => s.stepId)).toEqual(["good"]);
      expect(await c.journal.loadAttempts(WS, lease.runId)).toEqual([
        expect.objectContaining({ stepId: "bad", outcome: "failed" }),
      ]);
      expect(await c.claim()).toEqual([]);
      c.clock.advance(1_000);
      expect((await c.claim()).map((l) => l.runId)).toEqual([lease.runId]);
    });

    describe("needs attention", () => {
      async function stuck(c: Ctx) {
        const lease = await c.started();
        await c.journal.commitStep(lease, c.step("before", 0, "b"));
        const start: StepStart = {
          stepId: "charge",
          seq: 1,
          kind: "run",
          attempt: 1,
          startedAt: c.clock.now(),
          sideEffect: true,
        };
        await c.journal.recordIntent(lease, start);
        await c.journal.markNeedsAttention(lease, "charge", "charge may have run; check the provider");
        const run = await c.journal.getRunSummary(WS, lease.runId);
        expect(run).toMatchObject({
          status: "needs-attention",
          leaseOwner: null,
          reason: "charge may have run; check the provider",
        });
        expect(await c.claim({ owner: "w2" })).toEqual([]);
        const entries = await c.journal.readEntries(WS, lease.runId);
        expect(entries.at(-1)).toMatchObject({ type: Entry.RunNeedsAttention, stepId: "charge" });
        return lease;
      }

      it("retry runs the step again and makes the run runnable", async () => {
        const c = get();
        const lease = await stuck(c);
        await c.journal.resolveAttention(WS, lease.runId, "charge", { action: "retry" });
        const step = (await c.journal.loadSteps(WS, lease.runId)).find((s) => s.stepId === "charge");
        expect(step?.status).toBe("retrying");
        expect(step?.output).toBeUndefined();
        const [again] = await c.claim({ owner: "w2" });
        expect(again?.runId).toBe(lease.runId);
        expect(await c.status(lease.runId)).toBe("running");
      });

      it("skip commits the given output as the step's result", async () => {
        const c = get();
        const lease = await stuck(c);
        await c.journal.resolveAttention(WS, lease.runId, "charge", {
          action: "skip",
          output: encodePayload({ manual: 1 }, "o"),
        });
        const steps = await c.journal.loadSteps(WS, lease.runId);
        expect(steps.map((s) => [s.stepId, s.status, s.output])).toEqual([
          ["before", "completed", "b"],
          ["charge", "completed", { manual: 1 }],
        ]);
        expect((await c.claim({ owner: "w2" })).map((l) => l.runId)).toEqual([lease.runId]);
      });

      it("refuses a run or step that is not waiting for a decision", async () => {
        const c = get();
        const lease = await stuck(c);
        await expectCode(
          c.journal.resolveAttention(WS, lease.runId, "before", { action: "retry" }),
          "CAIRN_STEP_NOT_FOUND",
        );
        await expectCode(
          c.journal.resolveAttention(WS, "run_missing", "charge", { action: "retry" }),
          "CAIRN_RUN_NOT_FOUND",
        );
        const other = await c.create();
        await expectCode(
          c.journal.resolveAttention(WS, other.id, "charge", { action: "retry" }),
          "CAIRN_STEP_NOT_FOUND",
        );
      });
    });

    it("readEntries lists the run's log in order, and after a given seq", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.commitStep(lease, c.step("one", 0, 1));
      await c.journal.commitStep(lease, c.step("two", 1, 2));
      await c.journal.completeRun(lease, encodePayload(3, "out"));
      await c.create(); // another run's entries stay out
      const entries = await c.journal.readEntries(WS, lease.runId);
      expect(entries.map((e) => [e.type, e.stepId])).toEqual([
        [Entry.RunCreated, null],
        [Entry.RunStarted, null],
        [Entry.StepEnded, "one"],
        [Entry.StepEnded, "two"],
        [Entry.RunEnded, null],
      ]);
      for (const e of entries) expect(e.runId).toBe(lease.runId);
      const seqs = entries.map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(entries.at(-1)?.data).toMatchObject({ status: "completed" });
      const later = await c.journal.readEntries(WS, lease.runId, entries[2]!.seq);
      expect(later.map((e) => e.stepId ?? e.type)).toEqual(["two", Entry.RunEnded]);
      expect(await c.journal.readEntries(WS, lease.runId, entries.at(-1)!.seq)).toEqual([]);
    });
  });
}
