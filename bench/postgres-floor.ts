// The PostgreSQL floor: what one durable commit of a step-sized row costs on this machine with
// the raw `pg` client and no engine: one autocommitted INSERT of a row shaped like the journal's
// steps row (three ids, a few integers, a ~50-byte JSON payload) as a named prepared statement —
// one round trip and one WAL flush (fsync=on, synchronous_commit=on).
// Single connection: µs per commit. N connections at once (1, 2, 4): commits/s of all of them,
// which is what group commit lets the server do in parallel. Other sections take single-
// connection rounds between theirs, so a ratio compares figures taken under the same load.
import pg from "pg";
import type { Figure } from "./support.js";
import { fmt, median, now } from "./support.js";

const WARMUP = 200;
const COMMITS = 500;
const ROUNDS = 5;
const PARALLEL = [1, 2, 4] as const;
/** Commits each connection makes in a parallel round. */
const PARALLEL_COMMITS = 400;

/** The steps table of the journal's schema (src/store/migrations.ts), without the rest. */
const CREATE = `CREATE TABLE IF NOT EXISTS floor_steps (
  workspace TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL, seq INTEGER NOT NULL,
  kind TEXT NOT NULL, status TEXT NOT NULL, attempt INTEGER NOT NULL, output_json TEXT, output_blob TEXT,
  output_bytes BIGINT NOT NULL DEFAULT 0, error_json TEXT, started_at BIGINT NOT NULL, ended_at BIGINT,
  retry_at BIGINT, side_effect INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (workspace, run_id, step_id))`;

const INSERT = `INSERT INTO floor_steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json,
  output_blob, output_bytes, error_json, started_at, ended_at, retry_at, side_effect)
  VALUES ($1, $2, $3, $4, 'run', 'completed', 1, $5, NULL, $6, NULL, $7, $8, NULL, 0)`;

/** A step's result of about 50 bytes of JSON, as the engine rounds store. */
export function stepPayload(i: number): { i: number; note: string } {
  return { i, note: "a no-op step's small result, ~50 B" };
}

/** One connection inserting step rows into its own run, one per transaction. */
class Committer {
  private seq = 0;
  constructor(
    private readonly client: pg.Client,
    private readonly runId: string,
  ) {}

  async commit(): Promise<void> {
    const output = JSON.stringify(stepPayload(this.seq));
    const at = Date.now();
    // Autocommitted: the statement is its own transaction, committed (and flushed) as it ends.
    await this.client.query({
      name: "floor_insert",
      text: INSERT,
      values: ["default", this.runId, `s#${this.seq + 1}`, this.seq, output, output.length, at, at],
    });
    this.seq++;
  }
}

export interface PgFloor {
  /** Commits `commits` rows on the single connection; returns µs per commit. */
  round(commits?: number): Promise<number>;
  /** Every single-connection round so far, µs per commit. */
  readonly rounds: number[];
  /** Commits in a round (the default `commits`). */
  readonly commitsPerRound: number;
  /** `connections` connections committing at once; returns commits/s of them all. */
  parallel(connections: number, commitsEach?: number): Promise<number>;
  close(): Promise<void>;
}

export async function openPgFloor(url: string): Promise<PgFloor> {
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: url, application_name: "cairn-bench-floor" });
    await c.connect();
    clients.push(c);
    return c;
  };
  const main = await connect();
  await main.query(CREATE);
  let runs = 0;
  const committer = async (client: pg.Client) => new Committer(client, `run_floor_${++runs}`);
  const single = await committer(main);
  for (let i = 0; i < WARMUP; i++) await single.commit();
  const others: pg.Client[] = [];
  for (let i = 1; i < Math.max(...PARALLEL); i++) others.push(await connect());
  const rounds: number[] = [];
  return {
    rounds,
    commitsPerRound: COMMITS,
    async round(commits = COMMITS) {
      const t0 = now();
      for (let i = 0; i < commits; i++) await single.commit();
      const us = ((now() - t0) * 1000) / commits;
      rounds.push(us);
      return us;
    },
    async parallel(connections, commitsEach = PARALLEL_COMMITS) {
      const pool = [main, ...others].slice(0, connections);
      const committers = await Promise.all(pool.map(committer));
      const t0 = now();
      await Promise.all(
        committers.map(async (c) => {
          for (let i = 0; i < commitsEach; i++) await c.commit();
        }),
      );
      return (connections * commitsEach * 1000) / (now() - t0);
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    },
  };
}

export async function measurePgFloor(floor: PgFloor): Promise<Figure[]> {
  for (let r = 0; r < ROUNDS; r++) await floor.round();
  const parallel: { n: number; perS: number[] }[] = PARALLEL.map((n) => ({ n, perS: [] }));
  // Interleaved, so every level sees the same spell of the machine's load.
  for (let r = 0; r < 3; r++) for (const p of parallel) p.perS.push(await floor.parallel(p.n));
  const section = "1. floor (raw pg)";
  const one = median(parallel[0]!.perS);
  return [
    pgFloorFigure(floor),
    ...parallel.map((p): Figure => ({
      section,
      metric: `${p.n} connection${p.n === 1 ? "" : "s"} at once: throughput`,
      value: median(p.perS),
      unit: "commits/s",
      note: `${fmt((p.n * 1e6) / median(p.perS))} µs per commit per connection; ${fmt(median(p.perS) / one)}x one connection; median of 3 rounds of ${fmt(PARALLEL_COMMITS)} per connection`,
    })),
  ];
}

/** The single-connection floor: the median of every round taken, including those between other sections' rounds. */
export function pgFloorFigure(floor: PgFloor): Figure {
  const us = median(floor.rounds);
  return {
    section: "1. floor (raw pg)",
    metric: "1 connection: one autocommitted step-sized INSERT",
    value: us,
    unit: "µs/commit",
    note: `${fmt(1e6 / us)} commits/s; median of ${floor.rounds.length} rounds of ${fmt(COMMITS)}; best ${fmt(Math.min(...floor.rounds))} µs`,
  };
}
