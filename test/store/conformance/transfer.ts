import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/shared/errors.js";
import { encodePayload } from "../../../src/shared/payload.js";
import { Entry } from "../../../src/store/entry-types.js";
import type { Journal } from "../../../src/store/journal.js";
import type { Ctx } from "./context.js";
import { WF, WS, error, expectCode } from "./context.js";

const OTHER = "imported";

/** A parent run with a child, a large (blob) step output, a failed attempt, an event wait and an approval. */
export async function richRun(c: Ctx): Promise<{ parentId: string; childId: string }> {
  const parent = await c.started({ data: { order: 7 }, version: "hash:abcabcabcabc" });
  const big = "x".repeat(100 * 1024);
  await c.journal.commitStep(parent, c.step("load", 0, { big }));
  await c.journal.recordRetry(parent, {
    stepId: "charge",
    seq: 1,
    kind: "run",
    attempt: 1,
    startedAt: c.clock.now(),
    sideEffect: false,
    error: error("503"),
    endedAt: c.clock.now(),
    retryAt: c.clock.now(),
  });
  await c.journal.commitStep(parent, c.step("charge", 1, { charged: true }, { attempt: 2 }));
  await c.journal.registerWait(parent, {
    stepId: "paid",
    seq: 2,
    kind: "event",
    startedAt: c.clock.now(),
    eventName: "order.paid",
  });
  await c.journal.sendEvent(
    WS,
    { id: "evt_paid", name: "order.paid", data: encodePayload({ ok: true }, "d") },
    [],
  );
  await c.journal.settleWait(parent, parent.runId, "paid");
  await c.journal.registerWait(parent, {
    stepId: "review",
    seq: 3,
    kind: "approval",
    startedAt: c.clock.now(),
    approval: { id: "apr_transfer1", title: "ship it?", request: encodePayload({ order: 7 }, "r") },
  });
  const child = c.newRun({
    workflow: "child",
    parentRunId: parent.runId,
    parentStepId: "call",
    data: { q: 1 },
  });
  await c.journal.registerWait(parent, {
    stepId: "call",
    seq: 4,
    kind: "child",
    startedAt: c.clock.now(),
    child,
  });
  await c.journal.suspendRun(parent);
  return { parentId: parent.runId, childId: child.id };
}

/** What a run looks like through the journal, with its workspace left out. */
export async function snapshot(journal: Journal, ws: string, runId: string): Promise<unknown> {
  const run = await journal.getRun(ws, runId);
  return {
    run: { ...run, workspace: undefined },
    steps: await journal.loadSteps(ws, runId),
    attempts: await journal.loadAttempts(ws, runId),
    entries: await journal.readEntries(ws, runId),
    approvals: (await journal.listApprovals(ws, { runId })).map((a) => ({ ...a, workspace: undefined })),
    waits: await Promise.all(["paid", "review", "call"].map((s) => journal.getWait(ws, runId, s))),
  };
}

/** exportRun and importRun: a run's journal moved whole, into another workspace here. */
export function transferTests(get: () => Ctx): void {
  describe("exportRun / importRun", () => {
    it("moves a run and the runs under it with steps, attempts, waits, log, approvals, events and blobs", async () => {
      const c = get();
      const { parentId, childId } = await richRun(c);
      const exported = await c.journal.exportRun(WS, parentId);
      expect(exported).toMatchObject({ cairn: "run-export", version: 1, runId: parentId });
      expect(exported.tables.runs.map((r) => r.id).sort()).toEqual([parentId, childId].sort());
      expect(exported.tables.events.map((e) => e.id)).toEqual(["evt_paid"]);
      expect(exported.blobs).toHaveLength(1);
      // Through JSON, as a file carries it.
      const result = await c.journal.importRun(
        OTHER,
        JSON.parse(JSON.stringify(exported)) as typeof exported,
      );
      expect(result).toMatchObject({ runId: parentId, runs: 2, steps: 5 });
      expect(await snapshot(c.journal, OTHER, parentId)).toEqual(await snapshot(c.journal, WS, parentId));
      expect((await c.journal.getRun(OTHER, childId))?.input).toEqual({ q: 1 });
      expect(((await c.journal.loadSteps(OTHER, parentId))[0]?.output as { big: string }).big).toHaveLength(
        100 * 1024,
      );
      // Its state changes are in this workspace's feed, as the live lists read it.
      const feed = (ws: string) =>
        c.journal
          .readFeed(ws, undefined, 100)
          .then((items) => items.map((i) => `${i.runId} ${i.seq} ${i.type}`).sort());
      const moved = (await feed(WS)).filter((i) => i.startsWith(parentId) || i.startsWith(childId));
      expect(await feed(OTHER)).toEqual(moved);
      expect(await feed(OTHER)).toContain(`${parentId} 1 ${Entry.RunCreated}`);
      // The imported run lives on here: its log goes on after the entries it brought.
      const before = (await c.journal.readEntries(OTHER, parentId)).length;
      expect(await c.journal.requestCancel(OTHER, parentId, "moved")).toBe("cancelled");
      const after = await c.journal.readEntries(OTHER, parentId);
      expect(after.length).toBeGreaterThan(before);
      expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => i + 1));
      expect(await c.status(parentId)).toBe("waiting");
    });

    it("refuses to import a run that is already there, changing nothing; an unknown run cannot be exported", async () => {
      const c = get();
      const lease = await c.started();
      await c.journal.completeRun(lease, encodePayload({ done: 1 }, "out"));
      const exported = await c.journal.exportRun(WS, lease.runId);
      await c.journal.importRun(OTHER, exported);
      const entries = await c.journal.readEntries(OTHER, lease.runId);
      const again = await expectCode(c.journal.importRun(OTHER, exported), ErrorCode.Conflict);
      expect(again.message).toContain(`run ${lease.runId} is already in this store`);
      expect(await c.journal.readEntries(OTHER, lease.runId)).toEqual(entries);
      await expectCode(c.journal.exportRun(WS, "run_missing"), ErrorCode.RunNotFound);
      expect((await c.journal.listRuns(OTHER, { workflow: WF })).map((r) => r.status)).toEqual(["completed"]);
    });
  });
}
