import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import pg from "pg";
import { systemClock } from "../../src/shared/clock.js";
import type { Journal } from "../../src/store/journal.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import type { StoreKind } from "../helpers.js";
import { freshPostgresDatabase, onCleanup, tempDir } from "../helpers.js";
import { startTcpProxy } from "./tcp-proxy.js";

/**
 * The faults each store is tried with, by name. `refusesSmallWrites` is false for a fault that
 * still lets a write through when it fits in the pages the store already has (a file that may
 * not grow): only writes carrying a sizeable payload meet it. `onlyTheRunsRow`: only writes
 * that lock the run's own row meet it.
 */
export const FAULTS: Record<
  StoreKind,
  readonly { name: string; refusesSmallWrites: boolean; onlyTheRunsRow: boolean }[]
> = {
  sqlite: [
    { name: "SQLITE_BUSY", refusesSmallWrites: true, onlyTheRunsRow: false },
    { name: "SQLITE_FULL", refusesSmallWrites: false, onlyTheRunsRow: false },
  ],
  postgres: [
    { name: "statement_timeout", refusesSmallWrites: true, onlyTheRunsRow: true },
    { name: "dropped connection", refusesSmallWrites: true, onlyTheRunsRow: false },
  ],
};

/**
 * A real fault of a real store, started from inside a run. It passes by itself a moment after
 * the first write it fails (as a lock released a little past the timeout, a server back a
 * moment later): the writes that follow at once may succeed, so a run must not be failed by
 * them. A fault that does not pass by itself (`clearedByTest`) is cleared by the test.
 */
export interface StoreFault {
  /** What the fault is, for a person reading the test's output. */
  name: string;
  /** What the engine's error log names when the fault hits (SQLite's code, PostgreSQL's words). */
  signature: RegExp;
  /** True when the test clears the fault (at once when the engine reports it). */
  clearedByTest: boolean;
  /** Starts the fault; `runId` is the run it is aimed at (for a fault that locks its row). */
  start(runId: string): Promise<void>;
  clear(): Promise<void>;
}

export interface FaultyStore {
  kind: StoreKind;
  /** The store's URL (`sqlite:<path>`, or PostgreSQL's, not through the proxy), for other processes. */
  url: string;
  /**
   * Makes the store refuse, from now on, every step result of one run (a trigger raises an
   * error): a run that the same store error stops every time it is executed.
   */
  poison(runId: string): Promise<void>;
  /** The journal the engine under test uses (real clock), and the one the faults hit. */
  journal: Journal;
  /** Another connection to the same store that the faults do not touch: for the test's checks. */
  observer: Journal;
  faults: Record<string, StoreFault>;
}

/**
 * How long a writer waits for a lock before it fails (SQLite's busy timeout, PostgreSQL's
 * statement_timeout), and how long a lock is held: past one timeout, within two, so the store
 * call right after the failed one would succeed.
 */
const LOCK_TIMEOUT_MS = 300;
const LOCK_HELD_MS = 450;
/** How long the network to PostgreSQL stays down. */
const DROP_MS = 400;

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * A store whose faults a test can start: on SQLite another process holding the write lock past
 * the busy timeout (SQLITE_BUSY), and a file that cannot grow (SQLITE_FULL); on PostgreSQL a row
 * locked by another connection past `statement_timeout`, and every connection dropped (through a
 * TCP proxy). Everything is closed after the test.
 */
export async function faultyStore(kind: StoreKind): Promise<FaultyStore> {
  return kind === "postgres" ? faultyPostgres() : faultySqlite();
}

