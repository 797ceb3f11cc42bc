import { describe, expect, it } from "vitest";
import { encodePayload } from "../../../src/shared/payload.js";
import type { Journal } from "../../../src/store/journal.js";
import type { Lease } from "../../../src/store/records.js";
import type { Ctx } from "./context.js";
import { TTL, WS, error, expectCode } from "./context.js";

type Fenced = (j: Journal, lease: Lease, c: Ctx) => Promise<unknown>;

/** Every fenced method, called with a lease that is no longer current. */
const FENCED: [string, Fenced][] = [
  ["commitStep", (j, l, c) => j.commitStep(l, c.step("late", 5, { x: 1 }))],
  [
    "commitStep (failed)",
    (j, l, c) => j.commitStep(l, c.step("late", 5, undefined, { status: "failed", error: error("boom") })),
  ],
  [
    "recordIntent",
    (j, l, c) =>
      j.recordIntent(l, {
        stepId: "late",
        seq: 5,
        kind: "run",
        attempt: 1,
        startedAt: c.clock.now(),
        sideEffect: true,
      }),
  ],
  [
    "recordRetry",
    (j, l, c) =>
      j.recordRetry(l, {
        stepId: "late",
        seq: 5,
        kind: "run",
        attempt: 1,
        startedAt: c.clock.now(),
        sideEffect: false,
        error: error("flaky"),
        endedAt: c.clock.now(),
        retryAt: c.clock.now() + 1000,
      }),
  ],
  [
    "registerWait (sleep)",
    (j, l, c) =>
      j.registerWait(l, {
        stepId: "late",
        seq: 5,
        kind: "sleep",
        startedAt: c.clock.now(),
        dueAt: c.clock.now() + 10,
      }),
  ],
  [
    "registerWait (child)",
    (j, l, c) =>
      j.registerWait(l, {
        stepId: "late",
        seq: 5,
        kind: "child",
        startedAt: c.clock.now(),
        child: c.newRun({
          id: "run_late_child",
          workflow: "child",
          parentRunId: l.runId,
          parentStepId: "late",
        }),
      }),
  ],
  ["settleWait", (j, l) => j.settleWait(l, l.runId, "nap")],
  ["suspendRun", (j, l) => j.suspendRun(l)],
  ["completeRun", (j, l) => j.completeRun(l, encodePayload({ done: true }, "output"))],
  ["failRun", (j, l) => j.failRun(l, error("failed late"))],
  ["cancelRun", (j, l) => j.cancelRun(l, "late cancel")],
  ["retryRun", (j, l, c) => j.retryRun(l, error("retry late"), c.clock.now())],
  ["markNeedsAttention", (j, l) => j.markNeedsAttention(l, "side", "look")],
  ["releaseRun", (j, l) => j.releaseRun(l)],
  ["renewLease", (j, l) => j.renewLease(l, TTL)],
];

/** Everything a stale write could have touched, to compare before and after. */
async function snapshot(c: Ctx, runId: string): Promise<unknown> {
  const j = c.journal;
  const run = await j.getRun(WS, runId);
  return {
    run,
    steps: await j.loadSteps(WS, runId),
    attempts: await j.loadAttempts(WS, runId),
    entries: await j.readEntries(WS, runId),
    nap: await j.getWait(WS, runId, "nap"),
    lateWait: await j.getWait(WS, runId, "late"),
    child: await j.getRunSummary(WS, "run_late_child"),
    runs: (await j.listRuns(WS)).map((r) => [r.id, r.status]),
  };
}

