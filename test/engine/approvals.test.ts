import { describe, expect, it } from "vitest";
import type { ApprovalResult, WaitForApprovalOptions } from "../../src/engine/step.js";
import { workflow } from "../../src/engine/workflow.js";
import { CairnError } from "../../src/shared/errors.js";
import type { Harness } from "../helpers.js";
import { Counter, harness } from "../helpers.js";

function gated(options: Partial<WaitForApprovalOptions> = {}, c = new Counter()) {
  const wf = workflow("pay", async ({ input, step }) => {
    const decision: ApprovalResult = await step.waitForApproval("approve-payment", {
      title: "Pay the invoice",
      details: { amount: (input as { amount: number }).amount },
      ...options,
    });
    if (decision.status !== "approved") return { paid: false, decision };
    await step.run("pay", () => c.hit("pay"));
    return { paid: true, by: decision.by };
  });
  return { wf, c };
}

async function pending(h: Harness) {
  const [a] = await h.journal.listApprovals("default", { status: "pending" });
  expect(a).toBeDefined();
  return a!;
}

describe("approvals", () => {
  it("waits holding nothing, then resumes once approved; the side effect happens once", async () => {
    const { wf, c } = gated();
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, { amount: 42 });
    await h.drain();
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("waiting");
    expect(run?.leaseOwner).toBeNull();
    const a = await pending(h);
    expect(a).toMatchObject({ runId, title: "Pay the invoice", request: { amount: 42 }, status: "pending" });
    await h.advance(5 * 3_600_000); // hours later
    await h.engine.decide(a.id, { approve: true, by: "sam" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.output).toEqual({ paid: true, by: "sam" });
    expect(c.get("pay")).toBe(1);
    const entries = (await h.journal.readEntries("default", runId)).map((e) => e.type);
    expect(entries).toContain("approval.requested");
    expect(entries).toContain("approval.decided");
    const events = await h.journal.listEvents("default", { name: "approval.requested" });
    expect(events).toHaveLength(1);
  });

  it("a rejection reaches the workflow with its reason", async () => {
    const { wf, c } = gated();
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, { amount: 1 });
    await h.drain();
    await h.engine.decide((await pending(h)).id, { approve: false, by: "sam", reason: "wrong vendor" });
    await h.drain();
    const out = (await h.journal.getRun("default", runId))?.output as {
      paid: boolean;
      decision: ApprovalResult;
    };
    expect(out.paid).toBe(false);
    expect(out.decision).toMatchObject({ status: "rejected", by: "sam", reason: "wrong vendor" });
    expect(c.get("pay")).toBe(0);
  });

  it("is decided once; a second decision is a conflict; an unlisted decider is refused", async () => {
    const { wf } = gated({ approvers: ["ana", "sam"] });
    const h = await harness([wf]);
    await h.engine.start(wf, { amount: 1 });
    await h.drain();
    const a = await pending(h);
    const refused = await h.engine.decide(a.id, { approve: true, by: "mallory" }).catch((e: unknown) => e);
    expect(CairnError.is(refused, "CAIRN_FORBIDDEN")).toBe(true);
    expect((refused as Error).message).toContain("its approvers are ana, sam");
    await h.engine.decide(a.id, { approve: true, by: "ana" });
    const again = await h.engine.decide(a.id, { approve: false, by: "sam" }).catch((e: unknown) => e);
    expect(CairnError.is(again, "CAIRN_CONFLICT")).toBe(true);
    expect((again as Error).message).toMatch(/already approved by ana/);
  });

  it("is bound to the arguments it showed", async () => {
    const { wf } = gated({ argsHash: "hash-of-what-was-shown" });
    const h = await harness([wf]);
    await h.engine.start(wf, { amount: 1 });
    await h.drain();
    const a = await pending(h);
    const stale = await h.engine
      .decide(a.id, { approve: true, by: "sam", expectArgsHash: "another-hash" })
      .catch((e: unknown) => e);
    expect(CairnError.is(stale, "CAIRN_CONFLICT")).toBe(true);
    await h.engine.decide(a.id, { approve: true, by: "sam", expectArgsHash: "hash-of-what-was-shown" });
  });

  it("a timeout expires the request (never a silent denial) and a late decision is refused", async () => {
    const { wf } = gated({ timeout: "1h" });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, { amount: 1 });
    await h.drain();
    const a = await pending(h);
    await h.advance(3_600_000);
    const out = (await h.journal.getRun("default", runId))?.output as { decision: ApprovalResult };
    expect(out.decision.status).toBe("expired");
    expect((await h.journal.getApproval("default", a.id))?.status).toBe("expired");
    const late = await h.engine.decide(a.id, { approve: true, by: "sam" }).catch((e: unknown) => e);
    expect(CairnError.is(late, "CAIRN_CONFLICT") || CairnError.is(late, "CAIRN_APPROVAL_EXPIRED")).toBe(true);
    expect((late as Error).message).toMatch(/expired/);
  });

  it("a decision after the due time but before the run noticed is refused as expired", async () => {
    const { wf } = gated({ timeout: "10m" });
    const h = await harness([wf]);
    await h.engine.start(wf, { amount: 1 });
    await h.drain();
    const a = await pending(h);
    h.clock.advance(11 * 60_000);
    const late = await h.engine.decide(a.id, { approve: true, by: "sam" }).catch((e: unknown) => e);
    expect(CairnError.is(late, "CAIRN_APPROVAL_EXPIRED")).toBe(true);
  });

  it("timeout policies: approve with defaults, escalate to others, or fail the run", async () => {
    const approve = gated({ timeout: "1h", onTimeout: { approve: { note: "auto" } } });
    const h1 = await harness([approve.wf]);
    const r1 = await h1.engine.start(approve.wf, { amount: 1 });
    await h1.drain();
    await h1.advance(3_600_000);
    expect((await h1.journal.getRun("default", r1.runId))?.output).toEqual({ paid: true, by: "timeout" });

    const escalate = gated({
      approvers: ["ana"],
      timeout: "1h",
      onTimeout: { escalate: ["boss"], timeout: "2h" },
    });
    const h2 = await harness([escalate.wf]);
    const r2 = await h2.engine.start(escalate.wf, { amount: 1 });
    await h2.drain();
    await h2.advance(3_600_000);
    const a = await pending(h2);
    expect(a.approvers).toEqual(["boss"]);
    expect(a.escalations).toBe(1);
    expect(
      CairnError.is(
        await h2.engine.decide(a.id, { approve: true, by: "ana" }).catch((e: unknown) => e),
        "CAIRN_FORBIDDEN",
      ),
    ).toBe(true);
    await h2.engine.decide(a.id, { approve: true, by: "boss" });
    await h2.drain();
    expect((await h2.journal.getRun("default", r2.runId))?.output).toEqual({ paid: true, by: "boss" });

    const fail = gated({ timeout: "1h", onTimeout: "fail" });
    const h3 = await harness([fail.wf]);
    const r3 = await h3.engine.start(fail.wf, { amount: 1 });
    await h3.drain();
    await h3.advance(3_600_000);
    const failed = await h3.journal.getRunSummary("default", r3.runId);
    expect(failed?.status).toBe("failed");
    expect(failed?.error?.message).toContain("expired without a decision");
  });

  it("cancelling the run withdraws its pending request", async () => {
    const { wf } = gated();
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, { amount: 1 });
    await h.drain();
    const a = await pending(h);
    await h.engine.cancel(runId);
    expect((await h.journal.getApproval("default", a.id))?.status).toBe("cancelled");
  });
});
