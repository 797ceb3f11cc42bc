// Process memory of runs waiting on approvals: in fresh child processes (node --expose-gc, tsx),
// the heap and RSS of a worker process after GC (a) idle with no runs, (b) after 10,000 runs were
// started and executed up to step.waitForApproval (10,000 pending approvals), and (c) a fresh
// worker over the store holding them. Pending approvals should be rows, not objects in the
// process. The store is kept (the caller cleans it up) so the latency section can reuse it.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ApprovalsChildReport } from "./approvals-memory-child.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, mib, storeBytes } from "./support.js";

/** Heap growth per waiting run above which the runs are evidently held in memory. */
const MAX_HEAP_BYTES_PER_RUN = 256;

const CHILD = fileURLToPath(new URL("./approvals-memory-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

function runChild(args: string[]): Promise<ApprovalsChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, args, {
      cwd: ROOT,
      execArgv: ["--expose-gc", "--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let report: ApprovalsChildReport | undefined;
    child.on("message", (m) => (report = m as ApprovalsChildReport));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && report !== undefined) resolve(report);
      else reject(new Error(`the memory child (${args[2]}) exited with code ${code} without a report`));
    });
  });
}

export async function measureApprovalsMemory(
  options: BenchOptions,
  path: string,
  runs: number,
): Promise<Figure[]> {
  const started = await runChild([path, options.synchronous, "start", String(runs)]);
  const bytes = storeBytes(path);
  const reopened = await runChild([path, options.synchronous, "reopen", String(runs)]);
  for (const r of [started, reopened]) {
    if (r.waitingRuns !== runs || r.pendingApprovals !== runs)
      throw new Error(
        `expected ${runs} waiting runs and pending approvals (${r.phase}), found ${r.waitingRuns} and ${r.pendingApprovals}`,
      );
  }
  const idle = started.idle;
  const loaded = started.loaded!;
  const heapDiff = loaded.heapUsed - idle.heapUsed;
  const rssDiff = loaded.rss - idle.rss;
  const reopenDiff = reopened.idle.heapUsed - idle.heapUsed;
  const perRun = heapDiff / runs;
  const section = "1. memory";
  const n = fmt(runs);
  return [
    { section, metric: "(a) idle worker: heap used", value: mib(idle.heapUsed), unit: "MiB" },
    { section, metric: "(a) idle worker: RSS", value: mib(idle.rss), unit: "MiB" },
    {
      section,
      metric: `(b) ${n} runs executed to the approval: heap used`,
      value: mib(loaded.heapUsed),
      unit: "MiB",
      note: `each run: step.run, then waitForApproval; setup ${fmt(started.setupMs! / 1000)} s (${fmt((runs * 1000) / started.setupMs!)} runs/s); ${n} waiting, ${n} pending`,
    },
    { section, metric: `(b) ${n} runs: RSS`, value: mib(loaded.rss), unit: "MiB" },
    {
      section,
      metric: "(b) - (a): heap used",
      value: mib(heapDiff),
      unit: "MiB",
      note: `${fmt(perRun)} B per waiting run (goal ≤ ${MAX_HEAP_BYTES_PER_RUN} B: approvals are rows, not objects)`,
      ok: perRun <= MAX_HEAP_BYTES_PER_RUN,
    },
    {
      section,
      metric: "(b) - (a): RSS",
      value: mib(rssDiff),
      unit: "MiB",
      note: `${fmt(rssDiff / runs)} B per waiting run; RSS keeps pages the allocator freed, see (c)`,
    },
    {
      section,
      metric: `(c) fresh worker over the ${n} pending: heap used`,
      value: mib(reopened.idle.heapUsed),
      unit: "MiB",
      note: `${fmt(reopenDiff / runs)} B per waiting run vs (a); RSS ${fmt(mib(reopened.idle.rss))} MiB`,
    },
    {
      section,
      metric: `store file with ${n} pending approvals`,
      value: mib(bytes),
      unit: "MiB",
      note: `${fmt(bytes / runs)} B per waiting run`,
    },
  ];
}
