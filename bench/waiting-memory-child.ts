// Child process of waiting-memory.ts (not run on its own): a worker process — an Engine and a
// Worker over the SQLite file — that reports its heap and RSS after full GCs. Phase "start":
// measured idle, then after starting N runs and executing each up to step.waitForEvent.
// Phase "reopen": a fresh worker over a store that already holds the N waiting runs.
import { Worker } from "../src/engine/worker.js";
import { workflow } from "../src/engine/workflow.js";
import type { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";
import type { Synchronous } from "./support.js";
import { collectGarbage, now, openEngine } from "./support.js";

export interface MemorySample {
  heapUsed: number;
  rss: number;
  external: number;
}

export interface ChildReport {
  phase: "start" | "reopen";
  idle: MemorySample;
  loaded?: MemorySample;
  setupMs?: number;
  waiting: number;
}

const waiter = workflow<{ n: number }, unknown>("bench.waiter", async ({ input, step }) => {
  const order = await step.run("prepare", () => ({ n: input.n, note: "a small step result" }));
  const ev = await step.waitForEvent("approval", { event: "bench.approved", match: { "data.n": order.n } });
  return ev?.data ?? null;
});

async function sample(): Promise<MemorySample> {
  await collectGarbage();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
}

async function main(): Promise<void> {
  const [path, synchronous, phase, countText] = process.argv.slice(2);
  if (path === undefined || (phase !== "start" && phase !== "reopen"))
    throw new Error("usage: <store> <sync> <phase> <n>");
  const count = Number(countText);
  const engine = openEngine(path, synchronous as Synchronous, [waiter]);
  const worker = new Worker(engine);
  await worker.drain(); // nothing is runnable: loads the claim path once
  const idle = await sample();
  const report: ChildReport = { phase, idle, waiting: 0 };
  if (phase === "start") {
    const t0 = now();
    for (let n = 0; n < count; n++) await engine.start(waiter, { n });
    const result = await worker.drain();
    report.setupMs = now() - t0;
    if (result.outcomes.waiting !== count)
      throw new Error(`expected ${count} waiting runs, got ${JSON.stringify(result.outcomes)}`);
    report.loaded = await sample();
  }
  const db = (engine.journal as SqliteJournal).database;
  report.waiting = (
    db.prepare("SELECT COUNT(*) AS n FROM runs WHERE status = 'waiting'").get() as { n: number }
  ).n;
  await engine.journal.close();
  process.send!(report);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
