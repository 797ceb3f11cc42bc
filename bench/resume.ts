// Resuming a long run from its journal: a run that completed 10,000 steps and waits on an
// event is resumed by a freshly opened Engine (as after a restart). Times the execution that
// replays the 10,000 memoized steps and completes, with a breakdown (claim, load, replay+finish).
import { Worker } from "../src/engine/worker.js";
import { workflow } from "../src/engine/workflow.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, now, openEngine, tempStore } from "./support.js";

const STEPS = 10_000;
const TARGET_MS = 1_000;
const EVENT = "bench.resume.go";

const long = workflow<{ steps: number }, { last: number; event: unknown }>(
  "bench.resume",
  async ({ input, step }) => {
    let last = 0;
    for (let i = 0; i < input.steps; i++) last = await step.run("s", () => i);
    const ev = await step.waitForEvent("go", { event: EVENT });
    return { last, event: ev?.data ?? null };
  },
);

export async function measureResume(options: BenchOptions): Promise<Figure[]> {
  const store = tempStore("resume");
  try {
    // Build: execute the 10,000 steps for real, up to the wait.
    const builder = openEngine(store.path, options.synchronous, [long]);
    const { runId } = await builder.start(long, { steps: STEPS });
    const b0 = now();
    const built = await new Worker(builder).drain();
    const buildMs = now() - b0;
    await builder.journal.close();
    if (built.outcomes.waiting !== 1)
      throw new Error(`build: expected the run to wait, got ${JSON.stringify(built.outcomes)}`);

    // Resume on a fresh engine and journal, as a restarted worker would.
    const engine = openEngine(store.path, options.synchronous, [long]);
    try {
      const sent = await engine.send({ name: EVENT, data: { ok: true } });
      if (!sent.resumedRuns.includes(runId)) throw new Error("the event did not resume the run");
      let replayed = 0;
      let loadedAt = 0;
      engine.on((p) => {
        if (p.type === "step.replayed") replayed++;
        else if (p.type === "run.started") loadedAt = now();
      });
      const t0 = now();
      const [lease] = await engine.claim(1);
      const claimedAt = now();
      if (lease === undefined || lease.runId !== runId) throw new Error("the resumed run was not claimable");
      const outcome = await engine.execute(lease);
      const t1 = now();
      if (outcome !== "completed") throw new Error(`resume: expected completed, got ${outcome}`);
      if (replayed !== STEPS) throw new Error(`resume: expected ${STEPS} replayed steps, got ${replayed}`);
      const total = t1 - t0;
      return [
        {
          section: "4. resume",
          metric: `build: execute ${fmt(STEPS)} steps up to the wait`,
          value: buildMs,
          unit: "ms",
          note: `${fmt((buildMs * 1000) / STEPS)} µs/step at ${fmt(STEPS)} steps in one run`,
        },
        {
          section: "4. resume",
          metric: `resume a ${fmt(STEPS)}-step run (claim + replay + complete)`,
          value: total,
          unit: "ms",
          note: `target < ${fmt(TARGET_MS)} ms; claim ${fmt(claimedAt - t0)} ms, load run + steps ${fmt(
            loadedAt - claimedAt,
          )} ms, replay + settle wait + complete ${fmt(t1 - loadedAt)} ms`,
          ok: total < TARGET_MS,
        },
        {
          section: "4. resume",
          metric: "replay cost per memoized step",
          value: (total * 1000) / STEPS,
          unit: "µs/step",
        },
      ];
    } finally {
      await engine.journal.close();
    }
  } finally {
    store.cleanup();
  }
}
