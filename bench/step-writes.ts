// What a step writes, counted rather than timed, so the figures hold on a busy machine: one run
// of 1,000 no-op steps through the engine with its connection's auto-checkpoints off, then the
// WAL read frame by frame. Pages are WAL frames (each a 4 KiB page written), commits are the
// frames that end a transaction (with synchronous=FULL each is one fsync of the WAL), rows come
// from total_changes(), statements from counting executions of the journal's prepared
// statements. The floor's inserts are counted the same way.
import type Database from "better-sqlite3";
import { Worker } from "../src/engine/worker.js";
import { workflow } from "../src/engine/workflow.js";
import type { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";
import type { Floor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { countWal, fmt, openEngine, startCountingWal, tempStore } from "./support.js";

const STEPS = 1_000;

const chain = workflow<{ steps: number }, number>("bench.writes", async ({ input, step }) => {
  let last = 0;
  for (let i = 0; i < input.steps; i++) last = await step.run("s", () => i);
  return last;
});

/** Counts executions of every statement `db` prepares from now on. */
function countStatements(db: Database.Database): { executed: number } {
  const counter = { executed: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    for (const method of ["run", "get", "all", "iterate"] as const) {
      const original = statement[method].bind(statement) as (...args: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        counter.executed++;
        return original(...args);
      };
    }
    return statement;
  }) as Database.Database["prepare"];
  return counter;
}

export async function countStepWrites(options: BenchOptions, floor: Floor): Promise<Figure[]> {
  const store = tempStore("writes");
  const engine = openEngine(store.path, options.synchronous, [chain]);
  const db = (engine.journal as SqliteJournal).database;
  const statements = countStatements(db);
  try {
    await engine.start(chain, { steps: STEPS });
    startCountingWal(db);
    const rows0 = (db.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
    statements.executed = 0;
    await new Worker(engine, { concurrency: 1 }).drain();
    const executed = statements.executed;
    const rows = (db.prepare("SELECT total_changes() AS n").get() as { n: number }).n - rows0;
    const wal = countWal(store.path);
    // Which table or index each page belongs to, to say where the pages go.
    const owners = new Map(
      (db.prepare("SELECT name, pageno FROM dbstat").all() as { name: string; pageno: number }[]).map((r) => [
        r.pageno,
        r.name,
      ]),
    );
    const byOwner = new Map<string, number>();
    for (const [page, frames] of wal.pages) {
      const owner = owners.get(page) ?? (page === 1 ? "file header" : "other");
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + frames);
    }
    const where = [...byOwner]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([owner, frames]) => `${owner} ${fmt(frames / STEPS)}`)
      .join(", ");
    const floorWal = floor.countWrites(STEPS);
    const section = "2-3. steps";
    const run = `1 run × ${fmt(STEPS)} steps, claim to completion`;
    return [
      {
        section,
        metric: "writes per step: pages (WAL frames)",
        value: wal.frames / STEPS,
        unit: "pages/step",
        note: `${run}: ${where}; the floor: ${fmt(floorWal.frames / STEPS)} per insert`,
      },
      {
        section,
        metric: "writes per step: commits (fsyncs at FULL)",
        value: wal.commits / STEPS,
        unit: "commits/step",
        note: `the floor: ${fmt(floorWal.commits / STEPS)} per insert`,
      },
      { section, metric: "writes per step: rows", value: rows / STEPS, unit: "rows/step", note: run },
      {
        section,
        metric: "writes per step: SQL statements",
        value: executed / STEPS,
        unit: "statements/step",
        note: `${run}; the floor: 1 (BEGIN and COMMIT not counted on either side)`,
      },
    ];
  } finally {
    await engine.journal.close();
    store.cleanup();
  }
}
