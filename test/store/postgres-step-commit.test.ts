import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/shared/clock.js";
import { encodePayload } from "../../src/shared/payload.js";
import type { StepCommit } from "../../src/store/journal.js";
import { createPool } from "../../src/store/postgres/database.js";
import { log as appendToLog } from "../../src/store/postgres/log.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import { NOTICE_WINDOW_MS } from "../../src/store/postgres/step-notices.js";
import { PgTransactions } from "../../src/store/postgres/transactions.js";
import type { Lease } from "../../src/store/records.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";

/**
 * The common step commit on PostgreSQL is one statement (the fence, the step row, its log entry):
 * one round trip, and all of it written or none, including when the run's row or log is not as
 * that statement expects.
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

const WS = "default";

/** A journal on a new database, a claimed run in it, and a client to look under the journal. */
async function setup(): Promise<{ journal: PostgresJournal; lease: Lease; db: pg.Client }> {
  if (server === undefined || admin === undefined)
    throw new Error("the test PostgreSQL server did not start");
  const name = `cairn_commit_${++databases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const journal = await PostgresJournal.open({ url: server.urlFor(name), clock: new ManualClock(), max: 2 });
  await journal.createRun({ id: "run_1", workspace: WS, workflow: "wf", input: encodePayload({}, "input") });
  const lease = await journal.claimRun(
    { workspace: WS, owner: "w", ttlMs: 60_000, limit: 1, workflows: ["wf"] },
    "run_1",
  );
  if (lease === undefined) throw new Error("run_1 should be claimable");
  const db = new pg.Client({ connectionString: server.urlFor(name) });
  await db.connect();
  return { journal, lease, db };
}

function completed(stepId: string, seq: number, value: unknown): StepCommit {
  return {
    stepId,
    seq,
    kind: "run",
    attempt: 1,
    startedAt: 0,
    endedAt: 5,
    sideEffect: false,
    status: "completed",
    output: encodePayload(value, stepId),
  };
}

/** The run's log as (seq, type, step) triples, in order. */
async function log(db: pg.Client): Promise<string[]> {
  const { rows } = await db.query<{ seq: number; type: string; step_id: string | null }>(
    "SELECT seq, type, step_id FROM entries WHERE workspace = $1 AND run_id = 'run_1' ORDER BY seq",
    [WS],
  );
  return rows.map((r) => `${r.seq} ${r.type}${r.step_id === null ? "" : ` ${r.step_id}`}`);
}

describe("a step commit on PostgreSQL", () => {
  it("is one round trip to the server", async () => {
    const { journal, lease, db } = await setup();
    let sent = 0;
    const restore = watchQueries(() => sent++);
    try {
      await journal.commitStep(lease, completed("a", 0, 1));
      await journal.commitStep(lease, completed("b", 1, { b: 2 }));
    } finally {
      restore();
    }
    try {
      expect(sent, "queries sent for two step commits").toBe(2);
      expect((await journal.loadSteps(WS, "run_1")).map((s) => s.output)).toEqual([1, { b: 2 }]);
      expect(await log(db)).toEqual(["1 run.created", "2 run.started", "3 step.ended a", "4 step.ended b"]);
    } finally {
      await db.end();
      await journal.close();
    }
  });

  it("writes no step when its log entry cannot be written", async () => {
    const { journal, lease, db } = await setup();
    try {
      // The log refuses the entry; the step row, written by the same statement, must not stay.
      await db.query("ALTER TABLE entries ADD CONSTRAINT no_steps_here CHECK (type <> 'step.ended')");
      const err = await journal.commitStep(lease, completed("a", 0, "x")).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { code?: string } | undefined)?.code).toBe("CAIRN_STORE");
      expect(await journal.loadSteps(WS, "run_1")).toEqual([]);
      expect(await log(db)).toEqual(["1 run.created", "2 run.started"]);
    } finally {
      await db.end();
      await journal.close();
    }
  });

  it("commits a first attempt over a row the step already has", async () => {
    const { journal, lease, db } = await setup();
    try {
      await db.query(
        `INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, started_at)
         VALUES ($1, 'run_1', 'a', 0, 'run', 'started', 1, 0)`,
        [WS],
      );
      await journal.commitStep(lease, completed("a", 0, "x"));
      expect((await journal.loadSteps(WS, "run_1")).map((s) => [s.stepId, s.status, s.output])).toEqual([
        ["a", "completed", "x"],
      ]);
      expect(await log(db)).toEqual(["1 run.created", "2 run.started", "3 step.ended a"]);
    } finally {
      await db.end();
      await journal.close();
    }
  });

  it("writes nothing once the lease is lost", async () => {
    const { journal, lease, db } = await setup();
    try {
      await db.query("UPDATE runs SET lease_epoch = lease_epoch + 1 WHERE id = 'run_1'");
      const err = await journal.commitStep(lease, completed("a", 0, "x")).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { code?: string } | undefined)?.code).toBe("CAIRN_LEASE_LOST");
      expect(await journal.loadSteps(WS, "run_1")).toEqual([]);
      expect(await log(db)).toEqual(["1 run.created", "2 run.started"]);
    } finally {
      await db.end();
      await journal.close();
    }
  });

  it("waits for a writer holding the run, then numbers its entry after that writer's", async () => {
    const { journal, lease, db } = await setup();
    try {
      // Another writer of the run's log (a cancel request, say) holds the run's row and appends.
      await holdRunAndAppend(db);
      const committing = journal.commitStep(lease, completed("a", 0, "x"));
      await until(async () => (await blockedOnLock()) > 0, "the step commit to wait for the run's row lock");
      await db.query("COMMIT");
      await committing;
      expect(await log(db)).toEqual(["1 run.created", "2 run.started", "3 run.resumed", "4 step.ended a"]);
      expect((await journal.loadSteps(WS, "run_1")).map((s) => s.output)).toEqual(["x"]);
    } finally {
      await db.end();
      await journal.close();
    }
  });

  it("runs a transaction again when its log entry's number was taken while it waited for the run", async () => {
    const { journal, db } = await setup();
    const pool = createPool(server!.urlFor(`cairn_commit_${databases}`));
    try {
      await holdRunAndAppend(db);
      let attempts = 0;
      const appending = new PgTransactions(pool, "the test", undefined).tx(async (t) => {
        attempts++;
        await appendToLog(t.sql, WS, "run_1", "run.cancel_requested", null, 0, { reason: "test" });
      });
      await until(async () => (await blockedOnLock()) > 0, "the append to wait for the run's row lock");
      await db.query("COMMIT");
      await appending;
      expect(attempts, "the transaction's attempts").toBe(2);
      expect(await log(db)).toEqual([
        "1 run.created",
        "2 run.started",
        "3 run.resumed",
        "4 run.cancel_requested",
      ]);
    } finally {
      // Closing the holder first lets an append still waiting for the run go on.
      await db.end();
      await pool.end();
      await journal.close();
    }
  });

  it("tells the run's log watchers which notices are of step results alone", async () => {
    const { journal, lease, db } = await setup();
    const heard: string[] = [];
    const unwatch = journal.watchLog(WS, (runId, stepsOnly) => heard.push(`${runId} ${stepsOnly}`));
    try {
      // The watcher listens once a commit's notification reaches it.
      let seq = 0;
      await until(async () => {
        await journal.commitStep(lease, completed(`probe#${seq}`, seq, 0));
        seq++;
        return heard.includes("run_1 true");
      }, "the log watcher to hear of a commit");
      expect(heard).not.toContain("run_1 false");
      await journal.requestCancel(WS, "run_1", "enough");
      await until(async () => heard.includes("run_1 false"), "the watcher to hear of the cancel request");
    } finally {
      unwatch();
      await db.end();
      await journal.close();
    }
  });

  it("tells the run's log watchers of every commit, the last of a burst included", async () => {
    const { journal, lease, db } = await setup();
    let steps = 0;
    let readAt = 0;
    const read = async () => {
      readAt = Date.now();
      const entries = await journal.readEntries(WS, "run_1");
      steps = Math.max(steps, entries.filter((e) => e.type === "step.ended").length);
    };
    const unwatch = journal.watchLog(WS, () => void read());
    try {
      // The watcher listens once a commit's notification reaches it.
      await until(async () => {
        await journal.commitStep(lease, completed(`probe#${steps}`, steps, 0));
        return steps > 0;
      }, "the log watcher to hear of a first commit");
      const first = steps;
      // Commits back to back: most of them do not notify by themselves.
      for (let i = 0; i < 30; i++) await journal.commitStep(lease, completed(`s#${i}`, first + i, i));
      const written = (await journal.readEntries(WS, "run_1")).filter((e) => e.type === "step.ended").length;
      expect(written).toBeGreaterThanOrEqual(first + 30);
      await until(
        async () => steps === written,
        () => `the watcher to read all ${written} commits (it read ${steps})`,
      );
      expect(readAt).toBeGreaterThan(0);
    } finally {
      unwatch();
      await db.end();
      await journal.close();
    }
  });

  it("sends next to no notification of its own while the run keeps committing: its commits carry them", async () => {
    const { journal, lease, db } = await setup();
    let separate = 0;
    const restore = watchQueries((text) => {
      if (text?.startsWith("SELECT pg_notify")) separate++;
    });
    const started = Date.now();
    let commits = 0;
    try {
      // Long enough for many notice windows, however slow the machine.
      while (commits < 50 || Date.now() - started < 20 * NOTICE_WINDOW_MS)
        await journal.commitStep(lease, completed(`s#${commits}`, commits, commits++));
    } finally {
      restore();
    }
    try {
      const windows = (Date.now() - started) / NOTICE_WINDOW_MS;
      // Sending what each window owes on its own took one query (and one flushed commit) per window.
      expect(
        separate,
        `notifications sent on their own over ${commits} commits, ${windows.toFixed(0)} windows`,
      ).toBeLessThanOrEqual(windows / 4);
    } finally {
      await db.end();
      await journal.close();
    }
  });
});

/** Calls `seen` with the text of every query any pg client sends, until the returned function is called. */
function watchQueries(seen: (text: string | undefined) => void): () => void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    seen(typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text);
    return query.apply(this, args);
  };
  return () => {
    proto.query = query;
  };
}

/** Opens a transaction on `db` that locks run_1's row and appends entry 3 to its log (not committed). */
async function holdRunAndAppend(db: pg.Client): Promise<void> {
  await db.query("BEGIN");
  await db.query("SELECT 1 FROM runs WHERE id = 'run_1' FOR UPDATE");
  await db.query(
    `INSERT INTO entries (workspace, run_id, seq, type, at, data_json) VALUES ($1, 'run_1', 3, 'run.resumed', 0, '{}')`,
    [WS],
  );
}

/**
 * How many sessions wait for a lock right now, asked on the admin connection: a session inside a
 * transaction would see the activity view as it stood at the transaction's first look.
 */
async function blockedOnLock(): Promise<number> {
  const { rows } = await admin!.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
  );
  return Number(rows[0]!.n);
}

/** Polls `check` until it holds; fails naming `what` after 15 s. */
async function until(check: () => Promise<boolean>, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
