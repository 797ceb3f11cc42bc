// A run driven through the public API on PostgreSQL, in this process, as an application does it:
// the package's entry (`openJournalAsync`, Engine, Worker), a Worker started (not drained), and
// each round `engine.start(...)` then `await run.result()`. 1 run × 1,000 no-op steps (~50 B
// results, the floor's row size) per round, each round paired with a floor round; the ratio is
// the median of the pairs. Also counted, which the machine's load does not change: round trips
// per step (this process's pg `Client.query` calls during the round) and WAL bytes per step
// (pg_current_wal_lsn before and after), the floor's counted the same way.
// Beside it, the journal's step commit alone (no engine), to show how much of the gap is the store.
import pg from "pg";
import { Engine, Worker, openJournalAsync, silentLogger } from "../src/index.js";
import type { PgFloor } from "./postgres-floor.js";
import { stepPayload } from "./postgres-floor.js";
import { chain } from "./postgres-workflows.js";
import { journalRun, timeJournalCommits } from "./step-journal.js";
import type { Figure } from "./support.js";
import { fmt, median, timePublicRun } from "./support.js";

const STEPS = 1_000;
const ROUNDS = 5;

export interface PublicContext {
  url: string;
  floor: PgFloor;
  /** A connection to the same server, to read its WAL position. */
  admin: pg.Client;
  targetRatio: number;
}

/** Counts this process's pg round trips while `fn` runs. */
async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  let queries = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    queries++;
    return query.apply(this, args);
  };
  try {
    return { result: await fn(), queries };
  } finally {
    proto.query = query;
  }
}

export async function measurePublicPg(ctx: PublicContext): Promise<Figure[]> {
  const walAt = async () =>
    Number(
      (await ctx.admin.query<{ b: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS b"))
        .rows[0]!.b,
    );
  const journal = await openJournalAsync(ctx.url);
  const engine = new Engine({ journal, workflows: [chain], logger: silentLogger });
  const worker = new Worker(engine);
  // The journal-alone rounds' runs belong to an engine no worker serves, so none claims them.
  const bare = new Engine({ journal, workflows: [journalRun], logger: silentLogger });
  worker.start();
  try {
    const round = () => timePublicRun(engine, chain, STEPS);
    await round(); // warm-up: JIT, prepared statements, pool connections
    const us: number[] = [];
    const ratios: number[] = [];
    const queries: number[] = [];
    const walBytes: number[] = [];
    const alone: number[] = [];
    const floorWal: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const w0 = await walAt();
      const f = await ctx.floor.round();
      const w1 = await walAt();
      const counted = await countQueries(round);
      const w2 = await walAt();
      us.push(counted.result);
      ratios.push(counted.result / f);
      queries.push(counted.queries / STEPS);
      floorWal.push((w1 - w0) / ctx.floor.commitsPerRound);
      walBytes.push((w2 - w1) / STEPS);
      const f2 = await ctx.floor.round();
      alone.push((await timeJournalCommits(bare, STEPS, stepPayload)) / f2);
    }
    const ratio = median(ratios);
    const section = "2. per-step overhead";
    const m = `public API in this process, 1 run × ${fmt(STEPS)} steps`;
    return [
      {
        section,
        metric: `${m}: per step`,
        value: median(us),
        unit: "µs/step",
        note:
          `${fmt(ratio)}x the 1-connection floor (target ≤ ${ctx.targetRatio}x): engine.start + run.result() ` +
          `with a started Worker, median of ${ROUNDS} rounds (${ratios.map((x) => `${fmt(x)}x`).join(", ")}); ` +
          `best ${fmt(Math.min(...us))} µs`,
        ok: ratio <= ctx.targetRatio,
      },
      {
        section,
        metric: `where it goes: journal.commitStep alone, ${fmt(STEPS)} in a row`,
        value: median(alone),
        unit: "x floor",
        note:
          "no engine: the one-statement commit (fence, step row, log entry), each round ÷ a floor " +
          `round just before it (${alone.map((x) => `${fmt(x)}x`).join(", ")})`,
      },
      {
        section,
        metric: `${m}: round trips`,
        value: median(queries),
        unit: "queries/step",
        note: "pg Client.query calls of this process from engine.start to the result (the floor: 1)",
      },
      {
        section,
        metric: `${m}: WAL written`,
        value: median(walBytes),
        unit: "bytes/step",
        note: `the floor: ${fmt(median(floorWal))} bytes per insert`,
      },
    ];
  } finally {
    await worker.stop();
    await journal.close();
  }
}
