// A run driven through the public API, as an application does it: the package's entry
// (`cairn-runtime`: openJournal, Engine, Worker, workflow), a Worker started (not drained), and
// each round `engine.start(...)` then `await run.result()` — claiming, the lease keeper, the
// result's wait on the log all included. 1 run × 1,000 no-op steps per round, each round paired
// with a floor round; the ratio is the median of the pairs.
import { Engine, Worker, openJournal, silentLogger, workflow } from "../src/index.js";
import type { Floor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, median, tempStore, timePublicRun, warmUp, warmUpNote } from "./support.js";

const STEPS = 1_000;
const ROUNDS = 7;

const chain = workflow<{ steps: number }, number>("bench.public", async ({ input, step }) => {
  let last = 0;
  for (let i = 0; i < input.steps; i++) last = await step.run("s", () => i);
  return last;
});

export async function measurePublicSteps(
  options: BenchOptions,
  floor: Floor,
  targetRatio: number,
): Promise<Figure[]> {
  const store = tempStore("public");
  const url = `sqlite:${store.path}${options.synchronous === "normal" ? "?synchronous=normal" : ""}`;
  const journal = openJournal(url);
  const engine = new Engine({ journal, workflows: [chain], logger: silentLogger });
  const worker = new Worker(engine);
  worker.start();
  try {
    const round = () => timePublicRun(engine, chain, STEPS);
    const warm = await warmUp(round);
    const us: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const f = floor.round();
      const e = await round();
      us.push(e);
      ratios.push(e / f);
    }
    const ratio = median(ratios);
    return [
      {
        section: "2-3. steps",
        metric: `public API, 1 run × ${fmt(STEPS)} steps: per step`,
        value: median(us),
        unit: "µs/step",
        note:
          `${fmt(ratio)}x floor (target ≤ ${targetRatio}x); engine.start + run.result() with a started ` +
          `Worker, median of ${ROUNDS} runs ${warmUpNote(warm)}, best ${fmt(Math.min(...us))} µs`,
        ok: ratio <= targetRatio,
      },
    ];
  } finally {
    await worker.stop();
    await journal.close();
    store.cleanup();
  }
}
