import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, inject } from "vitest";
import type { Workflow } from "../src/engine/workflow.js";
import { Engine } from "../src/engine/engine.js";
import { Worker } from "../src/engine/worker.js";
import { ManualClock } from "../src/shared/clock.js";
import { silentLogger } from "../src/shared/logger.js";
import type { Journal } from "../src/store/journal.js";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";

export { closeServer, listenOnLoopback, within } from "./support/deadlines.js";

const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(prefix = "cairn-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type StoreKind = "sqlite" | "postgres";

/**
 * The store the engine and agent suites run on: the vitest project sets CAIRN_TEST_STORE, so the
 * same tests run once on SQLite files and once on the throwaway PostgreSQL server.
 */
export const testStore: StoreKind = process.env.CAIRN_TEST_STORE === "postgres" ? "postgres" : "sqlite";

export interface Harness {
  store: StoreKind;
  dir: string;
  clock: ManualClock;
  journal: Journal;
  engine: Engine;
  worker: Worker;
  /** Runs everything runnable now. */
  drain(): Promise<void>;
  /** Moves the store's clock forward and runs what became due. */
  advance(ms: number): Promise<void>;
  /** Another journal over the same store, as a new process would open it (closed after the test). */
  reopen(): Promise<Journal>;
  /** Raw SQL on the store, `?` for parameters: to corrupt a row or look under the journal. */
  sql: (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
}

/** A real store (SQLite file or PostgreSQL database) with a manual clock, an engine and a worker. */
export async function harness(
  workflows: Workflow[],
  options: { leaseTtlMs?: number; maxPayloadBytes?: number; runStorageBudgetBytes?: number } = {},
): Promise<Harness> {
  const dir = tempDir();
  const clock = new ManualClock();
  const store = testStore === "postgres" ? await postgresStore(clock) : sqliteStore(dir, clock);
  cleanups.push(() => store.journal.close());
  const engine = new Engine({
    journal: store.journal,
    workflows,
    logger: silentLogger,
    ...(options.leaseTtlMs ? { leaseTtlMs: options.leaseTtlMs } : {}),
    ...(options.maxPayloadBytes ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
    ...(options.runStorageBudgetBytes ? { runStorageBudgetBytes: options.runStorageBudgetBytes } : {}),
  });
  const worker = new Worker(engine, { pollIntervalMs: 5 });
  return {
    store: testStore,
    dir,
    clock,
    journal: store.journal,
    engine,
    worker,
    drain: async () => {
      await worker.drain();
    },
    advance: async (ms) => {
      clock.advance(ms);
      await worker.drain();
    },
    reopen: async () => {
      const journal = await store.reopen();
      cleanups.push(() => journal.close());
      return journal;
    },
    sql: store.sql,
  };
}

interface TestStore {
  journal: Journal;
  reopen(): Promise<Journal>;
  sql: (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
}

function sqliteStore(dir: string, clock: ManualClock): TestStore {
  const path = join(dir, "cairn.db");
  const journal = new SqliteJournal({ path, clock });
  return {
    journal,
    reopen: () => Promise.resolve(new SqliteJournal({ path, clock })),
    sql: (text, params = []) => {
      const statement = journal.database.prepare(text);
      const rows = statement.reader ? statement.all(...params) : (statement.run(...params), []);
      return Promise.resolve(rows as Record<string, unknown>[]);
    },
  };
}

let databases = 0;

/**
 * A new database on the postgres project's server, copied from the migrated template; returns
 * its URL.
 */
export async function freshPostgresDatabase(): Promise<string> {
  const server = inject("postgresUrl");
  const name = `cairn_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("postgresTemplate")}`);
  } finally {
    await admin.end();
  }
  return `${server}/${name}`;
}

/** A new database on the suite's PostgreSQL server, copied from the migrated template. */
async function postgresStore(clock: ManualClock): Promise<TestStore> {
  const url = await freshPostgresDatabase();
  const open = () => PostgresJournal.open({ url, clock, max: 4 });
  const journal = await open();
  return {
    journal,
    reopen: open,
    sql: async (text, params = []) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        let n = 0;
        return (
          await client.query(
            text.replace(/\?/g, () => `$${++n}`),
            params,
          )
        ).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs `cleanup` after the current test (after its own afterEach hooks, last added first). */
export function onCleanup(cleanup: () => void | Promise<void>): void {
  cleanups.push(cleanup);
}

/**
 * Waits until `ready()` is true, polling every `everyMs`; throws naming `what` once `ms` have
 * passed. Every wait in the tests goes through a deadline like this one, so a loaded machine
 * gives a clear failure, never a hung test.
 */
export async function until(
  what: string,
  ready: () => boolean | Promise<boolean>,
  ms = 20_000,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Counts calls per key, to prove a step body ran once. */
export class Counter {
  readonly counts = new Map<string, number>();
  hit(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n;
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
