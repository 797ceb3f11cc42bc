// Step throughput through the real engine: a run of 1,000 no-op steps (`step.run("s", () => i)`)
// executed by a Worker over a SQLite file, alone and as 8 concurrent runs (one worker,
// concurrency 8). Reports µs per step, steps/s, and the ratio to the raw-commit floor; a floor
// round is taken before each engine round and the ratio is the median of the pairs.
import { Worker } from "../src/engine/worker.js";
import { workflow } from "../src/engine/workflow.js";
import type { Floor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, median, now, openEngine, tempStore, warmUp, warmUpNote } from "./support.js";

const STEPS = 1_000;
const SINGLE_ROUNDS = 7;
const CONCURRENT_RUNS = 8;
const CONCURRENT_ROUNDS = 3;
/** The goal: per-step cost within this factor of one raw commit. */
export const TARGET_RATIO = 1.3;

const chain = workflow<{ steps: number }, number>("bench.chain", async ({ input, step }) => {
  let last = 0;
  for (let i = 0; i < input.steps; i++) last = await step.run("s", () => i);
  return last;
});

export async function measureSteps(options: BenchOptions, floor: Floor): Promise<Figure[]> {
  const store = tempStore("steps");
  const engine = openEngine(store.path, options.synchronous, [chain]);
  try {
    /** Starts `runs` runs of STEPS steps, then times one worker draining them. Returns µs per step. */
    const round = async (runs: number): Promise<number> => {
      for (let r = 0; r < runs; r++) await engine.start(chain, { steps: STEPS });
      const worker = new Worker(engine, { concurrency: runs });
      const t0 = now();
      const result = await worker.drain();
      const elapsed = now() - t0;
      if (result.outcomes.completed !== runs) {
        throw new Error(`expected ${runs} completed runs, got ${JSON.stringify(result.outcomes)}`);
      }
      return (elapsed * 1000) / (runs * STEPS);
    };
    /** Rounds of the engine, each after a floor round; µs per step and the ratio of each pair. */
    const rounds = async (count: number, runs: number) => {
      const us: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < count; i++) {
        const f = floor.round();
        const e = await round(runs);
        us.push(e);
        ratios.push(e / f);
      }
      return { us: median(us), best: Math.min(...us), ratio: median(ratios) };
    };

    const warm = await warmUp(() => round(1));
    const single = await rounds(SINGLE_ROUNDS, 1);
    const concurrent = await rounds(CONCURRENT_ROUNDS, CONCURRENT_RUNS);

    const section = "2-3. steps";
    const figures = (metric: string, r: typeof single, detail: string): Figure[] => [
      {
        section,
        metric: `${metric}: per step`,
        value: r.us,
        unit: "µs/step",
        note: `${fmt(r.ratio)}x floor (target ≤ ${TARGET_RATIO}x); ${detail}, best ${fmt(r.best)} µs`,
        ok: r.ratio <= TARGET_RATIO,
      },
      { section, metric: `${metric}: throughput`, value: 1e6 / r.us, unit: "steps/s" },
    ];
    return [
      ...figures(
        `1 run × ${fmt(STEPS)} steps`,
        single,
        `median of ${SINGLE_ROUNDS} runs ${warmUpNote(warm)}`,
      ),
      ...figures(
        `${CONCURRENT_RUNS} concurrent runs × ${fmt(STEPS)} steps`,
        concurrent,
        `worker concurrency ${CONCURRENT_RUNS}, median of ${CONCURRENT_ROUNDS} rounds`,
      ),
    ];
  } finally {
    await engine.journal.close();
    store.cleanup();
  }
}
