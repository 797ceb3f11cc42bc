// Where the PostgreSQL step commit's time goes: the journal's one-statement commit on a pool of
// one connection (no engine, no notifications); the same statement without its `step.ended` log
// entry, which bounds any rework that keeps the entry elsewhere; and sketches of the two ways to
// keep one row per step: the entry folded into the step row, or the step kept as its entry.
// Each round takes a floor round, then the four statements, each first in turn.
import { Engine, openJournalAsync, silentLogger } from "../src/index.js";
import { encodePayload } from "../src/shared/payload.js";
import { commitStepAtOnce, fenceAndStep, stepCommitParams } from "../src/store/postgres/commit-step.js";
import { Sql, Statements, createPool } from "../src/store/postgres/database.js";
import { NEXT_SEQ } from "../src/store/postgres/log.js";
import { DB_NOW } from "../src/store/postgres/transactions.js";
import type { StepCommit } from "../src/store/journal.js";
import type { PgFloor } from "./postgres-floor.js";
import { stepPayload } from "./postgres-floor.js";
import { journalRun } from "./step-journal.js";
import type { Figure } from "./support.js";
import { fmt, median, now } from "./support.js";

const COMMITS = 300;
const ROUNDS = 10;

/** Cairn's statement less its log entry: the lease fence and the step row, in one statement. */
const WITHOUT_ENTRY = `WITH ${fenceAndStep(true)} SELECT cancel_requested FROM fence`;

/**
 * The rework sketched, on copies of the two tables (this section's database is its own): the
 * step row takes the entry's place in the run's log (its number and time, a unique index for
 * readers to merge it with the entries table), and the number comes from a counter on the run's
 * row, bumped by the fence, since numbers shared by two tables cannot be checked by one key.
 */
const FOLD_TABLES = [
  "CREATE TABLE fold_runs (LIKE runs INCLUDING ALL)",
  "ALTER TABLE fold_runs ADD COLUMN log_seq INTEGER NOT NULL DEFAULT 0",
  "INSERT INTO fold_runs SELECT * FROM runs",
  "CREATE TABLE fold_steps (LIKE steps INCLUDING ALL)",
  "ALTER TABLE fold_steps ADD COLUMN log_seq INTEGER, ADD COLUMN log_at BIGINT",
  "CREATE UNIQUE INDEX fold_steps_log ON fold_steps (workspace, run_id, log_seq) WHERE log_seq IS NOT NULL",
];
/**
 * The other way round: the `step.ended` entry carries the step's result, and no step row is
 * written, so replay would find the step by a unique index on its id among the entries. The
 * number stays the log's own, checked by the entries' key as today.
 */
const AS_ENTRY_TABLES = [
  "CREATE TABLE step_entries (LIKE entries INCLUDING ALL)",
  `ALTER TABLE step_entries ADD COLUMN kind TEXT, ADD COLUMN attempt INTEGER, ADD COLUMN output_json TEXT,
     ADD COLUMN output_bytes BIGINT, ADD COLUMN step_seq INTEGER, ADD COLUMN started_at BIGINT, ADD COLUMN ended_at BIGINT,
     ADD COLUMN side_effect INTEGER`,
  "CREATE UNIQUE INDEX step_entries_by_step ON step_entries (workspace, run_id, step_id) WHERE type = 'step.ended'",
];
const AS_ENTRY = `WITH fence AS (
     SELECT cancel_requested FROM runs
     WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'
     FOR UPDATE),
   entry AS (
     INSERT INTO step_entries (workspace, run_id, seq, type, step_id, at, data_json, kind, attempt, output_json,
       output_bytes, step_seq, started_at, ended_at, side_effect)
     SELECT $1, $2, ${NEXT_SEQ("$1", "$2").replace("FROM entries", "FROM step_entries")},
       'step.ended', $5, COALESCE($14::int8, ${DB_NOW}), '', $7, $8, $9, $10, $6, $11, $12, $13
     FROM fence)
   SELECT cancel_requested FROM fence`;

const FOLDED = `WITH fence AS (
     UPDATE fold_runs SET log_seq = log_seq + 1
     WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'
     RETURNING cancel_requested, log_seq),
   step AS (
     INSERT INTO fold_steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob,
       output_bytes, error_json, started_at, ended_at, retry_at, side_effect, log_seq, log_at)
     SELECT $1, $2, $5, $6, $7, 'completed', $8, $9, NULL, $10, NULL, $11, $12, NULL, $13, fence.log_seq,
       COALESCE($14::int8, ${DB_NOW})
     FROM fence)
   SELECT cancel_requested FROM fence`;

