import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { ManualClock } from "../../src/shared/clock.js";
import { CairnError } from "../../src/shared/errors.js";
import { silentLogger } from "../../src/shared/logger.js";
import { encodePayload } from "../../src/shared/payload.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { openJournal, openJournalAsync } from "../../src/store/open-journal.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import type { Lease } from "../../src/store/records.js";
import { tempDir } from "../helpers.js";
import { journalConformance } from "./journal-conformance.js";
import { KIB, WS, count, started, step, usePostgresServer } from "./postgres-journal-support.js";

/**
 * The PostgreSQL journal against a real, throwaway PostgreSQL server started for this file: the
 * shared conformance suite, its schema, payloads, concurrent workers, clock, and the engine on
 * it. Approvals, sessions and memory are in postgres-approvals-sessions.test.ts. Each test gets
 * its own database.
 */
const freshDatabase = usePostgresServer();

journalConformance("postgres", async (clock) => {
  const journal = await PostgresJournal.open({ url: await freshDatabase(), clock, max: 4 });
  return { journal, close: () => journal.close() };
});

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
