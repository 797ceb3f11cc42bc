import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { ManualClock } from "../../src/shared/clock.js";
import { CairnError } from "../../src/shared/errors.js";
import { silentLogger } from "../../src/shared/logger.js";
import type { EncodedPayload } from "../../src/shared/payload.js";
import { encodePayload } from "../../src/shared/payload.js";
import type { Journal } from "../../src/store/journal.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { openJournal, openJournalAsync } from "../../src/store/open-journal.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import type { Lease, NewRun } from "../../src/store/records.js";
import { tempDir } from "../helpers.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";
import { journalConformance } from "./journal-conformance.js";

/**
 * The PostgreSQL journal against a real, throwaway PostgreSQL server started for this file. Each
 * test gets its own database. Fails (never skips) when the server cannot be started.
 */
let server: PostgresServer | undefined;
let admin: pg.Client | undefined;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

/** A new, empty database on the test server; returns its URL. */
async function freshDatabase(): Promise<string> {
  if (server === undefined || admin === undefined)
    throw new Error("the test PostgreSQL server did not start");
  const name = `cairn_test_${++databases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return server.urlFor(name);
}

journalConformance("postgres", async (clock) => {
  const journal = await PostgresJournal.open({ url: await freshDatabase(), clock, max: 4 });
  return { journal, close: () => journal.close() };
});

const WS = "default";
const KIB = 1024;

async function started(journal: Journal, id: string, extra: Partial<NewRun> = {}): Promise<Lease> {
  await journal.createRun({
    id,
    workspace: WS,
    workflow: "wf",
    input: encodePayload({ id }, "input"),
    ...extra,
  });
  const lease = await journal.claimRun(
    { workspace: WS, owner: "w", ttlMs: 60_000, limit: 1, workflows: ["wf"] },
    id,
  );
  expect(lease, `run ${id} should be claimable`).toBeDefined();
  return lease!;
}

function step(stepId: string, seq: number, output: EncodedPayload) {
  return {
    stepId,
    seq,
    kind: "run" as const,
    attempt: 1,
    startedAt: 0,
    endedAt: 0,
    sideEffect: false,
    status: "completed" as const,
    output,
  };
}

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(sql);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe("PostgresJournal", () => {
  describe("schema", () => {
    it("several processes opening a new database at once migrate it once", async () => {
      const url = await freshDatabase();
      const journals = await Promise.all(
        Array.from({ length: 6 }, () => PostgresJournal.open({ url, max: 2 })),
      );
      try {
        expect(await count(url, "SELECT COUNT(*) AS n FROM cairn_migrations")).toBe(MIGRATIONS.length);
        await journals[0]!.createRun({
          id: "run_1",
          workspace: WS,
          workflow: "wf",
          input: encodePayload(1, "i"),
        });
        expect((await journals[5]!.getRun(WS, "run_1"))?.input).toBe(1);
      } finally {
        await Promise.all(journals.map((j) => j.close()));
      }
    });

    it("refuses a schema newer than it knows, and names the store without its password", async () => {
      const url = await freshDatabase();
      await (await PostgresJournal.open({ url })).close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query("INSERT INTO cairn_migrations (id, name, applied_at) VALUES (999, 'future', 0)");
      await client.end();
      const err = await PostgresJournal.open({ url }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CairnError.is(err, "CAIRN_STORE")).toBe(true);
      expect((err as Error).message).toMatch(/schema version 999, newer than this Cairn knows/);
    });

    it("a store it cannot reach fails to open with a clear error", async () => {
      const err = await PostgresJournal.open({
        url: "postgres://cairn:s3cret@127.0.0.1:1/cairn",
        connectionTimeoutMillis: 2_000,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CairnError.is(err, "CAIRN_STORE")).toBe(true);
      expect((err as Error).message).toContain(
        "cannot open the PostgreSQL store at postgres://cairn:***@127.0.0.1:1",
      );
      expect((err as Error).message).not.toContain("s3cret");
    });
  });

  describe("payloads", () => {
    it("keeps payload bytes exactly, up to 64 KiB inline and larger ones in blobs stored once", async () => {
      const url = await freshDatabase();
      const journal = await PostgresJournal.open({ url, clock: new ManualClock() });
      try {
        const lease = await started(journal, "run_1");
        // Text that jsonb would rewrite (spacing, key order, duplicate keys, number forms).
        const odd = '{ "b" : 1.0, "a":[1e3 ,"é🙂\\u0000"], "a" : 2 }';
        await journal.commitStep(lease, step("odd", 0, { text: odd, bytes: Buffer.byteLength(odd) }));
        const exact = "a".repeat(64 * KIB - 2);
        const big = encodePayload(exact + "b", "big");
        await journal.commitStep(lease, step("inline", 1, encodePayload(exact, "inline")));
        await journal.commitStep(lease, step("blob", 2, big));
        await journal.commitStep(lease, step("again", 3, big));
        expect(await count(url, "SELECT COUNT(*) AS n FROM blobs")).toBe(1);
        expect(await count(url, "SELECT COUNT(*) AS n FROM steps WHERE output_blob IS NOT NULL")).toBe(2);
        expect(await count(url, "SELECT COUNT(*) AS n FROM steps WHERE output_json = $$" + odd + "$$")).toBe(
          1,
        );
        const steps = await journal.loadSteps(WS, "run_1");
        expect(steps.map((s) => s.output)).toEqual([JSON.parse(odd), exact, exact + "b", exact + "b"]);
        await journal.completeRun(lease, big);
        expect((await journal.getRun(WS, "run_1"))?.output).toBe(exact + "b");
        expect((await journal.getRunSummary(WS, "run_1"))?.storedBytes).toBeGreaterThan(3 * 64 * KIB);
      } finally {
        await journal.close();
      }
    });
  });

  describe("several workers at once", () => {
    it("concurrent claimers on separate connections never take the same run", async () => {
      const url = await freshDatabase();
      const journals = await Promise.all(
        Array.from({ length: 4 }, () => PostgresJournal.open({ url, max: 3 })),
      );
      try {
        const ids = Array.from({ length: 60 }, (_, i) => `run_${i}`);
        for (const id of ids)
          await journals[0]!.createRun({ id, workspace: WS, workflow: "wf", input: encodePayload(id, "i") });
        const claimed: Lease[] = [];
        await Promise.all(
          journals.flatMap((j, w) =>
            [0, 1, 2].map(async () => {
              for (;;) {
                const leases = await j.claimRuns({
                  workspace: WS,
                  owner: `w${w}`,
                  ttlMs: 60_000,
                  limit: 3,
                  workflows: ["wf"],
                });
                if (leases.length === 0) return;
                claimed.push(...leases);
              }
            }),
          ),
        );
        expect(claimed.map((l) => l.runId).sort()).toEqual([...ids].sort());
        expect(new Set(claimed.map((l) => l.epoch))).toEqual(new Set([1]));
        expect(await count(url, "SELECT COUNT(*) AS n FROM entries WHERE type = 'run.started'")).toBe(60);
      } finally {
        await Promise.all(journals.map((j) => j.close()));
      }
    });

    it("concurrent claimers never run more than a concurrency key's limit", async () => {
      const url = await freshDatabase();
      const journals = await Promise.all(
        Array.from({ length: 4 }, () => PostgresJournal.open({ url, max: 3 })),
      );
      try {
        for (let i = 0; i < 30; i++) {
          await journals[0]!.createRun({
            id: `run_${i}`,
            workspace: WS,
            workflow: "wf",
            input: encodePayload(i, "i"),
            concurrency: { key: i % 2 === 0 ? "even" : "odd", limit: i % 2 === 0 ? 2 : 3 },
          });
        }
        const claims = await Promise.all(
          journals.flatMap((j, w) =>
            [0, 1, 2].map(() =>
              j.claimRuns({ workspace: WS, owner: `w${w}`, ttlMs: 60_000, limit: 4, workflows: ["wf"] }),
            ),
          ),
        );
        const leases = claims.flat();
        const running = await journals[0]!.listRuns(WS, { status: "running" });
        expect(running.filter((r) => r.concurrencyKey === "even")).toHaveLength(2);
        expect(running.filter((r) => r.concurrencyKey === "odd")).toHaveLength(3);
        expect(leases).toHaveLength(5);
      } finally {
        await Promise.all(journals.map((j) => j.close()));
      }
    });

    it("an event sent while its run suspends always wakes it, and concurrent log writers get distinct seqs", async () => {
      const url = await freshDatabase();
      const [a, b] = await Promise.all([PostgresJournal.open({ url }), PostgresJournal.open({ url })]);
      try {
        for (let i = 0; i < 25; i++) {
          const lease = await started(a, `run_${i}`);
          await a.registerWait(lease, {
            stepId: "e",
            seq: 0,
            kind: "event",
            startedAt: 0,
            eventName: `go.${i}`,
          });
          await Promise.all([
            a.suspendRun(lease),
            b.sendEvent(WS, { name: `go.${i}`, data: encodePayload(i, "d") }, []),
          ]);
          const run = await a.getRunSummary(WS, lease.runId);
          expect(run?.status).toBe("waiting");
          expect(run?.wakeAt, `run_${i} was not woken`).not.toBeNull();
          const seqs = (await a.readEntries(WS, lease.runId)).map((e) => e.seq);
          expect(seqs).toEqual(seqs.map((_, k) => k + 1));
        }
        // The workspace-wide log (sent events) took its seqs one by one too.
        const events = await a.readEntries(WS, "");
        expect(events.map((e) => [e.seq, e.runId, e.type])).toEqual(
          events.map((_, k) => [k + 1, null, "event.sent"]),
        );
        expect(events).toHaveLength(25);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });

  describe("clock", () => {
    it("without an injected clock, time is the database's", async () => {
      const url = await freshDatabase();
      const journal = await PostgresJournal.open({ url });
      try {
        const before = Date.now();
        const now = await journal.now();
        const run = await journal.createRun({
          id: "run_1",
          workspace: WS,
          workflow: "wf",
          input: encodePayload(1, "i"),
        });
        // Same machine: the database's clock and ours agree to well within a few seconds.
        expect(Math.abs(now - before)).toBeLessThan(5_000);
        expect(run.run.createdAt).toBeGreaterThanOrEqual(now - 1_000);
        const lease = (await journal.claimRun(
          { workspace: WS, owner: "w", ttlMs: 30_000, limit: 1, workflows: ["wf"] },
          "run_1",
        ))!;
        expect(lease.expiresAt - run.run.createdAt).toBeGreaterThanOrEqual(30_000);
        expect(lease.expiresAt - run.run.createdAt).toBeLessThan(35_000);
      } finally {
        await journal.close();
      }
    });
  });

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

    it("sessions append once per run, the inbox is taken once per step, memory recalls regardless of case", async () => {
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

        await journal.pushInbox(WS, "chat", "s1", encodePayload("steer 1", "m"));
        await journal.pushInbox(WS, "chat", "s1", encodePayload("steer 2", "m"));
        expect(await journal.takeInbox(WS, "chat", "s1", "run_4", "turn-1")).toEqual(["steer 1", "steer 2"]);
        expect(await journal.takeInbox(WS, "chat", "s1", "run_4", "turn-1")).toEqual(["steer 1", "steer 2"]);
        expect(await journal.takeInbox(WS, "chat", "s1", "run_4", "turn-2")).toEqual([]);

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

  describe("openJournalAsync", () => {
    it("opens postgres:// and sqlite: stores; openJournal points PostgreSQL to it", async () => {
      const pgJournal = await openJournalAsync(await freshDatabase(), { pool: { max: 2 } });
      expect(pgJournal.dialect).toBe("postgres");
      await pgJournal.close();
      const sqlite = await openJournalAsync(`sqlite:${join(tempDir(), "cairn.db")}`);
      expect(sqlite.dialect).toBe("sqlite");
      await sqlite.close();
      expect(() => openJournal("postgresql://cairn:s3cret@db.example/cairn")).toThrow(/openJournalAsync/);
    });
  });

  describe("the engine on PostgreSQL", () => {
    it("runs steps, a child run and an event wait to completion on the database clock", async () => {
      const journal = await PostgresJournal.open({ url: await freshDatabase() });
      try {
        const child = workflow("square", async ({ input }) => (input as { n: number }).n ** 2);
        const parent = workflow("parent", async ({ step }) => {
          const one = await step.run("one", () => 1);
          const sq = await step.invoke("sq", child, { n: 7 });
          const ev = await step.waitForEvent<{ ok: boolean }>("go", { event: "go", timeout: "1h" });
          return { one, sq, ok: ev?.data.ok };
        });
        const engine = new Engine({ journal, workflows: [parent, child], logger: silentLogger });
        const worker = new Worker(engine, { pollIntervalMs: 5 });
        const { runId } = await engine.start(parent);
        await worker.drain();
        expect((await journal.getRunSummary(WS, runId))?.status).toBe("waiting");
        expect((await engine.send({ name: "go", data: { ok: true } })).resumedRuns).toEqual([runId]);
        await worker.drain();
        const run = await journal.getRun(WS, runId);
        expect(run).toMatchObject({ status: "completed", output: { one: 1, sq: 49, ok: true } });
      } finally {
        await journal.close();
      }
    });
  });
});
