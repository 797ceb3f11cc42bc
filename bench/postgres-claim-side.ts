// The databases the claim benchmark measures (see postgres-claim.ts): each with its journal, an
// engine and a plain client, and one filled with waiting runs cloned from two real ones.
import pg from "pg";
import { Engine } from "../src/engine/engine.js";
import { Worker } from "../src/engine/worker.js";
import { silentLogger } from "../src/shared/logger.js";
import type { ClaimRequest } from "../src/store/journal.js";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import { chain, waiter } from "./postgres-workflows.js";
import { now } from "./support.js";

export const WS = "default";
export const WORKFLOWS = [chain.id, waiter.id];

/** The tables that hold a run's rows, and the column naming the run. */
const RUN_TABLES = [
  ["runs", "id"],
  ["steps", "run_id"],
  ["waits", "run_id"],
  ["entries", "run_id"],
  ["entry_seqs", "run_id"],
] as const;

export interface ClaimOptions {
  /** `postgres://…/<database>` for a database name. */
  urlFor: (database: string) => string;
  /** A client on the server's maintenance database, to create databases. */
  admin: pg.Client;
  waiting: number;
  claims: number;
}

export interface Side {
  name: "empty" | "waiting" | "generic";
  url: string;
  journal: PostgresJournal;
  engine: Engine;
  client: pg.Client;
}

export async function openSide(
  options: ClaimOptions,
  name: Side["name"],
  database: string,
  pool: { create: boolean; options?: string },
): Promise<Side> {
  if (pool.create) await options.admin.query(`CREATE DATABASE ${database}`);
  const url = options.urlFor(database);
  const journal = await PostgresJournal.open({
    url,
    max: 4,
    ...(pool.options !== undefined ? { options: pool.options } : {}),
  });
  const engine = new Engine({ journal, workflows: [chain, waiter], logger: silentLogger });
  const client = new pg.Client({ connectionString: url, application_name: "cairn-bench-explain" });
  await client.connect();
  await client.query("SET jit = off"); // as Cairn's pool does
  return { name, url, journal, engine, client };
}

/** Fills `side` with `count` waiting runs: two real ones, cloned. Returns seconds taken. */
export async function fillWaiting(side: Side, count: number): Promise<number> {
  const t0 = now();
  const templates = [
    (await side.engine.start(waiter, { sleep: false })).runId,
    (await side.engine.start(waiter, { sleep: true })).runId,
  ];
  const drained = await new Worker(side.engine).drain();
  if (drained.outcomes.waiting !== 2)
    throw new Error(`the template runs did not park: ${JSON.stringify(drained.outcomes)}`);
  const copies = [Math.ceil(count / 2) - 1, Math.floor(count / 2) - 1];
  const db = side.client;
  await db.query("BEGIN");
  for (const [table, key] of RUN_TABLES) {
    const { rows } = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    const columns = rows.map((r) => r.column_name);
    // Each clone's own id; timers spread one minute apart (so the planner sees a real spread of
    // wake-up times, not one value 50,000 times); everything else as the template has it.
    const select = columns.map((c) =>
      c === key
        ? `t.${c} || '_' || g AS ${c}`
        : c === "wake_at" || c === "due_at"
          ? `t.${c} + g::bigint * 60000 AS ${c}`
          : `t.${c}`,
    );
    for (let i = 0; i < templates.length; i++) {
      if (copies[i]! <= 0) continue;
      await db.query(
        `INSERT INTO ${table} (${columns.join(", ")})
         SELECT ${select.join(", ")} FROM ${table} t CROSS JOIN generate_series(1, $3::int) g
         WHERE t.workspace = $1 AND t.${key} = $2`,
        [WS, templates[i], copies[i]],
      );
    }
  }
  await db.query("COMMIT");
  await db.query("VACUUM ANALYZE");
  return (now() - t0) / 1000;
}

/** What a worker at concurrency 10 asks for. */
export function request(): ClaimRequest {
  return { workspace: WS, owner: "bench-claimer", ttlMs: 60_000, limit: 10, workflows: WORKFLOWS };
}
