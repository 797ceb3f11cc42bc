import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NEXT_SEQ } from "../../src/store/postgres/log.js";
import { NEXT_WAKE_SQL } from "../../src/store/postgres/postgres-claims.js";
import { SESSION_HEAD } from "../../src/store/postgres/postgres-sessions.js";
import { LAST_PIN } from "../../src/store/postgres/postgres-workspace-store.js";
import { Sql, Statements, createPool } from "../../src/store/postgres/database.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";

/**
 * Cairn's connections plan each statement generically and keep the plan for a while (see
 * createPool, refreshPlans). A plan made while the tables were nearly empty must still read one index entry
 * when a run has thousands of log entries or a workspace 100,000 waiting runs: the statements
 * that look for a latest or earliest row do it with an ordered index scan and LIMIT 1, which a
 * plan of MAX() or MIN() made on a small table does not (it scans every matching row).
 */
let server: PostgresServer | undefined;
let db: pg.Client | undefined;

beforeAll(async () => {
  server = await startPostgres();
  await (await PostgresJournal.open({ url: server.url })).close();
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query("SET plan_cache_mode = force_generic_plan");
}, 60_000);

afterAll(async () => {
  await db?.end();
  await server?.stop();
});

const STATEMENTS: [name: string, sql: string, types: string, args: string][] = [
  ["a run's next log number", `SELECT ${NEXT_SEQ("$1", "$2")}`, "text, text", "'default', 'run_1'"],
  ["a worker's next wake-up", NEXT_WAKE_SQL, "text, text[]", "'default', ARRAY['wf']"],
  ["a session's last message", `SELECT ${SESSION_HEAD}`, "text, text, text", "'default', 'chat', 's'"],
  ["a run's last workspace pin", `SELECT ${LAST_PIN}`, "text, text, text", "'default', 'run_1', 'step'"],
];

describe("PostgreSQL plans made on empty tables", () => {
  it.each(STATEMENTS)("%s reads the first row of an ordered index scan", async (name, sql, types, args) => {
    const id = `plan_${STATEMENTS.findIndex((s) => s[0] === name)}`;
    await db!.query(`PREPARE ${id}(${types}) AS ${sql}`);
    const { rows } = await db!.query<{ "QUERY PLAN": string }>(`EXPLAIN EXECUTE ${id}(${args})`);
    const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
    expect(plan, `the plan of ${name}`).toMatch(/Limit[\s\S]*Index (Only )?Scan/);
    expect(plan, `the plan of ${name}`).not.toMatch(/Aggregate|Seq Scan|Sort/);
  });
});

describe("PostgreSQL plans as the tables grow", () => {
  it("a connection that planned a lookup by id on an empty table plans it again once the table holds runs", async () => {
    // A fresh table of its own, with no autovacuum: no ANALYZE comes to replace the plan.
    await db!.query("CREATE TABLE grown_runs (LIKE runs INCLUDING ALL) WITH (autovacuum_enabled = false)");
    const pool = createPool(server!.url, { max: 1 });
    try {
      const statements = new Statements();
      const sql = new Sql(pool, statements);
      const lookup = "SELECT id FROM grown_runs WHERE workspace = $1 AND id = $2";
      const plan = async () => {
        const client = await pool.connect();
        try {
          const { rows } = await client.query<{ "QUERY PLAN": string }>(
            `EXPLAIN EXECUTE ${statements.name(lookup)}('default', 'run_7')`,
          );
          return rows.map((r) => r["QUERY PLAN"]).join("\n");
        } finally {
          client.release();
        }
      };
      await sql.one(lookup, ["default", "run_7"]);
      // On the empty table the primary key ties with the other indexes that begin with the workspace.
      await db!.query(
        `INSERT INTO grown_runs (workspace, id, workflow, status, created_at, updated_at)
         SELECT 'default', 'run_' || g, 'wf', 'queued', g, g FROM generate_series(1, 5000) g`,
      );
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await sql.one(lookup, ["default", "run_7"])).toEqual({ id: "run_7" });
      const after = await plan();
      expect(after, "the lookup's plan once the table holds 5,000 runs").toMatch(/grown_runs_pkey/);
      expect(after).toMatch(/Index Cond: \(\(workspace = \$1\) AND \(id = \$2\)\)/);
    } finally {
      await pool.end();
      await db!.query("DROP TABLE grown_runs");
    }
  }, 30_000);
});
