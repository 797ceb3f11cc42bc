import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/shared/clock.js";
import { CairnError } from "../../src/shared/errors.js";
import { encodePayload } from "../../src/shared/payload.js";
import type { Lease } from "../../src/store/records.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import type { SqliteJournalOptions } from "../../src/store/sqlite/sqlite-journal.js";
import { tempDir, within } from "../helpers.js";
import { journalConformance } from "./journal-conformance.js";

journalConformance("sqlite", (clock) => {
  const journal = new SqliteJournal({ path: join(tempDir(), "cairn.db"), clock });
  return Promise.resolve({ journal, close: () => journal.close() });
});

const KIB = 1024;
const MIB = 1024 * KIB;

function open(options: Partial<SqliteJournalOptions> = {}) {
  const path = join(tempDir(), "cairn.db");
  const clock = new ManualClock();
  const journal = new SqliteJournal({ path, clock, ...options });
  return { path, clock, journal };
}

async function started(journal: SqliteJournal, id: string, input: unknown = {}): Promise<Lease> {
  await journal.createRun({ id, workspace: "default", workflow: "wf", input: encodePayload(input, "input") });
  const lease = await journal.claimRun(
    { workspace: "default", owner: "w", ttlMs: 60_000, limit: 1, workflows: ["wf"] },
    id,
  );
  return lease!;
}

function commit(journal: SqliteJournal, lease: Lease, stepId: string, seq: number, output: unknown) {
  return journal.commitStep(lease, {
    stepId,
    seq,
    kind: "run",
    attempt: 1,
    startedAt: 0,
    endedAt: 0,
    sideEffect: false,
    status: "completed",
    output: encodePayload(output, stepId),
  });
}

function count(journal: SqliteJournal, sql: string): number {
  return (journal.database.prepare(sql).get() as { n: number }).n;
}

async function rejection(promise: Promise<unknown>): Promise<CairnError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!CairnError.is(err)) throw new Error(`expected a Cairn error, got ${String(err)}`);
  return err;
}

