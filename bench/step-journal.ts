// Where a step's time goes: the journal's step commit alone, without the engine. One run is
// claimed, then `journal.commitStep` is called 1,000 times in a row, each awaited, with what the
// engine would commit for a no-op step (the same ids, result and times). That is one IMMEDIATE
// transaction per step with the lease fence, the step row and its `step.ended` log entry. Each
// round is paired with a floor round; the ratio is the median of the pairs. The engine's figure
// minus this one is the engine's own per-step cost (the step's bookkeeping, promises, encoding).
import { encodePayload } from "../src/shared/payload.js";
import type { Engine } from "../src/engine/engine.js";
import { workflow } from "../src/engine/workflow.js";
import type { Floor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, median, now, openEngine, tempStore, warmUp, warmUpNote } from "./support.js";

const STEPS = 1_000;
const ROUNDS = 7;

/** The run the commits go to: claimed by the benchmark, never executed by a worker. */
export const journalRun = workflow<Record<string, never>, null>("bench.journal", async () => null);

/**
 * Starts and claims a run of `journalRun` on `engine`'s journal, then commits `steps` completed
 * steps to it one after another, each awaited, with `result(i)` as step i's result. Returns µs
 * per commit. `engine` must know `journalRun`.
 */
export async function timeJournalCommits(
  engine: Engine,
  steps: number,
  result: (i: number) => unknown,
): Promise<number> {
  const journal = engine.journal;
  const { runId } = await engine.start(journalRun, {});
  const claim = { workspace: engine.workspace, owner: "bench-journal", ttlMs: 60_000, limit: 1 };
  const lease = await journal.claimRun({ ...claim, workflows: [journalRun.id] }, runId);
  if (lease === undefined) throw new Error(`could not claim run ${runId}`);
  const t0 = now();
  for (let i = 0; i < steps; i++) {
    const at = Date.now();
    await journal.commitStep(lease, {
      stepId: i === 0 ? "s" : `s#${i + 1}`,
      seq: i,
      kind: "run",
      attempt: 1,
      startedAt: at,
      sideEffect: false,
      status: "completed",
      output: encodePayload(result(i), "step result"),
      endedAt: at,
    });
  }
  return ((now() - t0) * 1000) / steps;
}

export async function measureJournalCommits(options: BenchOptions, floor: Floor): Promise<Figure[]> {
  const store = tempStore("journal");
  const engine = openEngine(store.path, options.synchronous, [journalRun]);
  try {
    const round = () => timeJournalCommits(engine, STEPS, (i) => i);
    const warm = await warmUp(round);
    const us: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const f = floor.round();
      const j = await round();
      us.push(j);
      ratios.push(j / f);
    }
    return [
      {
        section: "2-3. steps",
        metric: `where it goes: journal.commitStep alone, ${fmt(STEPS)} in a row`,
        value: median(us),
        unit: "µs/step",
        note:
          `${fmt(median(ratios))}x floor; no engine: the fence, the step row and its log entry in one ` +
          `transaction; median of ${ROUNDS} rounds ${warmUpNote(warm)}, best ${fmt(Math.min(...us))} µs`,
      },
    ];
  } finally {
    await engine.journal.close();
    store.cleanup();
  }
}
