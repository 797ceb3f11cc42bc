import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/shared/clock.js";
import { newId } from "../../src/shared/ids.js";
import { encodePayload } from "../../src/shared/payload.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import { WS, started, usePostgresServer } from "./postgres-journal-support.js";

/**
 * Approvals, agent sessions and memory on the PostgreSQL journal, against a real, throwaway
 * PostgreSQL server started for this file. Each test gets its own database.
 */
const freshDatabase = usePostgresServer();

describe("PostgresJournal", () => {
  describe("approvals, sessions and memory", () => {
    it("an approval is decided once, by its approvers, and settles its wait", async () => {
      const clock = new ManualClock();
      const journal = await PostgresJournal.open({ url: await freshDatabase(), clock });
      try {
        const lease = await started(journal, "run_1");
        await journal.registerWait(lease, {
          stepId: "ok?",
          seq: 0,
          kind: "approval",
          startedAt: clock.now(),
          dueAt: clock.now() + 60_000,
          approval: {
            id: "apr_1",
            title: "Send it?",
            request: encodePayload({ tool: "send" }, "r"),
            argsHash: "h1",
            approvers: ["ada"],
          },
        });
        await journal.suspendRun(lease);
        expect((await journal.listApprovals(WS, { status: "pending" })).map((a) => a.id)).toEqual(["apr_1"]);
        await expect(journal.decideApproval(WS, "apr_1", { approve: true, by: "bob" })).rejects.toMatchObject(
          {
            code: "CAIRN_FORBIDDEN",
          },
        );
        await expect(
          journal.decideApproval(WS, "apr_1", { approve: true, by: "ada", expectArgsHash: "h0" }),
        ).rejects.toMatchObject({ code: "CAIRN_CONFLICT" });
        const decided = await journal.decideApproval(WS, "apr_1", {
          approve: true,
          by: "ada",
          reason: "fine",
        });
        expect(decided).toMatchObject({ status: "approved", decidedBy: "ada", request: { tool: "send" } });
        await expect(
          journal.decideApproval(WS, "apr_1", { approve: false, by: "ada" }),
        ).rejects.toMatchObject({
          code: "CAIRN_CONFLICT",
        });
        const [again] = await journal.claimRuns({
          workspace: WS,
          owner: "w2",
          ttlMs: 60_000,
          limit: 1,
          workflows: ["wf"],
        });
        expect(again?.runId).toBe("run_1");
        expect(await journal.settleWait(again!, "run_1", "ok?")).toMatchObject({
          status: "approval",
          approval: { id: "apr_1", status: "approved" },
        });
        const types = (await journal.readEntries(WS, "run_1")).map((e) => e.type);
        expect(types).toContain("approval.requested");
        expect(types).toContain("approval.decided");
      } finally {
        await journal.close();
      }
    });

    it("an approval past its time expires by its policy when its wait settles", async () => {
      const clock = new ManualClock();
      const journal = await PostgresJournal.open({ url: await freshDatabase(), clock });
      try {
        const lease = await started(journal, "run_1");
        await journal.registerWait(lease, {
          stepId: "ok?",
          seq: 0,
          kind: "approval",
          startedAt: clock.now(),
          dueAt: clock.now() + 1_000,
          approval: {
            id: "apr_1",
            title: "t",
            request: encodePayload(1, "r"),
            onTimeout: { action: "escalate", approvers: ["boss"], timeoutMs: 5_000 },
          },
        });
        await journal.suspendRun(lease);
        clock.advance(1_000);
        const [l2] = await journal.claimRuns({
          workspace: WS,
          owner: "w2",
          ttlMs: 60_000,
          limit: 1,
          workflows: ["wf"],
        });
        expect(await journal.settleWait(l2!, "run_1", "ok?")).toEqual({ status: "pending" });
        expect(await journal.getApproval(WS, "apr_1")).toMatchObject({
          status: "pending",
          approvers: ["boss"],
          escalations: 1,
        });
        await journal.suspendRun(l2!);
        expect((await journal.getRunSummary(WS, "run_1"))?.wakeAt).toBe(clock.now() + 5_000);
        clock.advance(5_000);
        await expect(
          journal.decideApproval(WS, "apr_1", { approve: true, by: "boss" }),
        ).rejects.toMatchObject({
          code: "CAIRN_APPROVAL_EXPIRED",
        });
        const [l3] = await journal.claimRuns({
          workspace: WS,
          owner: "w3",
          ttlMs: 60_000,
          limit: 1,
          workflows: ["wf"],
        });
        expect(await journal.settleWait(l3!, "run_1", "ok?")).toMatchObject({
          status: "approval",
          approval: { status: "expired", decidedBy: "timeout" },
        });
      } finally {
        await journal.close();
      }
    });

    it("sessions append each message of a run once, the inbox is taken once per step, memory recalls regardless of case", async () => {
      const journal = await PostgresJournal.open({ url: await freshDatabase(), clock: new ManualClock() });
      try {
        const msgs = (...texts: string[]) => texts.map((t) => encodePayload({ role: "user", text: t }, "m"));
        await journal.appendSession(WS, "chat", "s1", "run_1", msgs("a", "b"));
        await journal.appendSession(WS, "chat", "s1", "run_1", msgs("a", "b"));
        await Promise.all([
          journal.appendSession(WS, "chat", "s1", "run_2", msgs("c")),
          journal.appendSession(WS, "chat", "s1", "run_3", msgs("d", "e")),
        ]);
        const session = await journal.loadSession(WS, "chat", "s1");
        expect(session.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(session.slice(0, 2).map((m) => (m.message as { text: string }).text)).toEqual(["a", "b"]);
        expect(await journal.loadSession(WS, "chat", "other")).toEqual([]);

        const run = newId("run");
        await journal.createRun({
          id: run,
          workspace: WS,
          workflow: "chat",
          input: encodePayload({}, "input"),
          singleton: { key: "session:s1", mode: "skip" },
        });
        await journal.pushInbox(WS, "chat", "s1", encodePayload("steer 1", "m"), run);
        await journal.pushInbox(WS, "chat", "s1", encodePayload("steer 2", "m"), run);
        expect(await journal.takeInbox(WS, "chat", "s1", run, "turn-1")).toEqual(["steer 1", "steer 2"]);
        expect(await journal.takeInbox(WS, "chat", "s1", run, "turn-1")).toEqual(["steer 1", "steer 2"]);
        expect(await journal.takeInbox(WS, "chat", "s1", run, "turn-2")).toEqual([]);

        const scope = { agent: "chat", user: "ada" };
        await journal.saveMemory(WS, scope, "city", "Lives in London");
        await journal.saveMemory(WS, scope, "pet", "Has a cat named 100%_sure");
        await journal.saveMemory(WS, scope, "city", "Lives in Paris");
        expect((await journal.recallMemory(WS, scope, "paris", 10)).map((m) => m.text)).toEqual([
          "Lives in Paris",
        ]);
        expect((await journal.recallMemory(WS, scope, "100%_", 10)).map((m) => m.key)).toEqual(["pet"]);
        expect((await journal.recallMemory(WS, scope, "%", 10)).map((m) => m.key)).toEqual(["pet"]);
        expect(await journal.recallMemory(WS, scope, "", 10)).toHaveLength(2);
        expect(await journal.recallMemory(WS, { agent: "chat", user: "bob" }, "", 10)).toEqual([]);
        expect(await journal.forgetMemory(WS, scope, "city")).toBe(true);
        expect(await journal.forgetMemory(WS, scope, "city")).toBe(false);
      } finally {
        await journal.close();
      }
    });
  });
});
