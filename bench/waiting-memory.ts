// Process memory of waiting runs: in fresh child processes (node --expose-gc, tsx), the heap and
// RSS of a worker process after GC (a) idle with no runs, (b) after 10,000 runs were started and
// executed up to step.waitForEvent, and (c) a fresh worker over the store holding them. Waiting
// runs should be rows in the store, not objects in the process. Also reports the store size.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, mib, storeBytes, tempStore } from "./support.js";
import type { ChildReport } from "./waiting-memory-child.js";

const RUNS = 10_000;
/** Heap growth per waiting run above which the runs are evidently held in memory. */
const MAX_HEAP_BYTES_PER_RUN = 256;

const CHILD = fileURLToPath(new URL("./waiting-memory-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

function runChild(args: string[]): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, args, {
      cwd: ROOT,
      execArgv: ["--expose-gc", "--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let report: ChildReport | undefined;
    child.on("message", (m) => (report = m as ChildReport));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && report !== undefined) resolve(report);
      else reject(new Error(`the memory child (${args[2]}) exited with code ${code} without a report`));
    });
  });
}

export async function measureWaitingMemory(options: BenchOptions): Promise<Figure[]> {
  const store = tempStore("memory");
  try {
    const started = await runChild([store.path, options.synchronous, "start", String(RUNS)]);
    const bytes = storeBytes(store.path);
    const reopened = await runChild([store.path, options.synchronous, "reopen", String(RUNS)]);
    const idle = started.idle;
    const loaded = started.loaded!;
    if (started.waiting !== RUNS)
      throw new Error(`expected ${RUNS} waiting runs in the store, found ${started.waiting}`);
    const heapDiff = loaded.heapUsed - idle.heapUsed;
    const rssDiff = loaded.rss - idle.rss;
    const perRun = heapDiff / RUNS;
    const section = "5. waiting memory";
    const n = fmt(RUNS);
    return [
      { section, metric: "(a) idle worker: heap used", value: mib(idle.heapUsed), unit: "MiB" },
      { section, metric: "(a) idle worker: RSS", value: mib(idle.rss), unit: "MiB" },
      {
        section,
        metric: `(b) after ${n} runs started + executed to the wait: heap used`,
        value: mib(loaded.heapUsed),
        unit: "MiB",
        note: `each run: 1 step.run, then waitForEvent; setup took ${fmt(started.setupMs! / 1000)} s (${fmt((RUNS * 1000) / started.setupMs!)} runs/s)`,
      },
      { section, metric: `(b) after ${n} runs: RSS`, value: mib(loaded.rss), unit: "MiB" },
      {
        section,
        metric: "(b) - (a): heap used",
        value: mib(heapDiff),
        unit: "MiB",
        note: `${fmt(perRun)} B per waiting run (goal ≤ ${MAX_HEAP_BYTES_PER_RUN} B: waiting runs are rows, not objects)`,
        ok: perRun <= MAX_HEAP_BYTES_PER_RUN,
      },
      {
        section,
        metric: "(b) - (a): RSS",
        value: mib(rssDiff),
        unit: "MiB",
        note: `${fmt(rssDiff / RUNS)} B per waiting run; RSS keeps pages the allocator freed, see (c)`,
      },
      {
        section,
        metric: `(c) fresh worker over the ${n} waiting runs: heap used`,
        value: mib(reopened.idle.heapUsed),
        unit: "MiB",
        note: `RSS ${fmt(mib(reopened.idle.rss))} MiB`,
      },
      {
        section,
        metric: `store file with ${n} waiting runs`,
        value: mib(bytes),
        unit: "MiB",
        note: `${fmt(bytes / RUNS)} B per run`,
      },
    ];
  } finally {
    store.cleanup();
  }
}
