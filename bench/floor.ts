// The floor: what one durable commit costs on this machine with raw better-sqlite3 and no
// engine. One INSERT of a step-sized row (same columns and key as the engine's steps table) per
// IMMEDIATE transaction, WAL, at the chosen synchronous level (FULL: one fsync per commit).
// Reports µs per insert. Other sections take rounds of it in between theirs, so a ratio compares
// figures taken under the same load.
import Database from "better-sqlite3";
import type { BenchOptions, Figure, WalCount } from "./support.js";
import { countWal, fmt, median, now, startCountingWal, tempStore } from "./support.js";

const WARMUP = 200;
const INSERTS = 1_000;
const ROUNDS = 5;

export interface Floor {
  /** Commits `inserts` rows, one per transaction; returns µs per insert. */
  round(inserts?: number): number;
  /** Commits one row, as a round does, and returns its µs; not counted among the rounds. */
  once(): number;
  /** Every round taken so far, µs per insert. */
  readonly rounds: number[];
  /** Commits `inserts` rows as a round does, untimed, and counts the WAL frames they wrote. */
  countWrites(inserts: number): WalCount;
  close(): void;
}

export function openFloor(options: BenchOptions): Floor {
  const store = tempStore("floor");
  const db = new Database(store.path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.exec(`CREATE TABLE steps (
    workspace TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL, seq INTEGER NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL, output_json TEXT, output_blob TEXT,
    output_bytes INTEGER NOT NULL DEFAULT 0, error_json TEXT, started_at INTEGER NOT NULL, ended_at INTEGER,
    retry_at INTEGER, side_effect INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (workspace, run_id, step_id))`);
  const insert = db.prepare(
    `INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob,
       output_bytes, error_json, started_at, ended_at, retry_at, side_effect)
     VALUES (?, ?, ?, ?, 'run', 'completed', 1, ?, NULL, ?, NULL, ?, ?, NULL, 0)`,
  );
  const runId = "run_0jcbench00floor00000000000";
  let seq = 0;
  const commitOne = db.transaction(() => {
    const output = String(seq);
    const at = Date.now();
    insert.run("default", runId, seq === 0 ? "s" : `s#${seq + 1}`, seq, output, output.length, at, at);
    seq++;
  });
  for (let i = 0; i < WARMUP; i++) commitOne.immediate();
  const rounds: number[] = [];
  return {
    rounds,
    round(inserts = INSERTS) {
      const t0 = now();
      for (let i = 0; i < inserts; i++) commitOne.immediate();
      const us = ((now() - t0) * 1000) / inserts;
      rounds.push(us);
      return us;
    },
    once() {
      const t0 = now();
      commitOne.immediate();
      return (now() - t0) * 1000;
    },
    countWrites(inserts) {
      startCountingWal(db);
      for (let i = 0; i < inserts; i++) commitOne.immediate();
      const count = countWal(store.path);
      db.pragma("wal_autocheckpoint = 1000");
      return count;
    },
    close() {
      db.close();
      store.cleanup();
    },
  };
}

export function measureFloor(floor: Floor): Figure[] {
  for (let r = 0; r < ROUNDS; r++) floor.round();
  return [floorFigure(floor)];
}

/** The floor as reported: the median of every round taken, including those between other sections' rounds. */
export function floorFigure(floor: Floor): Figure {
  const us = median(floor.rounds);
  return {
    section: "1. floor",
    metric: "raw insert + commit (1 row per transaction)",
    value: us,
    unit: "µs/insert",
    note: `median of ${floor.rounds.length} rounds of ${fmt(INSERTS)}; best ${fmt(Math.min(...floor.rounds))} µs; ${fmt(1e6 / us)} commits/s`,
  };
}
