import { describe, expect, it } from "vitest";
import { encodePayload } from "../../../src/shared/payload.js";
import type { Ctx } from "./context.js";
import { WF, WS, expectCode } from "./context.js";

/** Cancellation, listing, and workspace isolation. */
export function controlTests(get: () => Ctx): void {
  describe("requestCancel", () => {
    it("cancels a queued run at once", async () => {
      const c = get();
      const run = await c.create();
      expect(await c.journal.requestCancel(WS, run.id, "not needed")).toBe("cancelled");
      expect(await c.journal.getRunSummary(WS, run.id)).toMatchObject({
        status: "cancelled",
        reason: "not needed",
      });
      expect(await c.claim()).toEqual([]);
    });

    it("cancels a waiting run at once, with its children, and drops its waits", async () => {
      const c = get();
      const parent = await c.started();
      const child = c.newRun({ workflow: "child", parentRunId: parent.runId, parentStepId: "call" });
      await c.journal.registerWait(parent, {
        stepId: "call",
        seq: 0,
        kind: "child",
        startedAt: c.clock.now(),
        child,
      });
      await c.journal.registerWait(parent, {
        stepId: "nap",
        seq: 1,
        kind: "sleep",
        startedAt: c.clock.now(),
        dueAt: c.clock.now() + 1_000,
      });
      await c.journal.suspendRun(parent);
      expect(await c.journal.requestCancel(WS, parent.runId, "stop")).toBe("cancelled");
      expect(await c.status(parent.runId)).toBe("cancelled");
      expect(await c.status(child.id)).toBe("cancelled");
      c.clock.advance(5_000);
      expect(await c.claim({ workflows: [WF, "child"] })).toEqual([]);
      expect(await c.journal.nextWakeAt(WS, [WF, "child"])).toBeUndefined();
      // Cancelling again is harmless.
      expect(await c.journal.requestCancel(WS, parent.runId, "again")).toBe("cancelled");
    });

    it("cancels a run that needs attention at once", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.recordIntent(lease, {
        stepId: "s",
        seq: 0,
        kind: "run",
        attempt: 1,
        startedAt: 0,
        sideEffect: true,
      });
      await c.journal.markNeedsAttention(lease, "s", "check");
      expect(await c.journal.requestCancel(WS, lease.runId, "give up")).toBe("cancelled");
      expect(await c.status(lease.runId)).toBe("cancelled");
    });

    it("tells a waiting parent when its child is cancelled", async () => {
      const c = get();
      const parent = await c.started();
      const child = c.newRun({ workflow: "child", parentRunId: parent.runId, parentStepId: "call" });
      await c.journal.registerWait(parent, {
        stepId: "call",
        seq: 0,
        kind: "child",
        startedAt: c.clock.now(),
        child,
      });
      await c.journal.suspendRun(parent);
      expect(await c.journal.requestCancel(WS, child.id, "no")).toBe("cancelled");
      const [again] = await c.claim({ owner: "w2" });
      expect(again?.runId).toBe(parent.runId);
      expect(await c.journal.settleWait(again!, parent.runId, "call")).toMatchObject({
        status: "child",
        childRunId: child.id,
        childStatus: "cancelled",
      });
    });

    it("asks a running run to stop: the next commitStep reports it", async () => {
      const c = get();
      const lease = await c.started();
      expect(await c.journal.commitStep(lease, c.step("one", 0, 1))).toEqual({ cancelRequested: false });
      expect(await c.journal.requestCancel(WS, lease.runId, "stop please")).toBe("running");
      expect(await c.journal.getRunSummary(WS, lease.runId)).toMatchObject({
        status: "running",
        cancelRequested: true,
      });
      expect(await c.journal.commitStep(lease, c.step("two", 1, 2))).toEqual({ cancelRequested: true });
      await c.journal.cancelRun(lease, "stop please");
      expect(await c.journal.getRunSummary(WS, lease.runId)).toMatchObject({
        status: "cancelled",
        leaseOwner: null,
      });
      expect((await c.journal.loadSteps(WS, lease.runId)).map((s) => s.stepId)).toEqual(["one", "two"]);
    });

    it("leaves an ended run as it is, and refuses an unknown run", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.completeRun(lease, encodePayload(1, "o"));
      expect(await c.journal.requestCancel(WS, lease.runId, "late")).toBe("completed");
      expect(await c.status(lease.runId)).toBe("completed");
      await expectCode(c.journal.requestCancel(WS, "run_missing", "x"), "CAIRN_RUN_NOT_FOUND");
    });
  });

  describe("listRuns", () => {
    it("filters by status, workflow and parent, newest first, with a limit", async () => {
      const c = get();
      const a = await c.create();
      c.clock.advance(1);
      const b = await c.create({ workflow: "other" });
      c.clock.advance(1);
      const lease = await c.started();
      const child = c.newRun({ workflow: "child", parentRunId: lease.runId, parentStepId: "call" });
      await c.journal.registerWait(lease, {
        stepId: "call",
        seq: 0,
        kind: "child",
        startedAt: c.clock.now(),
        child,
      });
      const ids = async (filter?: Parameters<typeof c.journal.listRuns>[1]) =>
        (await c.journal.listRuns(WS, filter)).map((r) => r.id);

      expect(await ids()).toHaveLength(4);
      expect((await ids()).slice(-2)).toEqual([b.id, a.id]);
      expect(await ids({ status: "queued" })).toEqual(expect.arrayContaining([a.id, b.id, child.id]));
      expect(await ids({ status: "queued" })).toHaveLength(3);
      expect(await ids({ status: "running" })).toEqual([lease.runId]);
      expect(await ids({ workflow: "other" })).toEqual([b.id]);
      expect(await ids({ workflow: WF, status: "queued" })).toEqual([a.id]);
      expect(await ids({ parentRunId: lease.runId })).toEqual([child.id]);
      expect(await ids({ status: "failed" })).toEqual([]);
      expect(await ids({ limit: 2 })).toHaveLength(2);
    });
  });

  describe("workspaces", () => {
    it("creates a workspace on first use and keeps runs, events and claims apart", async () => {
      const c = get();
      const inA = await c.journal.createRun(c.newRun({ workspace: "a", idempotencyKey: "same" }));
      expect(inA.created).toBe(true);
      expect(inA.run.workspace).toBe("a");
      const inB = await c.journal.createRun(c.newRun({ workspace: "b", idempotencyKey: "same" }));
      expect(inB.created).toBe(true);

      expect(await c.journal.getRun("b", inA.run.id)).toBeUndefined();
      expect(await c.journal.getRunSummary("b", inA.run.id)).toBeUndefined();
      expect((await c.journal.getRun("a", inA.run.id))?.workspace).toBe("a");
      expect((await c.journal.listRuns("a")).map((r) => r.id)).toEqual([inA.run.id]);
      expect(await c.journal.listRuns(WS)).toEqual([]);
      expect(await c.journal.readEntries("b", inA.run.id)).toEqual([]);
      await expectCode(c.journal.requestCancel("b", inA.run.id, "x"), "CAIRN_RUN_NOT_FOUND");

      expect(await c.claim({ workspace: WS })).toEqual([]);
      const [leaseA] = await c.claim({ workspace: "a" });
      expect(leaseA).toMatchObject({ workspace: "a", runId: inA.run.id });
      expect(await c.journal.listLeaseOwners("b", "")).toEqual([]);

      // An event in b resolves nothing in a.
      await c.journal.registerWait(leaseA!, {
        stepId: "e",
        seq: 0,
        kind: "event",
        startedAt: c.clock.now(),
        eventName: "ping",
      });
      await c.journal.suspendRun(leaseA!);
      const inBEvent = await c.journal.sendEvent(
        "b",
        { id: "evt_1", name: "ping", data: encodePayload(1, "d") },
        [],
      );
      expect(inBEvent.resumedRuns).toEqual([]);
      expect(await c.journal.listEvents("a")).toEqual([]);
      const inAEvent = await c.journal.sendEvent(
        "a",
        { id: "evt_1", name: "ping", data: encodePayload(2, "d") },
        [],
      );
      expect(inAEvent).toMatchObject({ created: true, resumedRuns: [inA.run.id] });
      expect((await c.journal.listEvents("b")).map((e) => e.data)).toEqual([1]);

      // Large payloads live per workspace too.
      const big = { text: "x".repeat(200 * 1024) };
      const lease = (await c.claim({ workspace: "b" }))[0]!;
      await c.journal.commitStep(lease, c.step("big", 0, big));
      expect((await c.journal.loadSteps("b", lease.runId))[0]?.output).toEqual(big);
      expect(await c.journal.loadSteps("a", lease.runId)).toEqual([]);
    });

    it("an event in a fresh workspace can trigger runs there", async () => {
      const c = get();
      const trigger = c.newRun({ workspace: "fresh", workflow: "on-ping", idempotencyKey: "event:evt_f" });
      const sent = await c.journal.sendEvent(
        "fresh",
        { id: "evt_f", name: "ping", data: encodePayload(null, "d") },
        [trigger],
      );
      expect(sent).toMatchObject({ created: true, startedRuns: [trigger.id] });
      expect((await c.journal.listRuns("fresh")).map((r) => r.id)).toEqual([trigger.id]);
    });
  });
}
