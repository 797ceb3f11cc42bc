import { describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow } from "../../src/engine/workflow.js";
import type { Harness } from "../helpers.js";
import { harness } from "../helpers.js";

/** A workflow triggered by `event` whose schema the events below do not satisfy. */
function strict(event: string) {
  return workflow("strict", async ({ input }) => input, {
    input: z.object({ ticket: z.string() }),
    triggers: [{ event }],
  });
}

/** Any other workflow triggered by the same event, with no schema: it must start as usual. */
function lenient(event: string) {
  return workflow("lenient", async ({ input }) => input, { triggers: [{ event }] });
}

const waiter = workflow("waiter", async ({ step }) => {
  const ev = await step.waitForEvent<{ orderId: number }>("paid", { event: "order.paid" });
  return ev?.data.orderId ?? null;
});

/** The strict workflow's one run: failed at once, visibly, naming the event and the problem. */
async function expectRefusedRun(h: Harness, event: string): Promise<string> {
  const failed = await h.journal.listRuns("default", { status: "failed", workflow: "strict" });
  expect(failed).toHaveLength(1);
  const run = failed[0]!;
  expect(run.error?.code).toBe("CAIRN_INVALID_INPUT");
  expect(run.error?.message).toContain(`event "${event}"`);
  expect(run.error?.message).toContain('could not start workflow "strict"');
  expect(run.error?.message).toContain("ticket");
  expect(run.endedAt).not.toBeNull();
  const log = (await h.journal.readEntries("default", run.id)).map((e) => e.type);
  expect(log).toEqual(["run.created", "run.ended"]);
  await h.drain();
  expect((await h.journal.getRunSummary("default", run.id))?.status).toBe("failed");
  return run.id;
}

describe("a triggered workflow's schema does not block the event", () => {
  it("engine.send stores the event, resumes the waiting run and starts other triggers", async () => {
    const h = await harness([strict("order.paid"), lenient("order.paid"), waiter]);
    const w = await h.engine.start(waiter);
    await h.drain();
    const sent = await h.engine.send({ name: "order.paid", data: { orderId: 7 } });
    expect(sent.resumedRuns).toEqual([w.runId]);
    expect(sent.startedRuns).toHaveLength(1);
    expect(sent.failedRuns).toEqual([await expectRefusedRun(h, "order.paid")]);
    expect(await h.journal.getRun("default", w.runId)).toMatchObject({ status: "completed", output: 7 });
    expect(await h.journal.getRun("default", sent.startedRuns[0]!)).toMatchObject({
      workflow: "lenient",
      status: "completed",
      output: { orderId: 7 },
    });
    const failed = await h.journal.getRun("default", sent.failedRuns[0]!);
    expect(failed?.input).toEqual({ orderId: 7 }); // what was sent, for the person looking
  });

  it("an unrelated workflow's step.sendEvent commits and its run completes", async () => {
    const notifier = workflow("notifier", async ({ step }) => {
      await step.sendEvent("tell", { name: "order.paid", data: { orderId: 8 } });
      return "told";
    });
    const h = await harness([strict("order.paid"), notifier, waiter]);
    const w = await h.engine.start(waiter);
    await h.drain();
    const n = await h.engine.start(notifier);
    await h.drain();
    expect(await h.journal.getRun("default", n.runId)).toMatchObject({ status: "completed", output: "told" });
    expect(await h.journal.getRun("default", w.runId)).toMatchObject({ status: "completed", output: 8 });
    await expectRefusedRun(h, "order.paid");
  });

  for (const approve of [true, false]) {
    it(`${approve ? "approve" : "reject"} still decides when approval.decided triggers a strict workflow`, async () => {
      const gated = workflow("gated", async ({ step }) => {
        const r = await step.waitForApproval("ok", { title: "Ship it?" });
        return r.status;
      });
      const h = await harness([strict("approval.decided"), gated]);
      const { runId } = await h.engine.start(gated);
      await h.drain();
      const [pending] = await h.journal.listApprovals("default", { status: "pending" });
      const decided = await h.engine.decide(pending!.id, { approve, by: "ana" });
      expect(decided.status).toBe(approve ? "approved" : "rejected");
      await h.drain();
      expect(await h.journal.getRun("default", runId)).toMatchObject({
        status: "completed",
        output: approve ? "approved" : "rejected",
      });
      await expectRefusedRun(h, "approval.decided");
    });
  }

  it("a waitForApproval still asks when approval.requested triggers a strict workflow", async () => {
    const gated = workflow(
      "gated",
      async ({ step }) => (await step.waitForApproval("ok", { title: "Go?" })).status,
    );
    const h = await harness([strict("approval.requested"), gated]);
    const { runId } = await h.engine.start(gated);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    await expectRefusedRun(h, "approval.requested");
  });
});
