import { describe, expect, it } from "vitest";
import type { Ctx } from "./context.js";
import { WS, error } from "./context.js";

/** Runs handed back after an error that was not theirs: the delay, the count, the report. */
export function handBackTests(get: () => Ctx): void {
  describe("releaseRun with a hand-back", () => {
    it("makes the run runnable only after the delay, names the error, and counts hand-backs into the next claim", async () => {
      const c = get();
      const lease = await c.started();
      expect(lease.handBacks).toBe(0);
      await c.journal.releaseRun(lease, {
        error: error("disk full", "CAIRN_STORE"),
        handBacks: 2,
        delayMs: 1_000,
      });
      const run = await c.journal.getRunSummary(WS, lease.runId);
      expect(run).toMatchObject({ status: "queued", leaseOwner: null, wakeAt: c.clock.now() + 1_000 });
      expect(run?.reason).toContain("disk full");
      expect(await c.claim({ owner: "w2" })).toEqual([]);
      expect(await c.journal.nextWakeAt(WS, ["wf"])).toBe(c.clock.now() + 1_000);
      c.clock.advance(1_000);
      const [again] = await c.claim({ owner: "w2" });
      expect(again).toMatchObject({ runId: lease.runId, handBacks: 2 });
      const released = (await c.journal.readEntries(WS, lease.runId)).filter(
        (e) => e.type === "run.released",
      );
      expect(released.at(-1)?.data).toMatchObject({
        error: { message: "disk full", code: "CAIRN_STORE" },
        handBacks: 2,
        wakeAt: c.clock.now(),
      });
    });

    it("logs a stalled run as run.stalled and shows why as its reason", async () => {
      const c = get();
      const lease = await c.started();
      const stalled = "stopped 3 times in a row by: disk full";
      await c.journal.releaseRun(lease, { error: error("disk full"), handBacks: 3, delayMs: 0, stalled });
      expect((await c.journal.getRunSummary(WS, lease.runId))?.reason).toBe(stalled);
      const entries = await c.journal.readEntries(WS, lease.runId);
      expect(entries.find((e) => e.type === "run.stalled")?.data).toMatchObject({
        message: stalled,
        handBacks: 3,
        error: { message: "disk full" },
      });
      const [again] = await c.claim({ owner: "w2" });
      expect(again?.handBacks).toBe(3);
      expect((await c.journal.getRunSummary(WS, lease.runId))?.reason).toBeNull();
    });

    it("a plain release, a suspension or a retry of the run resets its count", async () => {
      const c = get();
      const hb = { error: error("disk full"), handBacks: 4, delayMs: 0 };
      const first = await c.started();
      await c.journal.releaseRun(first, hb);
      const second = await c.claimOne(first.runId, { owner: "w2" });
      expect(second.handBacks).toBe(4);
      await c.journal.releaseRun(second);
      expect((await c.claimOne(first.runId, { owner: "w3" })).handBacks).toBe(0);

      const waiting = await c.started();
      await c.journal.releaseRun(waiting, hb);
      const back = await c.claimOne(waiting.runId, { owner: "w2" });
      await c.journal.registerWait(back, {
        stepId: "nap",
        seq: 0,
        kind: "sleep",
        startedAt: c.clock.now(),
        dueAt: c.clock.now() + 10,
      });
      await c.journal.suspendRun(back);
      c.clock.advance(10);
      expect((await c.claimOne(waiting.runId, { owner: "w3" })).handBacks).toBe(0);

      const retried = await c.started();
      await c.journal.releaseRun(retried, hb);
      const again = await c.claimOne(retried.runId, { owner: "w2" });
      await c.journal.retryRun(again, error("the workflow threw"), c.clock.now());
      expect((await c.claimOne(retried.runId, { owner: "w3" })).handBacks).toBe(0);
    });
  });
}
