import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { Workflow } from "../src/engine/workflow.js";
import { Engine } from "../src/engine/engine.js";
import { Worker } from "../src/engine/worker.js";
import { ManualClock } from "../src/shared/clock.js";
import { silentLogger } from "../src/shared/logger.js";
import { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";

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

export interface Harness {
  dir: string;
  dbPath: string;
  clock: ManualClock;
  journal: SqliteJournal;
  engine: Engine;
  worker: Worker;
  /** Runs everything runnable now. */
  drain(): Promise<void>;
  /** Moves the store's clock forward and runs what became due. */
  advance(ms: number): Promise<void>;
}

/** A real SQLite file with a manual clock, an engine and a worker over it. */
export function harness(
  workflows: Workflow[],
  options: { leaseTtlMs?: number; maxPayloadBytes?: number; runStorageBudgetBytes?: number } = {},
): Harness {
  const dir = tempDir();
  const dbPath = join(dir, "cairn.db");
  const clock = new ManualClock();
  const journal = new SqliteJournal({
    path: dbPath,
    clock,
  });
  cleanups.push(() => journal.close());
  const engine = new Engine({
    journal,
    workflows,
    logger: silentLogger,
    ...(options.leaseTtlMs ? { leaseTtlMs: options.leaseTtlMs } : {}),
    ...(options.maxPayloadBytes ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
    ...(options.runStorageBudgetBytes ? { runStorageBudgetBytes: options.runStorageBudgetBytes } : {}),
  });
  const worker = new Worker(engine, { pollIntervalMs: 5 });
  const h: Harness = {
    dir,
    dbPath,
    clock,
    journal,
    engine,
    worker,
    drain: async () => {
      await worker.drain();
    },
    advance: async (ms) => {
      clock.advance(ms);
      await worker.drain();
    },
  };
  return h;
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
