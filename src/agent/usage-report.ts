import type { StepMeasure } from "../engine/run-diff.js";
import type { Journal } from "../store/journal.js";
import { modelTurnOf } from "./run-usage.js";

/** A model step's tokens and cost, for run diffs. */
export const modelStepMeasure: StepMeasure = (step) => {
  const turn = modelTurnOf(step.output);
  if (turn === undefined) return undefined;
  return {
    tokens: { input: turn.usage.input, output: turn.usage.output },
    ...(turn.cost !== null ? { costUsd: turn.cost } : {}),
  };
};

export interface UsageBucket {
  /** The bucket's start (ms, UTC). */
  at: number;
  agent: string;
  /** `provider:model`. */
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** USD; a model without a known price counts 0. */
  costUsd: number;
}

export interface UsageQuery {
  from: number;
  to: number;
  bucket: "day" | "hour";
}

const SIZE = { day: 86_400_000, hour: 3_600_000 };
/** Model calls that ended in the window are counted for runs created up to this long before it. */
const LOOKBACK_MS = 7 * 86_400_000;
/** Most model calls one report reads. */
const MAX_STEPS = 100_000;

/**
 * Tokens and cost per agent and model, in day or hour buckets by when each model call ended,
 * read from the journal's committed model steps (a replayed step is one step: counted once).
 */
export async function usageReport(
  journal: Journal,
  workspace: string,
  q: UsageQuery,
): Promise<UsageBucket[]> {
  const scanned = await journal.scanSteps(workspace, {
    names: ["model", "turn"],
    createdAfter: q.from - LOOKBACK_MS,
    createdBefore: q.to,
    limit: MAX_STEPS,
  });
  const size = SIZE[q.bucket];
  const buckets = new Map<string, UsageBucket>();
  for (const { workflow, step } of scanned) {
    const ended = step.endedAt ?? step.startedAt;
    if (ended < q.from || ended >= q.to) continue;
    const turn = modelTurnOf(step.output);
    if (turn === undefined) continue;
    const at = Math.floor(ended / size) * size;
    const key = `${at}\u0000${workflow}\u0000${turn.model}`;
    let b = buckets.get(key);
    if (b === undefined) {
      b = { at, agent: workflow, model: turn.model, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      buckets.set(key, b);
    }
    b.inputTokens += turn.usage.input;
    b.outputTokens += turn.usage.output;
    b.costUsd = Math.round((b.costUsd + (turn.cost ?? 0)) * 1e8) / 1e8;
  }
  return [...buckets.values()].sort(
    (x, y) => x.at - y.at || x.agent.localeCompare(y.agent) || x.model.localeCompare(y.model),
  );
}