/** Fencing: a worker whose lease was taken over can never write. */
export function fencingTests(get: () => Ctx): void {
  describe("fencing", () => {
    /** A run with some history, taken over by w2 after w1's lease expired; returns w1's stale lease. */
    async function takenOver(c: Ctx, sameOwner = false): Promise<{ stale: Lease; current: Lease }> {
      const stale = await c.started({}, "w1");
      await c.journal.commitStep(stale, c.step("first", 0, { a: 1 }));
      await c.journal.recordIntent(stale, {
        stepId: "side",
        seq: 1,
        kind: "run",
        attempt: 1,
        startedAt: c.clock.now(),
        sideEffect: true,
      });
      await c.journal.registerWait(stale, {
        stepId: "nap",
        seq: 2,
        kind: "sleep",
        startedAt: c.clock.now(),
        dueAt: c.clock.now() + 10,
      });
      c.clock.advance(TTL);
      const [current] = await c.claim({ owner: sameOwner ? "w1" : "w2" });
      expect(current?.runId).toBe(stale.runId);
      return { stale, current: current! };
    }

    for (const [name, call] of FENCED) {
      it(`${name} with a lease taken over by another owner throws CAIRN_LEASE_LOST and writes nothing`, async () => {
        const c = get();
        const { stale, current } = await takenOver(c);
        const before = await snapshot(c, stale.runId);
        const err = await expectCode(call(c.journal, stale, c), "CAIRN_LEASE_LOST");
        expect(err.message).toContain(stale.runId);
        expect(await snapshot(c, stale.runId)).toEqual(before);
        expect((await c.journal.loadSteps(WS, stale.runId)).map((s) => s.stepId)).not.toContain("late");
        // The new owner is unaffected.
        expect(await c.journal.commitStep(current, c.step("late", 5, 2))).toEqual({ cancelRequested: false });
      });
    }

    it("a lease from an older epoch of the same owner is fenced too", async () => {
      const c = get();
      const { stale, current } = await takenOver(c, true);
      expect(current.owner).toBe(stale.owner);
      expect(current.epoch).toBe(stale.epoch + 1);
      await expectCode(c.journal.commitStep(stale, c.step("late", 5, 1)), "CAIRN_LEASE_LOST");
      await expectCode(c.journal.renewLease(stale, TTL), "CAIRN_LEASE_LOST");
      await c.journal.completeRun(current, encodePayload(1, "output"));
    });

    it("a lease is dead once its run ended or was released", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.completeRun(lease, encodePayload("ok", "output"));
      await expectCode(c.journal.commitStep(lease, c.step("after", 0, 1)), "CAIRN_LEASE_LOST");
      await expectCode(c.journal.completeRun(lease, encodePayload("again", "output")), "CAIRN_LEASE_LOST");
      expect((await c.journal.getRun(WS, lease.runId))?.output).toBe("ok");
      expect(await c.journal.loadSteps(WS, lease.runId)).toEqual([]);

      const released = await c.started();
      await c.journal.releaseRun(released);
      await expectCode(c.journal.commitStep(released, c.step("after", 0, 1)), "CAIRN_LEASE_LOST");
      await expectCode(c.journal.renewLease(released, TTL), "CAIRN_LEASE_LOST");

      const suspended = await c.started();
      await c.journal.suspendRun(suspended);
      await expectCode(c.journal.commitStep(suspended, c.step("after", 0, 1)), "CAIRN_LEASE_LOST");
    });

    it("settleWait refuses a run other than the lease's", async () => {
      const c = get();
      const mine = await c.started();
      const other = await c.started({}, "w2");
      const dueAt = c.clock.now() + 10;
      await c.journal.registerWait(other, {
        stepId: "nap",
        seq: 0,
        kind: "sleep",
        startedAt: c.clock.now(),
        dueAt,
      });
      c.clock.advance(10);
      await c.journal.renewLease(mine, TTL);
      await expectCode(c.journal.settleWait(mine, other.runId, "nap"), "CAIRN_LEASE_LOST");
      expect((await c.journal.loadSteps(WS, other.runId))[0]?.status).toBe("waiting");
      expect((await c.journal.getWait(WS, other.runId, "nap"))?.resolvedAt).toBeNull();
    });

    it("a forged lease (wrong owner or future epoch) is refused", async () => {
      const c = get();
      const lease = await c.started();
      await expectCode(
        c.journal.commitStep({ ...lease, owner: "impostor" }, c.step("x", 0, 1)),
        "CAIRN_LEASE_LOST",
      );
      await expectCode(
        c.journal.commitStep({ ...lease, epoch: lease.epoch + 1 }, c.step("x", 0, 1)),
        "CAIRN_LEASE_LOST",
      );
      await expectCode(
        c.journal.completeRun({ ...lease, workspace: "elsewhere" }, encodePayload(1, "o")),
        "CAIRN_LEASE_LOST",
      );
      expect(await c.journal.loadSteps(WS, lease.runId)).toEqual([]);
    });
  });
}
