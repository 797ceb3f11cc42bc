import type { Journal } from "../store/journal.js";
import type { ModelTurn } from "./model-call.js";
import type { Usage } from "./usage.js";
import { addUsage, ZERO_USAGE } from "./usage.js";

/** What a run (and every run under it) spent on models. */
export interface RunUsage {
  usage: Usage;
  /** USD; null when some model call has no known price. */
  cost: number | null;
  modelCalls: number;
  /** Model calls sent again after a crash cut off an earlier attempt. */
  resentCalls: number;
}

/** The model turn a step recorded, if it is a model step ("model" or "turn" checkpoints). */
export function modelTurnOf(output: unknown): ModelTurn | undefined {
  if (typeof output !== "object" || output === null) return undefined;
  const candidate = "turn" in output ? output.turn : output;
  const t = candidate as Partial<ModelTurn> | null;
  return t && typeof t === "object" && t.usage !== undefined && Array.isArray(t.toolCalls)
    ? (t as ModelTurn)
    : undefined;
}

/**
 * Adds up the model usage of a run from its journal, and of its child runs (sub-agents). Read
 * from committed steps only, so a replayed step is never counted twice.
 */
export async function runUsage(journal: Journal, workspace: string, runId: string): Promise<RunUsage> {
  const total: RunUsage = { usage: ZERO_USAGE, cost: 0, modelCalls: 0, resentCalls: 0 };
  for (const step of await journal.loadSteps(workspace, runId)) {
    if (step.status !== "completed") continue;
    const turn = modelTurnOf(step.output);
    if (turn === undefined) continue;
    add(total, { usage: turn.usage, cost: turn.cost, modelCalls: 1, resentCalls: turn.resent ? 1 : 0 });
  }
  for (const child of await journal.listRuns(workspace, { parentRunId: runId, limit: 10_000 })) {
    add(total, await runUsage(journal, workspace, child.id));
  }
  return total;
}

function add(into: RunUsage, more: RunUsage): void {
  into.usage = addUsage(into.usage, more.usage);
  into.cost = into.cost === null || more.cost === null ? null : into.cost + more.cost;
  into.modelCalls += more.modelCalls;
  into.resentCalls += more.resentCalls;
}
