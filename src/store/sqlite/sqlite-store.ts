import type { Statement } from "better-sqlite3";
import type { Clock } from "../../shared/clock.js";
import type { SqliteDatabase } from "./database.js";
import { SqliteLog } from "./sqlite-log.js";
import { SqlitePayloads } from "./sqlite-payloads.js";

/**
 * What every part of the SQLite journal works through, inside the journal's transactions: the
 * database's prepared statements, the clock, the runs' log and payload storage.
 */
export class SqliteStore {
  readonly log: SqliteLog;
  readonly payloads: SqlitePayloads;
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: SqliteDatabase,
    readonly clock: Clock,
  ) {
    const sql = (text: string) => this.sql(text);
    this.log = new SqliteLog(sql);
    this.payloads = new SqlitePayloads(sql);
  }

  sql(text: string): Statement {
    let s = this.statements.get(text);
    if (s === undefined) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }
}
