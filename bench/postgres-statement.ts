// Where the PostgreSQL step commit's time goes: the journal's one-statement commit on a pool of
// one connection (no engine, no notifications), and the same statement without its `step.ended`
// log entry. The second bounds any rework that keeps a step's log entry elsewhere: folding the
// entry into the step row still has to give the row a place in the run's log (a column and an
// index entry), so it costs more than leaving the entry out. If the bound misses a target, no such
// rework meets it. Each round takes a floor round, then both statements, in turns first.
import { Engine, openJournalAsync, silentLogger } from "../src/index.js";
import { encodePayload } from "../src/shared/payload.js";
import { commitStepAtOnce, fenceAndStep, stepCommitParams } from "../src/store/postgres/commit-step.js";
import { Sql, Statements, createPool } from "../src/store/postgres/database.js";
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
    const time = async (commit: () => Promise<void>) => {
      const t0 = now();
      for (let i = 0; i < COMMITS; i++) await commit();
      return ((now() - t0) * 1000) / COMMITS;
    };
    await time(whole); // warm-up: prepared statements, plans
    await time(withoutEntry);
    const ratios = { whole: [] as number[], withoutEntry: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      // Both statements after the same floor round, in turns first, so neither always follows it.
      const f = await floor.round(COMMITS);
      const order = r % 2 === 0 ? (["whole", "withoutEntry"] as const) : (["withoutEntry", "whole"] as const);
      for (const which of order)
        ratios[which].push((await time(which === "whole" ? whole : withoutEntry)) / f);
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
        note: `the fence and the step row only: what any rework that moves the log entry could reach at best; taken in turns with the line above, after the same floor round (${list(ratios.withoutEntry)})`,
      },
    ];
  } finally {
    await pool.end();
    await journal.close();
  }
}