export async function measureStatementParts(url: string, floor: PgFloor): Promise<Figure[]> {
  const journal = await openJournalAsync(url);
  const engine = new Engine({ journal, workflows: [journalRun], logger: silentLogger });
  const pool = createPool(url, { max: 1 });
  const sql = new Sql(pool, new Statements());
  try {
    const { runId } = await engine.start(journalRun, {});
    const claim = { workspace: engine.workspace, owner: "bench-statement", ttlMs: 600_000, limit: 1 };
    const lease = await journal.claimRun({ ...claim, workflows: [journalRun.id] }, runId);
    if (lease === undefined) throw new Error(`could not claim run ${runId}`);
    let seq = 0;
    const nextStep = (): StepCommit => {
      const at = Date.now();
      seq++;
      const output = encodePayload(stepPayload(seq), "step result");
      return {
        stepId: `s#${seq}`,
        seq,
        kind: "run",
        attempt: 1,
        startedAt: at,
        sideEffect: false,
        status: "completed",
        output,
        endedAt: at,
      };
    };
    const whole = async () => {
      const outcome = await commitStepAtOnce(sql, lease, nextStep(), null, DB_NOW, false);
      if (typeof outcome === "string") throw new Error(`the step commit wrote nothing: ${outcome}`);
    };
    const withoutEntry = async () => {
      // The same parameters less the entry's two ($14, $15).
      const row = await sql.one(WITHOUT_ENTRY, stepCommitParams(lease, nextStep(), null).slice(0, 13));
      if (row === undefined) throw new Error("the fence found no lease");
    };
    for (const statement of FOLD_TABLES) await sql.run(statement);
    const folded = async () => {
      // The same parameters less the entry's data ($15): the step row is what a reader reads.
      const row = await sql.one(FOLDED, stepCommitParams(lease, nextStep(), null).slice(0, 14));
      if (row === undefined) throw new Error("the fence found no lease");
    };
    for (const statement of AS_ENTRY_TABLES) await sql.run(statement);
    const asEntry = async () => {
      const row = await sql.one(AS_ENTRY, stepCommitParams(lease, nextStep(), null).slice(0, 14));
      if (row === undefined) throw new Error("the fence found no lease");
    };
    const statements = { whole, withoutEntry, folded, asEntry };
    const time = async (commit: () => Promise<void>) => {
      const t0 = now();
      for (let i = 0; i < COMMITS; i++) await commit();
      return ((now() - t0) * 1000) / COMMITS;
    };
    // Warm-up: prepared statements, plans.
    for (const commit of Object.values(statements)) await time(commit);
    const names = Object.keys(statements) as (keyof typeof statements)[];
    const ratios = {
      whole: [] as number[],
      withoutEntry: [] as number[],
      folded: [] as number[],
      asEntry: [] as number[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      // All four after the same floor round, each first in turn, so none always follows it.
      const f = await floor.round(COMMITS);
      const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
      for (const which of order) ratios[which].push((await time(statements[which])) / f);
    }
    const list = (xs: number[]) => xs.map((x) => `${fmt(x)}x`).join(", ");
    const section = "2. per-step overhead";
    return [
      {
        section,
        metric: "where it goes: the step commit statement alone",
        value: median(ratios.whole),
        unit: "x floor",
        note: `one pooled connection, no engine: the lease fence, the step row, its log entry; each round ÷ the floor round before it (${list(ratios.whole)})`,
      },
      {
        section,
        metric: "  the same without its log entry",
        value: median(ratios.withoutEntry),
        unit: "x floor",
        note: `the fence and the step row only: what any rework that moves the log entry could reach at best; taken in turns with the lines around it, after the same floor round (${list(ratios.withoutEntry)})`,
      },
      {
        section,
        metric: "  the same with the entry folded into the step row",
        value: median(ratios.folded),
        unit: "x floor",
        note: `a sketch of that rework on copies of the tables: the fence bumps a log counter on the run's row, the step row takes the number and a time, under a unique index (${list(ratios.folded)})`,
      },
      {
        section,
        metric: "  the same with the step kept as its log entry",
        value: median(ratios.asEntry),
        unit: "x floor",
        note: `a sketch of the other way, on a copy of the entries table: the entry carries the step's result, no step row, a unique index on the step's id (${list(ratios.asEntry)})`,
      },
    ];
  } finally {
    await pool.end();
    await journal.close();
  }
}
