import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { CairnError, StoreError } from "../../shared/errors.js";
import { MIGRATIONS } from "../migrations.js";

export type SqliteDatabase = Database.Database;

export interface SqliteOptions {
  /** File path, or ":memory:". */
  path: string;
  /**
   * "full" (default) fsyncs every commit: a committed step survives power loss. "normal" in WAL
   * mode may lose the last commits on power loss (never on a process crash) and is much faster.
   */
  synchronous?: "full" | "normal";
  /** How long a writer waits for another process's transaction (ms). */
  busyTimeoutMs?: number;
}

/** Opens the database file with Cairn's pragmas and brings its schema up to date. */
export function openSqlite(options: SqliteOptions): SqliteDatabase {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(options.path);
  } catch (cause) {
    throw new StoreError(`cannot open the SQLite store at ${options.path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    db.pragma("foreign_keys = ON");
    migrate(db, options.path);
  } catch (cause) {
    // Do not leave the file open (and locked) behind a store we refuse to use.
    db.close();
    if (cause instanceof StoreError) throw cause;
    throw new StoreError(`cannot open the SQLite store at ${options.path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return db;
}

function migrate(db: SqliteDatabase, path: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS cairn_migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const apply = db.transaction(() => {
    const row = db.prepare("SELECT MAX(id) AS id FROM cairn_migrations").get() as { id: number | null };
    const current = row.id ?? 0;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.id ?? 0;
    if (current > latest) {
      throw new StoreError(
        `the store at ${path} has schema version ${current}, newer than this Cairn knows (${latest}); upgrade cairn-runtime`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.id <= current) continue;
      for (const sql of m.sqlite) db.exec(sql);
      db.prepare("INSERT INTO cairn_migrations (id, name, applied_at) VALUES (?, ?, ?)").run(
        m.id,
        m.name,
        Date.now(),
      );
    }
  });
  apply.immediate();
}

/**
 * Every failure of the SQLite file itself (SQLITE_BUSY past the busy timeout, SQLITE_FULL,
 * SQLITE_IOERR, a broken file…) surfaces as a StoreError naming the file and SQLite's code: the
 * engine hands a run back on it instead of failing it. Cairn's own errors (a lost lease, a
 * corrupt payload, bad input) pass through as they are.
 */
export function sqliteStoreError(err: unknown, path: string): Error {
  if (CairnError.is(err)) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (err as { code?: unknown }).code;
  return new StoreError(
    `the SQLite store at ${path} failed: ${e.message}${typeof code === "string" ? ` (${code})` : ""}`,
    { cause: e },
  );
}
