// Child process of approvals-memory.ts (not run on its own): a worker process — an Engine and a
// Worker over the SQLite file — that reports its heap and RSS after full GCs. Phase "start":
// measured idle, then after starting N runs and executing each up to step.waitForApproval.
// Phase "reopen": a fresh worker over a store that already holds the N pending approvals.
import { Worker } from "../src/engine/worker.js";
import type { Synchronous } from "./support.js";
import { collectGarbage, now, openEngine } from "./support.js";
import { approvalFlow, countWaiting } from "./approvals-workflow.js";

export interface MemorySample {
  heapUsed: number;
  rss: number;
}

export interface ApprovalsChildReport {
  phase: "start" | "reopen";
  idle: MemorySample;
  loaded?: MemorySample;
  setupMs?: number;
  waitingRuns: number;
  pendingApprovals: number;
}

async function sample(): Promise<MemorySample> {
  await collectGarbage();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

async function main(): Promise<void> {
  const [path, synchronous, phase, countText] = process.argv.slice(2);
  if (path === undefined || (phase !== "start" && phase !== "reopen"))
    throw new Error("usage: <store> <sync> <phase> <n>");
  const count = Number(countText);
  const engine = openEngine(path, synchronous as Synchronous, [approvalFlow]);
  const worker = new Worker(engine);
  await worker.drain(); // nothing is runnable: loads the claim path once
  const idle = await sample();
  const report: ApprovalsChildReport = { phase, idle, waitingRuns: 0, pendingApprovals: 0 };
  if (phase === "start") {
    const t0 = now();
    for (let n = 0; n < count; n++) await engine.start(approvalFlow, { n });
    const result = await worker.drain();
    report.setupMs = now() - t0;
    if (result.outcomes.waiting !== count)
      throw new Error(`expected ${count} waiting runs, got ${JSON.stringify(result.outcomes)}`);
    report.loaded = await sample();
  }
  Object.assign(report, countWaiting(engine.journal));
  await engine.journal.close();
  process.send!(report);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
