import { describe, expect, it } from "vitest";
import { encodePayload } from "../../../src/shared/payload.js";
import { Entry } from "../../../src/store/entry-types.js";
import type { Ctx } from "./context.js";
import { TTL, WF, WS, error } from "./context.js";

/** createRun, claimRuns, leases. */
export function runTests(get: () => Ctx): void {
  describe("createRun", () => {
    it("creates a queued run, due now, with its input", async () => {
      const { journal, clock } = get();
      const now = clock.now();
      const result = await journal.createRun(get().newRun({ id: "run_1", data: { hello: ["world", 1] } }));
      expect(result.created).toBe(true);
      expect(result.cancelled).toEqual([]);
      expect(result.run).toMatchObject({
        id: "run_1",
        workspace: WS,
        workflow: WF,
        status: "queued",
        attempt: 1,
        createdAt: now,
        wakeAt: now,
        leaseOwner: null,
        leaseEpoch: 0,
        cancelRequested: false,
        parentRunId: null,
      });
      const run = await journal.getRun(WS, "run_1");
      expect(run?.input).toEqual({ hello: ["world", 1] });
      expect(run?.output).toBeUndefined();
      expect(await journal.getRun(WS, "run_nope")).toBeUndefined();
      expect(await journal.getRunSummary(WS, "run_nope")).toBeUndefined();
    });

    it("creates a run already failed: listed, ended in its log, never claimed, no singleton replaced", async () => {
      const c = get();
      const now = c.clock.now();
      const active = await c.create({ singleton: { key: "s", mode: "cancel" } });
      const refused = error(
        'event "order.paid" could not start workflow "wf": bad input',
        "CAIRN_INVALID_INPUT",
      );
      const result = await c.journal.createRun(
        c.newRun({ id: "run_refused", data: { ticket: 1 }, failed: refused, idempotencyKey: "event:e1" }),
      );
      expect(result).toMatchObject({ created: true, cancelled: [] });
      expect(result.run).toMatchObject({
        status: "failed",
        endedAt: now,
        wakeAt: null,
        reason: refused.message,
      });
      expect(await c.journal.getRun(WS, "run_refused")).toMatchObject({
        status: "failed",
        error: refused,
        input: { ticket: 1 },
      });
      expect((await c.journal.listRuns(WS, { status: "failed" })).map((r) => r.id)).toEqual(["run_refused"]);
      const log = await c.journal.readEntries(WS, "run_refused");
      expect(log.map((e) => e.type)).toEqual([Entry.RunCreated, Entry.RunEnded]);
      expect(log[1]?.data).toMatchObject({ status: "failed" });
      expect(await c.claimable("run_refused")).toBe(false);
      expect(await c.status(active.id)).toBe("queued");
      // Through an event's triggers, it is reported apart from the runs that started.
      const sent = await c.journal.sendEvent(
        WS,
        { id: "e2", name: "order.paid", data: encodePayload(1, "d") },
        [c.newRun({ failed: refused }), c.newRun({ workflow: "other" })],
      );
      expect(sent.failedRuns).toHaveLength(1);
      expect(sent.startedRuns).toHaveLength(1);
      expect(await c.status(sent.failedRuns[0]!)).toBe("failed");
    });

    it("returns the existing run for a repeated idempotency key", async () => {
      const { journal } = get();
      const first = await journal.createRun(get().newRun({ idempotencyKey: "k1" }));
      const again = await journal.createRun(get().newRun({ idempotencyKey: "k1", data: { other: true } }));
      expect(again.created).toBe(false);
      expect(again.run.id).toBe(first.run.id);
      const other = await journal.createRun(get().newRun({ idempotencyKey: "k2" }));
      expect(other.created).toBe(true);
      expect(await journal.listRuns(WS)).toHaveLength(2);
    });

    it("singleton skip returns the active run, and creates a new one once it ended", async () => {
      const c = get();
      const singleton = { key: "s", mode: "skip" } as const;
      const first = await c.journal.createRun(c.newRun({ singleton }));
      const skipped = await c.journal.createRun(c.newRun({ singleton }));
      expect(skipped.created).toBe(false);
      expect(skipped.run.id).toBe(first.run.id);
      expect(await c.journal.listRuns(WS)).toHaveLength(1);

      const lease = await c.claimOne(first.run.id);
      const whileRunning = await c.journal.createRun(c.newRun({ singleton }));
      expect(whileRunning.run.id).toBe(first.run.id);
      await c.journal.completeRun(lease, { text: "1", bytes: 1 });
      const after = await c.journal.createRun(c.newRun({ singleton }));
      expect(after.created).toBe(true);
      expect(after.run.id).not.toBe(first.run.id);
    });

    it("singleton cancel cancels a queued run and asks a running one to stop", async () => {
      const c = get();
      const singleton = { key: "s", mode: "cancel" } as const;
      const queued = await c.create({ singleton });
      const second = await c.journal.createRun(c.newRun({ singleton }));
      expect(second.created).toBe(true);
      expect(second.cancelled).toEqual([queued.id]);
      expect(await c.status(queued.id)).toBe("cancelled");

      const lease = await c.claimOne(second.run.id);
      const third = await c.journal.createRun(c.newRun({ singleton }));
      expect(third.created).toBe(true);
      const old = await c.journal.getRunSummary(WS, second.run.id);
      // A running run with a live lease stops at its next step, or is already cancelled.
      expect(old?.status === "cancelled" || old?.cancelRequested === true).toBe(true);
      if (old?.status === "running") {
        expect(await c.journal.commitStep(lease, c.step("s1", 0, 1))).toEqual({ cancelRequested: true });
      }
      expect(await c.status(third.run.id)).toBe("queued");
    });

    it("singleton queue: runs of a key take turns in creation order, and a parked run keeps its turn", async () => {
      const c = get();
      const singleton = { key: "s", mode: "queue" } as const;
      // Made in the same millisecond of the store's clock: their order is their creation order.
      const [a, b, d] = [
        await c.create({ singleton }),
        await c.create({ singleton }),
        await c.create({ singleton }),
      ];
      const other = await c.create({ singleton: { key: "t", mode: "queue" } });
      expect(await c.journal.listRuns(WS)).toHaveLength(4);
      const first = await c.claim();
      expect(first.map((l) => l.runId).sort()).toEqual([a.id, other.id].sort());
      let lease = first.find((l) => l.runId === a.id)!;

      // a sleeps: it holds no process, but b and d still wait for it.
      const now = c.clock.now();
      await c.journal.registerWait(lease, {
        stepId: "nap",
        seq: 0,
        kind: "sleep",
        startedAt: now,
        dueAt: now + 1000,
      });
      await c.journal.suspendRun(lease);
      expect(await c.claim()).toEqual([]);
      c.clock.advance(1000);
      // a's timer is due: a resumes (its turn), b does not start beside it.
      const woken = await c.claim();
      expect(woken.map((l) => l.runId)).toEqual([a.id]);
      lease = woken[0]!;
      await c.journal.settleWait(lease, a.id, "nap");
      // a needs a person: still its turn.
      await c.journal.recordIntent(lease, {
        stepId: "pay",
        seq: 1,
        kind: "run",
        attempt: 1,
        startedAt: now,
        sideEffect: true,
      });
      await c.journal.markNeedsAttention(lease, "pay", "check");
      expect(await c.claim()).toEqual([]);
      expect(await c.status(b.id)).toBe("queued");

      expect(await c.journal.requestCancel(WS, a.id, "give up")).toBe("cancelled");
      const second = await c.claim();
      expect(second.map((l) => l.runId)).toEqual([b.id]);
      await c.journal.completeRun(second[0]!, { text: "1", bytes: 1 });
      expect((await c.claim()).map((l) => l.runId)).toEqual([d.id]);
    });

    it("a run with runAt in the future is not claimable until the clock reaches it", async () => {
      const c = get();
      const runAt = c.clock.now() + 60_000;
      const run = await c.create({ runAt });
      expect(run.wakeAt).toBe(runAt);
      expect(await c.journal.nextWakeAt(WS, [WF])).toBe(runAt);
      expect(await c.claim()).toEqual([]);
      c.clock.advance(59_999);
      expect(await c.claim()).toEqual([]);
      c.clock.advance(1);
      const leases = await c.claim();
      expect(leases.map((l) => l.runId)).toEqual([run.id]);
    });
  });

  describe("claimRuns", () => {
    it("claims due queued runs, bumping the epoch, and no run twice", async () => {
      const c = get();
      const a = await c.create();
      const b = await c.create();
      const now = c.clock.now();
      const leases = await c.claim({ owner: "w1" });
      expect(leases.map((l) => l.runId).sort()).toEqual([a.id, b.id].sort());
      for (const l of leases) {
        expect(l).toMatchObject({ workspace: WS, owner: "w1", epoch: 1, expiresAt: now + TTL });
        const run = await c.journal.getRunSummary(WS, l.runId);
        expect(run).toMatchObject({ status: "running", leaseOwner: "w1", leaseEpoch: 1, startedAt: now });
      }
      expect(await c.claim({ owner: "w2" })).toEqual([]);
      expect(await c.journal.listLeaseOwners(WS, "w")).toEqual(["w1"]);
      expect(await c.journal.listLeaseOwners(WS, "x")).toEqual([]);
    });

    it("claims only runs of the requested workflows, and at most `limit`", async () => {
      const c = get();
      await c.create({ workflow: "other" });
      for (let i = 0; i < 5; i++) await c.create();
      expect(await c.claim({ workflows: ["nothing"] })).toEqual([]);
      expect(await c.claim({ workflows: [] })).toEqual([]);
      expect(await c.claim({ limit: 2 })).toHaveLength(2);
      expect(await c.claim({ limit: 10 })).toHaveLength(3);
      const others = await c.claim({ workflows: ["other", WF] });
      expect(others).toHaveLength(1);
      expect((await c.journal.getRunSummary(WS, others[0]!.runId))?.workflow).toBe("other");
    });

    it("respects concurrency limits per key", async () => {
      const c = get();
      const k = { key: "tenant-1", limit: 2 };
      const runs = [
        await c.create({ concurrency: k }),
        await c.create({ concurrency: k }),
        await c.create({ concurrency: k }),
      ];
      const free = await c.create({ concurrency: { key: "tenant-2", limit: 2 } });
      const leases = await c.claim({ limit: 10 });
      expect(leases).toHaveLength(3);
      expect(leases.map((l) => l.runId)).toContain(free.id);
      expect(await c.claim()).toEqual([]);
      const done = leases.find((l) => l.runId !== free.id)!;
      await c.journal.completeRun(done, { text: "null", bytes: 4 });
      const next = await c.claim();
      expect(next).toHaveLength(1);
      expect(runs.map((r) => r.id)).toContain(next[0]!.runId);
      expect(next[0]!.runId).not.toBe(done.runId);
    });

    it("a run blocked by its concurrency limit does not hold back other runnable runs", async () => {
      const c = get();
      const k = { key: "tenant-1", limit: 1 };
      await c.started({ concurrency: k });
      for (let i = 0; i < 12; i++) await c.create({ concurrency: k });
      c.clock.advance(1);
      const free = await c.create();
      const leases = await c.claim({ limit: 1, owner: "w2" });
      expect(leases.map((l) => l.runId)).toEqual([free.id]);
    });

    it("takes over a running run whose lease expired, and not one with a live lease", async () => {
      const c = get();
      const old = await c.started({}, "w1");
      c.clock.advance(TTL - 1);
      expect(await c.claim({ owner: "w2" })).toEqual([]);
      expect(await c.journal.claimRun(c.request({ owner: "w2" }), old.runId)).toBeUndefined();
      c.clock.advance(1);
      const [taken] = await c.claim({ owner: "w2" });
      expect(taken).toMatchObject({ runId: old.runId, owner: "w2", epoch: old.epoch + 1 });
      const run = await c.journal.getRunSummary(WS, old.runId);
      expect(run).toMatchObject({ status: "running", leaseOwner: "w2", leaseEpoch: old.epoch + 1 });
      const types = (await c.journal.readEntries(WS, old.runId)).map((e) => e.type);
      expect(types.filter((t) => t === Entry.RunStarted)).toHaveLength(2);
    });

    it("takes over a running run whose owner is listed as dead", async () => {
      const c = get();
      const old = await c.started({}, "host:1");
      expect(await c.claim({ owner: "host:2", deadOwners: ["host:9"] })).toEqual([]);
      const [taken] = await c.claim({ owner: "host:2", deadOwners: ["host:1"] });
      expect(taken).toMatchObject({ runId: old.runId, owner: "host:2", epoch: old.epoch + 1 });
    });

    it("claimRun claims one given runnable run only", async () => {
      const c = get();
      const a = await c.create();
      const b = await c.create();
      const lease = await c.journal.claimRun(c.request(), b.id);
      expect(lease?.runId).toBe(b.id);
      expect(await c.status(a.id)).toBe("queued");
      expect(await c.journal.claimRun(c.request(), b.id)).toBeUndefined();
      expect(await c.journal.claimRun(c.request(), "run_missing")).toBeUndefined();
      expect(await c.journal.claimRun(c.request({ workflows: ["other"] }), a.id)).toBeUndefined();
    });

    it("renewLease extends the lease from the store's clock", async () => {
      const c = get();
      const lease = await c.started();
      c.clock.advance(TTL - 10);
      const renewed = await c.journal.renewLease(lease, TTL);
      expect(renewed).toMatchObject({
        runId: lease.runId,
        epoch: lease.epoch,
        expiresAt: c.clock.now() + TTL,
      });
      c.clock.advance(20);
      expect(await c.claim({ owner: "w2" })).toEqual([]);
      expect((await c.journal.getRunSummary(WS, lease.runId))?.leaseExpiresAt).toBe(renewed.expiresAt);
    });

    it("releaseRun hands the run back, runnable at once", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.releaseRun(lease);
      const run = await c.journal.getRunSummary(WS, lease.runId);
      expect(run).toMatchObject({ status: "queued", leaseOwner: null });
      const [again] = await c.claim({ owner: "w2" });
      expect(again).toMatchObject({ runId: lease.runId, epoch: lease.epoch + 1 });
    });

    it("completeRun and failRun end the run and release the lease", async () => {
      const c = get();
      const a = await c.started();
      c.clock.advance(5);
      await c.journal.completeRun(a, { text: '{"ok":true}', bytes: 11 });
      const done = await c.journal.getRun(WS, a.runId);
      expect(done).toMatchObject({
        status: "completed",
        output: { ok: true },
        endedAt: c.clock.now(),
        leaseOwner: null,
      });
      const b = await c.started();
      await c.journal.failRun(b, { name: "Error", message: "boom", code: "E_BOOM" });
      const failed = await c.journal.getRun(WS, b.runId);
      expect(failed).toMatchObject({ status: "failed", error: { message: "boom", code: "E_BOOM" } });
      expect(await c.claim({ owner: "w2" })).toEqual([]);
      expect(await c.journal.nextWakeAt(WS, [WF])).toBeUndefined();
    });
  });
}
