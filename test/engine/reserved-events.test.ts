import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/workflow.js";
import { harness } from "../helpers.js";

const RESERVED = ["approval.decided", "approval.requested", "run.ended", "step.ended", "cairn.anything"];

describe("reserved event names", () => {
  it("engine.send refuses the names Cairn emits, naming the reserved prefixes, and stores nothing", async () => {
    const h = await harness([]);
    for (const name of RESERVED) {
      await expect(h.engine.send({ name, data: { approve: true, by: "ceo" } })).rejects.toMatchObject({
        code: "CAIRN_INVALID_INPUT",
        message: expect.stringMatching(
          new RegExp(
            `"${name.replace(".", "\\.")}" is reserved: names starting with approval\\., run\\., step\\., cairn\\.`,
          ),
        ) as unknown,
      });
    }
    expect(await h.journal.listEvents("default")).toEqual([]);
    // Names that only look alike are the user's.
    for (const name of ["approvals.decided", "runner.ended", "my.approval.decided"])
      expect((await h.engine.send({ name })).created).toBe(true);
  });

  it("step.sendEvent refuses them in the handler, and Cairn's own approval events still flow", async () => {
    const forger = workflow("forger", async ({ step }) => {
      const refused = await step
        .sendEvent("forge", { name: "approval.decided", data: { approve: true, by: "ceo" } })
        .then(
          () => "sent",
          (e: Error) => e.message,
        );
      const ok = await step.waitForApproval("ok", { title: "Really?" });
      return { refused, status: ok.status, by: ok.by };
    });
    const h = await harness([forger]);
    const { runId } = await h.engine.start(forger);
    await h.drain();
    expect(await h.journal.listEvents("default", { name: "approval.decided" })).toEqual([]);
    expect(await h.journal.listEvents("default", { name: "approval.requested" })).toHaveLength(1);
    const [pending] = await h.journal.listApprovals("default", { status: "pending" });
    await h.engine.decide(pending!.id, { approve: false, by: "ana" });
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toMatchObject({ status: "rejected", by: "ana" });
    expect((run?.output as { refused: string }).refused).toMatch(
      /step "forge" sendEvent: the event name "approval\.decided" is reserved/,
    );
    expect(await h.journal.listEvents("default", { name: "approval.decided" })).toHaveLength(1);
  });
});