function faultySqlite(): FaultyStore {
  const path = join(tempDir(), "cairn.db");
  const journal = new SqliteJournal({ path, busyTimeoutMs: LOCK_TIMEOUT_MS });
  const observer = new SqliteJournal({ path });
  onCleanup(() => journal.close());
  onCleanup(() => observer.close());
  const db = journal.database;
  db.exec("CREATE TABLE IF NOT EXISTS test_filler (x BLOB)");
  let holder: ChildProcess | undefined;
  const busy: StoreFault = {
    name: "SQLITE_BUSY: another process holds the write lock past the busy timeout",
    signature: /SQLITE_BUSY/,
    clearedByTest: false,
    start: () => {
      const child = holdWriteLock(path, LOCK_HELD_MS);
      holder = child;
      return new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
          () => reject(new Error("the lock holder never said it had the lock")),
          20_000,
        );
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (!out.includes("locked")) return;
          clearTimeout(timer);
          // Its hold is timed from now, when the run's next write is about to meet it.
          child.stdin!.write("go\n");
          resolve();
        });
        child.on("exit", (code) => {
          clearTimeout(timer);
          if (!out.includes("locked")) reject(new Error(`the lock holder exited (${code}) without the lock`));
        });
      });
    },
    clear: () => {
      holder?.kill("SIGKILL");
      return Promise.resolve();
    },
  };
  const full: StoreFault = {
    name: "SQLITE_FULL: the file cannot grow and its free pages are used up",
    signature: /SQLITE_FULL/,
    clearedByTest: true,
    start: () => {
      // max_page_count is the connection's own limit: the engine's connection may not grow the
      // file, and its free pages are filled, so every write that needs a new page fails.
      const pages = db.pragma("page_count", { simple: true }) as number;
      db.pragma(`max_page_count = ${pages}`);
      for (let size = 64 * 1024; size >= 1; size = Math.floor(size / 2)) {
        for (;;) {
          try {
            db.prepare("INSERT INTO test_filler (x) VALUES (zeroblob(?))").run(size);
          } catch {
            break;
          }
        }
      }
      return Promise.resolve();
    },
    clear: () => {
      db.pragma("max_page_count = 1073741823");
      db.exec("DELETE FROM test_filler");
      return Promise.resolve();
    },
  };
  const poison = (runId: string) => {
    db.exec(`CREATE TRIGGER poison_${runId} BEFORE INSERT ON steps WHEN NEW.run_id = '${runId}'
      BEGIN SELECT RAISE(ABORT, 'the disk says no to run ${runId}'); END`);
    return Promise.resolve();
  };
  return {
    kind: "sqlite",
    url: `sqlite:${path}`,
    journal,
    observer,
    poison,
    faults: { SQLITE_BUSY: busy, SQLITE_FULL: full },
  };
}

/**
 * Another process that takes the SQLite write lock, says "locked", and commits `ms` after it is
 * told "go" on stdin.
 */
export function holdWriteLock(path: string, ms: number): ChildProcess {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(${JSON.stringify(path)});
    db.exec("BEGIN IMMEDIATE");
    process.stdout.write("locked\\n");
    process.stdin.once("data", () => setTimeout(() => { db.exec("COMMIT"); db.close(); process.exit(0); }, ${ms}));`;
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  onCleanup(() => {
    child.kill("SIGKILL");
  });
  return child;
}

async function faultyPostgres(): Promise<FaultyStore> {
  const url = await freshPostgresDatabase();
  const proxy = await startTcpProxy(Number(new URL(url).port));
  onCleanup(() => proxy.close());
  const proxied = new URL(url);
  proxied.port = String(proxy.port);
  const journal = await PostgresJournal.open({
    url: proxied.toString(),
    clock: systemClock,
    max: 4,
    connectionTimeoutMillis: 5_000,
    statement_timeout: LOCK_TIMEOUT_MS,
  });
  const observer = await PostgresJournal.open({ url, max: 2 });
  onCleanup(() => journal.close());
  onCleanup(() => observer.close());
  const lockers = new Set<pg.Client>();
  const rowLock: StoreFault = {
    name: "statement_timeout: another connection holds the run's row lock",
    signature: /statement timeout/,
    clearedByTest: false,
    start: async (runId) => {
      const locker = new pg.Client({ connectionString: url });
      lockers.add(locker);
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query("SELECT 1 FROM runs WHERE id = $1 FOR UPDATE", [runId]);
      // The hold is timed from when the engine's next write starts waiting for the lock (it may
      // come late on a busy machine): past its statement_timeout, within two.
      const release = () => {
        if (!lockers.delete(locker)) return;
        void locker.query("ROLLBACK").finally(() => locker.end());
      };
      void (async () => {
        const deadline = Date.now() + 5_000;
        while (lockers.has(locker) && Date.now() < deadline) {
          const { rows } = await locker.query<{ n: number }>(
            "SELECT COUNT(*)::int AS n FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()",
          );
          if ((rows[0]?.n ?? 0) > 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        setTimeout(release, LOCK_HELD_MS);
      })().catch(release);
    },
    clear: async () => {
      for (const locker of [...lockers]) {
        lockers.delete(locker);
        await locker.end();
      }
    },
  };
  onCleanup(() => rowLock.clear());
  const drop: StoreFault = {
    name: "a dropped connection: every connection is reset, and the server answers again a moment later",
    signature: /PostgreSQL store/,
    clearedByTest: false,
    start: () => {
      proxy.drop();
      setTimeout(() => proxy.restore(), DROP_MS);
      return Promise.resolve();
    },
    clear: () => {
      proxy.restore();
      return Promise.resolve();
    },
  };
  const poison = async (runId: string) => {
    await observer.database.query(`CREATE FUNCTION poison_${runId}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.run_id = '${runId}' THEN RAISE EXCEPTION 'the disk says no to run ${runId}'; END IF;
        RETURN NEW;
      END $$`);
    await observer.database.query(
      `CREATE TRIGGER poison_${runId} BEFORE INSERT ON steps FOR EACH ROW EXECUTE FUNCTION poison_${runId}()`,
    );
  };
  return {
    kind: "postgres",
    url,
    journal,
    observer,
    poison,
    faults: { statement_timeout: rowLock, "dropped connection": drop },
  };
}
