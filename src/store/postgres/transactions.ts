import type { Clock } from "../../shared/clock.js";
import type { PgClient, PgPool } from "./database.js";
import { Sql, Statements, isRetryable, storeError } from "./database.js";

/** How many times a transaction that lost a deadlock or serialization race runs again. */
const TX_ATTEMPTS = 5;

/** The database clock, in ms since the epoch (the transaction's start, inside one). */
export const DB_NOW = "floor(extract(epoch FROM now()) * 1000)::int8";

/** One transaction: its connection and its moment. */
export interface Tx {
  sql: Sql;
  now: number;
  /** Runs once the transaction has committed. */
  afterCommit: (() => void)[];
}

/**
 * The journal's transactions and reads on the pool, and the time they happen at: the injected
 * clock's, or else the database's.
 */
export class PgTransactions {
  private readonly statements = new Statements();
  private readonly db: Sql;
  /** The database's clock minus ours, in ms; see now(). */
  private clockOffset: number | undefined;

  constructor(
    private readonly pool: PgPool,
    private readonly where: string,
    private readonly clock: Clock | undefined,
  ) {
    this.db = new Sql(pool, this.statements);
  }

  /**
   * The database's time, without a round trip once known: our clock plus the offset last seen
   * between the two (every transaction reads the database's time and refreshes it). Leases and
   * timers are decided in transactions, on the database's own clock; this serves timestamps
   * and the worker's idea of when the next timer is due.
   */
  async now(): Promise<number> {
    if (this.clock) return this.clock.now();
    if (this.clockOffset === undefined) {
      const row = await this.read((sql) => sql.one<{ now: number }>(`SELECT ${DB_NOW} AS now`));
      this.clockOffset = row!.now - Date.now();
    }
    return Date.now() + this.clockOffset;
  }

  /**
   * Runs `fn` in one transaction and commits. A transaction that lost a deadlock or a
   * serialization race is rolled back and run again from the start (it re-checks everything,
   * the lease first); any other error rolls it back and is thrown.
   */
  async tx<T>(fn: (t: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PgClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw storeError(err, this.where);
      }
      let broken: Error | undefined;
      // A connection lost between two statements is reported as an event on the client; without
      // a listener it would crash the process. The failed statement that follows throws.
      const lost = (err: Error) => (broken ??= err);
      client.on("error", lost);
      try {
        const t: Tx = {
          sql: new Sql(client, this.statements),
          now: await this.begin(client),
          afterCommit: [],
        };
        const result = await fn(t);
        await client.query("COMMIT");
        for (const hook of t.afterCommit) hook();
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
        if (broken === undefined && isRetryable(err) && attempt < TX_ATTEMPTS) continue;
        throw storeError(err, this.where);
      } finally {
        client.off("error", lost);
        client.release(broken);
      }
    }
  }

  /** BEGIN, and the transaction's moment: the injected clock's, or the database's in the same round trip. */
  private async begin(client: PgClient): Promise<number> {
    if (this.clock) {
      await client.query("BEGIN");
      return this.clock.now();
    }
    const results = (await client.query(`BEGIN; SELECT ${DB_NOW} AS now`)) as unknown as {
      rows: { now: number }[];
    }[];
    const now = results[1]!.rows[0]!.now;
    this.clockOffset = now - Date.now();
    return now;
  }

  /** Reads outside a transaction, on the pool. */
  async read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await fn(this.db);
    } catch (err) {
      throw storeError(err, this.where);
    }
  }
}

/** Runs a one-statement transaction again when it lost a deadlock or serialization race. */
export async function retryRace<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= TX_ATTEMPTS) throw err;
    }
  }
}