describe("SqliteJournal", () => {
  describe("payload storage", () => {
    it("keeps payloads up to 64 KiB inline and larger ones in content-addressed blobs", async () => {
      const { journal } = open();
      const lease = await started(journal, "run_1");
      const exact = "a".repeat(64 * KIB - 2); // with its quotes: exactly 64 KiB
      await commit(journal, lease, "inline", 0, exact);
      await commit(journal, lease, "blob", 1, exact + "b");
      const rows = journal.database
        .prepare("SELECT step_id, output_json IS NOT NULL AS inline, output_blob FROM steps ORDER BY seq")
        .all() as { step_id: string; inline: number; output_blob: string | null }[];
      expect(rows.map((r) => [r.step_id, r.inline, r.output_blob === null])).toEqual([
        ["inline", 1, true],
        ["blob", 0, false],
      ]);
      expect(count(journal, "SELECT COUNT(*) AS n FROM blobs")).toBe(1);
      const steps = await journal.loadSteps("default", "run_1");
      expect(steps.map((s) => s.output)).toEqual([exact, exact + "b"]);
      await journal.close();
    });

    it("stores the same 2 MiB payload written by two steps (and two runs) once", async () => {
      const { journal } = open();
      const big = { blob: "z".repeat(2 * MIB) };
      const a = await started(journal, "run_a");
      const b = await started(journal, "run_b");
      await commit(journal, a, "one", 0, big);
      await commit(journal, a, "two", 1, big);
      await commit(journal, b, "one", 0, big);
      expect(count(journal, "SELECT COUNT(*) AS n FROM blobs")).toBe(1);
      expect(count(journal, "SELECT COUNT(DISTINCT output_blob) AS n FROM steps")).toBe(1);
      const steps = await journal.loadSteps("default", "run_a");
      expect(steps.map((s) => s.output)).toEqual([big, big]);
      // Each run still accounts for what it wrote (counted when it parks or ends, not per step).
      await journal.suspendRun(a);
      expect((await journal.getRunSummary("default", "run_a"))!.storedBytes).toBeGreaterThan(4 * MIB);
      await journal.close();
    });

    it("round-trips a 20 MiB step output and run input", async () => {
      const { journal, path } = open();
      const huge = { items: Array.from({ length: 20 * 1024 }, (_, i) => `${i}:`.padEnd(1024, "x")) };
      const lease = await started(journal, "run_huge", huge);
      await commit(journal, lease, "huge", 0, huge);
      await journal.close();
      const reopened = new SqliteJournal({ path });
      const [step] = await reopened.loadSteps("default", "run_huge");
      expect(step!.outputBytes).toBeGreaterThan(20 * MIB);
      expect(step!.output).toEqual(huge);
      expect((await reopened.getRun("default", "run_huge"))!.input).toEqual(huge);
      await reopened.close();
    });
  });

  describe("corrupt and newer data", () => {
    it("a corrupt step row fails loadSteps naming the run and step; other runs still load", async () => {
      const { journal } = open();
      const bad = await started(journal, "run_bad");
      const good = await started(journal, "run_good");
      await commit(journal, bad, "parse", 0, { ok: 1 });
      await commit(journal, good, "parse", 0, { ok: 2 });
      journal.database
        .prepare("UPDATE steps SET output_json = '{\"ok\": tru' WHERE run_id = 'run_bad'")
        .run();
      const err = await rejection(journal.loadSteps("default", "run_bad"));
      expect(err.code).toBe("CAIRN_CORRUPT_PAYLOAD");
      expect(err.message).toContain("run_bad");
      expect(err.message).toContain('"parse"');
      expect((await journal.loadSteps("default", "run_good"))[0]!.output).toEqual({ ok: 2 });
      expect((await journal.getRun("default", "run_good"))!.status).toBe("running");
      await journal.close();
    });

    it("a missing blob fails loadSteps naming the run and step", async () => {
      const { journal } = open();
      const lease = await started(journal, "run_blob");
      await commit(journal, lease, "large", 0, "q".repeat(100 * KIB));
      journal.database.prepare("DELETE FROM blobs").run();
      const err = await rejection(journal.loadSteps("default", "run_blob"));
      expect(err.code).toBe("CAIRN_CORRUPT_PAYLOAD");
      expect(err.message).toMatch(/run_blob.*"large"/);
      await journal.close();
    });

    it("a run stored in a newer payload format fails with an error naming the run and asking to upgrade", async () => {
      const { journal } = open();
      await started(journal, "run_new");
      await started(journal, "run_old");
      journal.database.prepare("UPDATE runs SET format = 99 WHERE id = 'run_new'").run();
      for (const read of [
        journal.getRun("default", "run_new"),
        journal.getRunSummary("default", "run_new"),
      ]) {
        const err = await rejection(read);
        expect(err.code).toBe("CAIRN_CORRUPT_PAYLOAD");
        expect(err.message).toContain("run_new");
        expect(err.message).toContain("format 99");
        expect(err.message).toContain("upgrade");
      }
      expect((await journal.getRun("default", "run_old"))!.status).toBe("running");
      const listed = await journal.listRuns("default");
      expect(listed.map((r) => r.id).sort()).toEqual(["run_new", "run_old"]);
      expect(listed.find((r) => r.id === "run_new")!.error?.message).toContain("format 99");
      journal.database.prepare("UPDATE runs SET status = 'queued', wake_at = 0 WHERE id = 'run_new'").run();
      const claims = await journal.claimRuns({
        workspace: "default",
        owner: "w",
        ttlMs: 1000,
        limit: 5,
        workflows: ["wf"],
      });
      expect(claims.map((l) => l.runId)).not.toContain("run_new");
      await journal.close();
    });

    it("refuses a database whose schema is newer than this Cairn knows", async () => {
      const { journal, path } = open();
      journal.database
        .prepare("INSERT INTO cairn_migrations (id, name, applied_at) VALUES (999, 'future', 0)")
        .run();
      await journal.close();
      let caught: unknown;
      try {
        new SqliteJournal({ path });
      } catch (err) {
        caught = err;
      }
      expect(CairnError.is(caught, "CAIRN_STORE")).toBe(true);
      expect((caught as Error).message).toContain(path);
      expect((caught as Error).message).toContain("999");
      expect((caught as Error).message).toContain("upgrade");
    });

    it("refuses a file that is not a SQLite database, naming it", () => {
      const path = join(tempDir(), "not-a.db");
      writeFileSync(path, "this is not a database, just some text that is long enough to matter ".repeat(50));
      let caught: unknown;
      try {
        new SqliteJournal({ path });
      } catch (err) {
        caught = err;
      }
      expect(CairnError.is(caught, "CAIRN_STORE")).toBe(true);
      expect((caught as Error).message).toContain(path);
    });
  });

  describe("pragmas", () => {
    it("uses WAL with synchronous=FULL by default, NORMAL when asked", async () => {
      const full = open().journal;
      expect(full.database.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(full.database.pragma("synchronous", { simple: true })).toBe(2);
      expect(full.database.pragma("foreign_keys", { simple: true })).toBe(1);
      expect(full.database.pragma("busy_timeout", { simple: true })).toBe(10_000);
      await full.close();
      const normal = open({ synchronous: "normal", busyTimeoutMs: 1234 }).journal;
      expect(normal.database.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(normal.database.pragma("synchronous", { simple: true })).toBe(1);
      expect(normal.database.pragma("busy_timeout", { simple: true })).toBe(1234);
      await normal.close();
    });
  });

  describe("group commit", () => {
    it("commits of concurrent runs share a transaction, and a lost lease fails only its own commit", async () => {
      const { journal } = open();
      const leases = [];
      for (let i = 0; i < 5; i++) leases.push(await started(journal, `run_g${i}`));
      // Another worker takes run_g2 over; its old lease must fail alone.
      journal.database.prepare("UPDATE runs SET lease_epoch = lease_epoch + 1 WHERE id = 'run_g2'").run();
      const results = await Promise.allSettled(leases.map((l) => commit(journal, l, "s", 0, l.runId)));
      expect(results.map((r) => r.status)).toEqual([
        "fulfilled",
        "fulfilled",
        "rejected",
        "fulfilled",
        "fulfilled",
      ]);
      const rejected = results[2] as PromiseRejectedResult;
      expect(CairnError.is(rejected.reason, "CAIRN_LEASE_LOST")).toBe(true);
      for (const l of leases) {
        const steps = await journal.loadSteps("default", l.runId);
        expect(steps.map((x) => x.output)).toEqual(l.runId === "run_g2" ? [] : [l.runId]);
      }
      await journal.close();
    });
  });

  describe("several processes on one file", () => {
    it("two processes racing to claim the same run 200 times never both get it", async () => {
      const { journal, path, clock } = open();
      const script = fileURLToPath(new URL("./sqlite/claim-race-child.ts", import.meta.url));
      const children = ["p1", "p2"].map((owner) =>
        fork(script, [path, owner], {
          execArgv: ["--import", "tsx"],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        }),
      );
      type Reply = { round: number; owner: string; leases?: Lease[]; error?: string };
      const inbox = new Map<string, Reply[]>();
      const waiters: (() => void)[] = [];
      const ready = new Set<string>();
      for (const child of children) {
        child.on("message", (m: Reply | { ready: string }) => {
          if ("ready" in m) ready.add(m.ready);
          else inbox.set(String(m.round), [...(inbox.get(String(m.round)) ?? []), m]);
          waiters.splice(0).forEach((w) => w());
        });
      }
      const until = async (what: string, cond: () => boolean) => {
        const deadline = Date.now() + 30_000;
        while (!cond()) {
          if (Date.now() > deadline) throw new Error(`timed out after 30 s waiting for ${what}`);
          await new Promise<void>((resolve) => {
            waiters.push(resolve);
            setTimeout(resolve, 1_000);
          });
        }
      };
      try {
        await until("both claimers to be ready", () => ready.size === 2);
        const winners: string[] = [];
        for (let round = 0; round < 200; round++) {
          const id = `run_race_${round}`;
          await journal.createRun({
            id,
            workspace: "default",
            workflow: "race",
            input: encodePayload(round, "input"),
          });
          for (const child of children) child.send({ type: "claim", round, now: clock.now() });
          await until(
            `both claimers' replies in round ${round}`,
            () => (inbox.get(String(round))?.length ?? 0) === 2,
          );
          const replies = inbox.get(String(round))!;
          expect(replies.map((r) => r.error).filter(Boolean)).toEqual([]);
          const leases = replies.flatMap((r) => r.leases ?? []);
          expect(leases.map((l) => l.runId)).toEqual([id]);
          expect(leases[0]!.epoch).toBe(1);
          const run = await journal.getRunSummary("default", id);
          expect(run).toMatchObject({ status: "running", leaseOwner: leases[0]!.owner, leaseEpoch: 1 });
          winners.push(leases[0]!.owner);
        }
        expect(winners).toHaveLength(200);
        const started = journal.database
          .prepare("SELECT COUNT(*) AS n FROM entries WHERE type = 'run.started'")
          .get() as { n: number };
        expect(started.n).toBe(200);
      } finally {
        for (const child of children) child.send({ type: "exit" });
        await within(
          Promise.all(
            children.map(
              (c) =>
                new Promise((resolve) => (c.exitCode === null ? c.once("exit", resolve) : resolve(null))),
            ),
          ),
          "the claimer processes to exit",
        ).catch((err: unknown) => {
          for (const c of children) c.kill("SIGKILL");
          throw err;
        });
        await journal.close();
      }
    }, 120_000);
  });
});
