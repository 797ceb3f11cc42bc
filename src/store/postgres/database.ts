import type pg from "pg";
import { requireLazily } from "../../shared/require-lazily.js";
import { CairnError, StoreError } from "../../shared/errors.js";
import { MIGRATIONS } from "../migrations.js";
import { refreshPlans } from "./plan-refresh.js";

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** Pool settings passed through to `pg.Pool` (all but the URL and type parsing, which Cairn sets). */
export type PostgresPoolOptions = Omit<pg.PoolConfig, "connectionString" | "types">;

const INT8_OID = 20;

/**
 * BIGINT (ms timestamps, byte counts, COUNT(*)) comes back as a number, not a string: every value
 * Cairn stores fits in 2^53. Set on Cairn's pool only, never on pg's global parsers.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
    oid === INT8_OID && format !== "binary"
      ? Number
      : pgDriver().types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** Advisory lock namespaces (first key of the two-int form), so Cairn's locks never collide. */
export const LockSpace = {
  Migrations: 0,
  ConcurrencyKey: 1,
  Singleton: 2,
  Session: 3,
} as const;

export { redactUrl } from "../../shared/redact-url.js";

let driver: typeof pg | undefined;

/**
 * The pg driver, loaded when a PostgreSQL store is first opened (not when Cairn is imported).
 * Kept once loaded: every query's result asks for its type parsers through it, and `require`
 * resolves the package's path again on each call.
 */
export function pgDriver(): typeof pg {
  return (driver ??= requireLazily<typeof pg>("pg"));
}

/** How long a Cairn connection may sit idle inside a transaction before the server ends it. */
export const IDLE_IN_TRANSACTION_MS = 10_000;

export function createPool(url: string, options: PostgresPoolOptions = {}): PgPool {
  const pool = new (pgDriver().Pool)({
    max: 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: "cairn",
    // Cairn's queries are short and index-backed: JIT compiling them (which the planner's cost
    // estimates for the claim queries can trigger) only adds tens of ms, and planning them anew
    // for each execution (which PostgreSQL chose for the claims once runs numbered 100,000) adds
    // a fixed 0.3 ms to every claim for the same index scans. Set at connection start.
    // A worker frozen inside a transaction (SIGSTOP, a paused VM, a debugger) would hold its
    // runs' row locks for as long as it stays frozen, and claims skip locked rows: its runs could
    // never be taken over. Cairn never leaves a transaction idle for long, so the server ends one
    // that is, releasing its locks; the worker, if it wakes, meets a store error and hands back.
    options: `-c jit=off -c plan_cache_mode=force_generic_plan -c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
    ...options,
    connectionString: url,
    types,
  });
  // A pooled connection that dies while idle (a server restart) must not crash the process: the
  // pool drops it, and the next query connects again.
  pool.on("error", () => undefined);
  refreshPlans(pool);
  return pool;
}

/**
 * Brings the schema up to date in one transaction under an advisory lock, so several processes
 * starting at once migrate it exactly once; refuses a schema newer than this Cairn knows.
 */
export async function migrate(pool: PgPool, where: string): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const lost = (err: Error) => (broken ??= err);
  client.on("error", lost);
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1, 0)", [LockSpace.Migrations]);
    await client.query(`CREATE TABLE IF NOT EXISTS cairn_migrations (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ id: number | null }>("SELECT MAX(id) AS id FROM cairn_migrations");
    const current = rows[0]?.id ?? 0;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.id ?? 0;
    if (current > latest) {
      throw new StoreError(
        `the store at ${where} has schema version ${current}, newer than this Cairn knows (${latest}); upgrade cairn-runtime`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.id <= current) continue;
      for (const sql of m.pg) await client.query(sql);
      await client.query(
        "INSERT INTO cairn_migrations (id, name, applied_at) VALUES ($1, $2, floor(extract(epoch FROM now()) * 1000)::bigint)",
        [m.id, m.name],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw err;
  } finally {
    client.off("error", lost);
    client.release(broken);
  }
}

/** Something to run parametrized SQL on: a pooled client inside a transaction, or the pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Parametrized queries as named prepared statements: each distinct text is parsed and planned
 * once per connection. The names are shared by every connection of the pool.
 */
export class Statements {
  private readonly names = new Map<string, string>();

  name(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) {
      name = `cairn_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return name;
  }
}

/** Runs SQL on one connection or the pool, with rows typed by the caller. */
export class Sql {
  constructor(
    private readonly on: Queryable,
    private readonly statements: Statements,
  ) {}

  async rows<T>(text: string, values: unknown[] = []): Promise<T[]> {
    const result = await this.on.query<pg.QueryResultRow>({ name: this.statements.name(text), text, values });
    return result.rows as T[];
  }

  async one<T>(text: string, values: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(text, values))[0];
  }

  /** Runs a write; returns the number of rows it touched. */
  async run(text: string, values: unknown[] = []): Promise<number> {
    const result = await this.on.query({ name: this.statements.name(text), text, values });
    return result.rowCount ?? 0;
  }
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/**
 * A log entry numbered from the run's log as it stood before the statement waited for the run's
 * lock, when the writer it waited for appended meanwhile (see `log`): the number is taken, and
 * the transaction, run again, reads the log anew.
 */
const LOG_RACE = { code: "23505", constraint: "entries_pkey" } as const;

export function isRetryable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  return RETRYABLE.has(code as string) || (code === LOG_RACE.code && constraint === LOG_RACE.constraint);
}

/** Errors from pg (a lost connection, a failed statement) surface as StoreError; Cairn's own pass. */
export function storeError(err: unknown, where: string): Error {
  if (err instanceof CairnError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (err as { code?: unknown }).code;
  return new StoreError(
    `the PostgreSQL store at ${where} failed: ${e.message}${typeof code === "string" ? ` (SQLSTATE ${code})` : ""}`,
    { cause: e },
  );
}
