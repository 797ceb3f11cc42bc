import { describe, expect, it } from "vitest";
import { encodePayload } from "../../../src/shared/payload.js";
import type { Lease } from "../../../src/store/records.js";
import type { Ctx } from "./context.js";
import { WS, error } from "./context.js";

async function waitForEvent(
  c: Ctx,
  lease: Lease,
  stepId: string,
  match?: Record<string, unknown>,
  dueAt?: number,
) {
  return c.journal.registerWait(lease, {
    stepId,
    seq: 0,
    kind: "event",
    startedAt: c.clock.now(),
    eventName: "order.paid",
    ...(match ? { match } : {}),
    ...(dueAt !== undefined ? { dueAt } : {}),
  });
}

/** Sleeps, event waits, triggers and child runs. */
export function waitTests(get: () => Ctx): void {
  describe("sleep waits", () => {
    it("a suspended sleeping run becomes claimable at its due time and settles as a timeout", async () => {
      const c = get();
      const lease = await c.started();
      const dueAt = c.clock.now() + 60_000;
      await c.journal.registerWait(lease, {
        stepId: "nap",
        seq: 0,
        kind: "sleep",
        startedAt: c.clock.now(),
        dueAt,
      });
      expect(await c.journal.getWait(WS, lease.runId, "nap")).toMatchObject({
        kind: "sleep",
        dueAt,
        resolvedAt: null,
      });
      expect((await c.journal.loadSteps(WS, lease.runId))[0]).toMatchObject({
        stepId: "nap",
        kind: "sleep",
        status: "waiting",
      });
      expect(await c.journal.settleWait(lease, lease.runId, "nap")).toEqual({ status: "pending" });
      await c.journal.suspendRun(lease);
      const run = await c.journal.getRunSummary(WS, lease.runId);
      expect(run).toMatchObject({ status: "waiting", wakeAt: dueAt, leaseOwner: null });
      expect(run?.reason).toContain("nap");
      c.clock.advance(59_999);
      expect(await c.claim()).toEqual([]);
      c.clock.advance(1);
      const [again] = await c.claim({ owner: "w2" });
      expect(again?.runId).toBe(lease.runId);
      expect(await c.journal.settleWait(again!, lease.runId, "nap")).toEqual({ status: "timeout" });
      const [step] = await c.journal.loadSteps(WS, lease.runId);
      expect(step).toMatchObject({ stepId: "nap", status: "completed", endedAt: dueAt });
      expect((await c.journal.getWait(WS, lease.runId, "nap"))?.resolvedAt).toBe(dueAt);
      expect(await c.journal.getWait(WS, lease.runId, "nope")).toBeUndefined();
    });
  });

  describe("events", () => {
    it("sendEvent resolves matching waits only, wakes the run, and settleWait returns the event", async () => {
      const c = get();
      const yes = await c.started();
      const no = await c.started();
      const any = await c.started();
      await waitForEvent(c, yes, "paid", { "data.x": 1 });
      await waitForEvent(c, no, "paid", { "data.x": 2 });
      await waitForEvent(c, any, "paid");
      for (const l of [yes, no, any]) await c.journal.suspendRun(l);
      expect((await c.journal.getRunSummary(WS, yes.runId))?.wakeAt).toBeNull();
      expect(await c.claim()).toEqual([]);

      const sent = await c.journal.sendEvent(
        WS,
        { id: "evt_1", name: "order.paid", data: encodePayload({ x: 1, y: [2] }, "d") },
        [],
      );
      expect(sent).toMatchObject({ eventId: "evt_1", created: true, startedRuns: [] });
      expect([...sent.resumedRuns].sort()).toEqual([yes.runId, any.runId].sort());
      expect(await c.journal.getRunSummary(WS, yes.runId)).toMatchObject({
        status: "waiting",
        wakeAt: c.clock.now(),
      });
      expect((await c.journal.getWait(WS, yes.runId, "paid"))?.resolvedAt).toBe(c.clock.now());
      expect((await c.journal.getWait(WS, no.runId, "paid"))?.resolvedAt).toBeNull();

      const claimed = await c.claim({ owner: "w2" });
      expect(claimed.map((l) => l.runId).sort()).toEqual([yes.runId, any.runId].sort());
      const lease = claimed.find((l) => l.runId === yes.runId)!;
      const outcome = await c.journal.settleWait(lease, yes.runId, "paid");
      expect(outcome).toEqual({
        status: "event",
        event: { id: "evt_1", workspace: WS, name: "order.paid", data: { x: 1, y: [2] }, at: c.clock.now() },
      });
      const [step] = await c.journal.loadSteps(WS, yes.runId);
      expect(step).toMatchObject({ stepId: "paid", kind: "event", status: "completed" });
      expect(step?.output).toMatchObject({ id: "evt_1", name: "order.paid", data: { x: 1, y: [2] } });
      expect(await c.status(no.runId)).toBe("waiting");
    });

    it("a match with an undefined value is refused, never stored as a wildcard", async () => {
      const c = get();
      const lease = await c.started();
      await expect(waitForEvent(c, lease, "paid", { "data.orderId": undefined })).rejects.toMatchObject({
        code: "CAIRN_INVALID_INPUT",
        message: expect.stringContaining('match["data.orderId"] is undefined') as unknown,
      });
      expect(await c.journal.getWait(WS, lease.runId, "paid")).toBeUndefined();
      // A key the event lacks never matches, whatever the wait expects.
      await waitForEvent(c, lease, "paid", { "data.orderId": null });
      await c.journal.suspendRun(lease);
      const sent = await c.journal.sendEvent(
        WS,
        { name: "order.paid", data: encodePayload({ total: 5 }, "d") },
        [],
      );
      expect(sent.resumedRuns).toEqual([]);
    });

    it("an event that arrives while the run is still running wakes it as soon as it suspends", async () => {
      const c = get();
      const lease = await c.started();
      await waitForEvent(c, lease, "paid");
      await c.journal.sendEvent(WS, { name: "order.paid", data: encodePayload(null, "d") }, []);
      await c.journal.suspendRun(lease);
      expect((await c.claim({ owner: "w2" })).map((l) => l.runId)).toEqual([lease.runId]);
    });

    it("an event arriving after the wait's due time does not resolve it; the wait times out", async () => {
      const c = get();
      const lease = await c.started();
      const dueAt = c.clock.now() + 1_000;
      await waitForEvent(c, lease, "paid", undefined, dueAt);
      await c.journal.suspendRun(lease);
      expect((await c.journal.getRunSummary(WS, lease.runId))?.wakeAt).toBe(dueAt);
      c.clock.advance(2_000);
      const sent = await c.journal.sendEvent(WS, { name: "order.paid", data: encodePayload({}, "d") }, []);
      expect(sent.resumedRuns).toEqual([]);
      expect((await c.journal.getWait(WS, lease.runId, "paid"))?.resolvedAt).toBeNull();
      const [again] = await c.claim({ owner: "w2" });
      expect(await c.journal.settleWait(again!, lease.runId, "paid")).toEqual({ status: "timeout" });
      expect((await c.journal.loadSteps(WS, lease.runId))[0]?.status).toBe("completed");
    });

    it("sendEvent is idempotent by event id", async () => {
      const c = get();
      const a = await c.started();
      await waitForEvent(c, a, "paid");
      await c.journal.suspendRun(a);
      const event = { id: "evt_same", name: "order.paid", data: encodePayload({ n: 1 }, "d") };
      expect((await c.journal.sendEvent(WS, event, [])).resumedRuns).toEqual([a.runId]);
      const b = await c.started();
      await waitForEvent(c, b, "paid");
      await c.journal.suspendRun(b);
      const again = await c.journal.sendEvent(WS, { ...event, data: encodePayload({ n: 2 }, "d") }, []);
      expect(again).toEqual({
        eventId: "evt_same",
        created: false,
        resumedRuns: [],
        startedRuns: [],
        failedRuns: [],
      });
      expect((await c.journal.getWait(WS, b.runId, "paid"))?.resolvedAt).toBeNull();
      const events = await c.journal.listEvents(WS, { name: "order.paid" });
      expect(events).toEqual([
        { id: "evt_same", workspace: WS, name: "order.paid", data: { n: 1 }, at: c.clock.now() },
      ]);
    });

    it("sendEvent creates the runs it triggers, once per event id", async () => {
      const c = get();
      const trigger = () =>
        c.newRun({ workflow: "on-paid", data: { from: "event" }, idempotencyKey: "event:evt_t" });
      const first = trigger();
      const sent = await c.journal.sendEvent(
        WS,
        { id: "evt_t", name: "order.paid", data: encodePayload(1, "d") },
        [first],
      );
      expect(sent.startedRuns).toEqual([first.id]);
      const again = await c.journal.sendEvent(
        WS,
        { id: "evt_t", name: "order.paid", data: encodePayload(1, "d") },
        [trigger()],
      );
      expect(again.startedRuns).toEqual([]);
      const runs = await c.journal.listRuns(WS, { workflow: "on-paid" });
      expect(runs.map((r) => r.id)).toEqual([first.id]);
      expect((await c.journal.getRun(WS, first.id))?.input).toEqual({ from: "event" });
      const other = await c.journal.sendEvent(
        WS,
        { id: "evt_u", name: "order.paid", data: encodePayload(2, "d") },
        [c.newRun({ workflow: "on-paid", idempotencyKey: "event:evt_u" })],
      );
      expect(other.startedRuns).toHaveLength(1);
      expect(await c.journal.listRuns(WS, { workflow: "on-paid" })).toHaveLength(2);
    });

    it("a send step's event is stored, matched and triggered with the step commit", async () => {
      const c = get();
      const waiter = await c.started();
      await waitForEvent(c, waiter, "paid");
      await c.journal.suspendRun(waiter);
      const sender = await c.started();
      const triggered = c.newRun({ workflow: "on-paid", idempotencyKey: "event:evt_s" });
      await c.journal.commitStep(sender, {
        ...c.step("send", 0, { eventId: "evt_s" }),
        kind: "send",
        event: {
          event: { id: "evt_s", name: "order.paid", data: encodePayload({ ok: 1 }, "d") },
          triggers: [triggered],
        },
      });
      expect((await c.journal.getWait(WS, waiter.runId, "paid"))?.resolvedAt).toBe(c.clock.now());
      expect(await c.status(triggered.id)).toBe("queued");
      expect((await c.journal.listEvents(WS)).map((e) => e.id)).toEqual(["evt_s"]);
    });
  });

  describe("child runs", () => {
    async function withChild(c: Ctx) {
      const parent = await c.started();
      const child = c.newRun({
        workflow: "child",
        parentRunId: parent.runId,
        parentStepId: "call",
        data: { q: 1 },
      });
      await c.journal.registerWait(parent, {
        stepId: "call",
        seq: 0,
        kind: "child",
        startedAt: c.clock.now(),
        child,
      });
      return { parent, childId: child.id };
    }

    it("registerWait creates the child; its completion resolves the wait and wakes the parent", async () => {
      const c = get();
      const { parent, childId } = await withChild(c);
      expect(await c.journal.getRunSummary(WS, childId)).toMatchObject({
        status: "queued",
        workflow: "child",
        parentRunId: parent.runId,
        parentStepId: "call",
      });
      expect(await c.journal.getWait(WS, parent.runId, "call")).toMatchObject({
        kind: "child",
        childRunId: childId,
        resolvedAt: null,
      });
      expect((await c.journal.loadSteps(WS, parent.runId))[0]).toMatchObject({
        kind: "invoke",
        status: "waiting",
      });
      expect(await c.journal.settleWait(parent, parent.runId, "call")).toEqual({ status: "pending" });
      await c.journal.suspendRun(parent);
      expect(await c.claim()).toEqual([]);

      const [childLease] = await c.claim({ owner: "w2", workflows: ["child"] });
      expect(childLease?.runId).toBe(childId);
      await c.journal.commitStep(childLease!, c.step("inner", 0, 1));
      await c.journal.completeRun(childLease!, encodePayload({ answer: 42 }, "out"));

      expect((await c.journal.getWait(WS, parent.runId, "call"))?.resolvedAt).toBe(c.clock.now());
      const [again] = await c.claim({ owner: "w3" });
      expect(again?.runId).toBe(parent.runId);
      const outcome = await c.journal.settleWait(again!, parent.runId, "call");
      expect(outcome).toEqual({
        status: "child",
        childRunId: childId,
        childStatus: "completed",
        output: { answer: 42 },
        error: null,
      });
      expect((await c.journal.loadSteps(WS, parent.runId))[0]?.status).toBe("completed");
    });

    it("registering the same child wait again (a retried call) creates the child once", async () => {
      const c = get();
      const parent = await c.started();
      const child = c.newRun({ workflow: "child", parentRunId: parent.runId, parentStepId: "call" });
      const wait = { stepId: "call", seq: 0, kind: "child" as const, startedAt: c.clock.now(), child };
      await c.journal.registerWait(parent, wait);
      await c.journal.registerWait(parent, wait);
      expect((await c.journal.listRuns(WS, { parentRunId: parent.runId })).map((r) => r.id)).toEqual([
        child.id,
      ]);
      expect((await c.journal.getWait(WS, parent.runId, "call"))?.childRunId).toBe(child.id);
    });

    it("a failed child resolves the wait with its error", async () => {
      const c = get();
      const { parent, childId } = await withChild(c);
      await c.journal.suspendRun(parent);
      const [childLease] = await c.claim({ owner: "w2", workflows: ["child"] });
      await c.journal.failRun(childLease!, error("child broke", "E_CHILD"));
      const [again] = await c.claim({ owner: "w3" });
      const outcome = await c.journal.settleWait(again!, parent.runId, "call");
      expect(outcome).toMatchObject({
        status: "child",
        childRunId: childId,
        childStatus: "failed",
        error: { message: "child broke" },
      });
    });

    it("a child created with an existing idempotency key is reused, and an ended one resolves at once", async () => {
      const c = get();
      const lease = await c.started();
      const existing = await c.started({ workflow: "child", idempotencyKey: "k" });
      await c.journal.completeRun(existing, encodePayload("done before", "o"));
      const child = c.newRun({
        workflow: "child",
        parentRunId: lease.runId,
        parentStepId: "call",
        idempotencyKey: "k",
      });
      await c.journal.registerWait(lease, {
        stepId: "call",
        seq: 0,
        kind: "child",
        startedAt: c.clock.now(),
        child,
      });
      expect((await c.journal.getWait(WS, lease.runId, "call"))?.childRunId).toBe(existing.runId);
      expect(await c.journal.settleWait(lease, lease.runId, "call")).toMatchObject({
        status: "child",
        childRunId: existing.runId,
        output: "done before",
      });
    });
  });
}
