import { canonicalJson } from "../shared/canonical-hash.js";
import { ErrorCode, NotFoundError } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import type { RunSummary, StepRecord } from "../store/records.js";

/** One run's side of a step in a diff. */
export interface StepView {
  status: string;
  output: unknown;
  /** The step's error, without its stack. */
  error: { name: string; message: string; code?: string } | null;
  attempts: number;
  /** From its start to its end (to now for a step that has not ended). */
  durationMs: number;
  tokens?: { input: number; output: number };
  costUsd?: number;
}

export interface StepDiff {
  stepId: string;
  kind: string;
  a: StepView | null;
  b: StepView | null;
  /** Both runs have the step, with the same status, output and error. */
  same: boolean;
}

export interface RunDiff {
  a: RunSummary;
  b: RunSummary;
  /** Every step of either run, aligned by step id, in the order the runs reached them. */
  steps: StepDiff[];
  /** The first step where the runs differ, or null when every step is the same. */
  firstDivergence: string | null;
}

/** What a step cost, when it is a model call (the agent layer knows how to read one). */
export type StepMeasure = (
  step: StepRecord,
) => { tokens?: { input: number; output: number }; costUsd?: number } | undefined;

/**
 * Compares two runs step by step: each step id of either run, side by side with its status,
 * output, error, attempts, time and (with `measure`) tokens and cost, and the first step where
 * they part. Throws NotFoundError naming a run that is not in the workspace.
 */
export async function diffRuns(
  journal: Journal,
  workspace: string,
  aId: string,
  bId: string,
  measure?: StepMeasure,
): Promise<RunDiff> {
  const [a, b] = await Promise.all([aId, bId].map((id) => journal.getRunSummary(workspace, id)));
  for (const [id, run] of [
    [aId, a],
    [bId, b],
  ] as const) {
    if (run === undefined) throw new NotFoundError(ErrorCode.RunNotFound, `no run ${id} in this workspace`);
  }
  const [stepsA, stepsB, now] = await Promise.all([
    journal.loadSteps(workspace, aId),
    journal.loadSteps(workspace, bId),
    journal.now(),
  ]);
  const byA = new Map(stepsA.map((s) => [s.stepId, s]));
  const byB = new Map(stepsB.map((s) => [s.stepId, s]));
  const ids = [...new Set([...byA.keys(), ...byB.keys()])];
  const position = (id: string) => Math.min(byA.get(id)?.seq ?? Infinity, byB.get(id)?.seq ?? Infinity);
  ids.sort((x, y) => position(x) - position(y) || (byA.has(x) ? 0 : 1) - (byA.has(y) ? 0 : 1));
  const view = (s: StepRecord | undefined): StepView | null => {
    if (s === undefined) return null;
    const cost = measure?.(s);
    return {
      status: s.status,
      output: s.output ?? null,
      error: s.error
        ? { name: s.error.name, message: s.error.message, ...(s.error.code ? { code: s.error.code } : {}) }
        : null,
      attempts: s.attempt,
      durationMs: (s.endedAt ?? now) - s.startedAt,
      ...(cost?.tokens ? { tokens: cost.tokens } : {}),
      ...(cost?.costUsd !== undefined ? { costUsd: cost.costUsd } : {}),
    };
  };
  const steps = ids.map((stepId): StepDiff => {
    const sa = byA.get(stepId);
    const sb = byB.get(stepId);
    const va = view(sa);
    const vb = view(sb);
    const same =
      va !== null &&
      vb !== null &&
      va.status === vb.status &&
      canonicalJson(va.output) === canonicalJson(vb.output) &&
      canonicalJson(va.error) === canonicalJson(vb.error);
    return { stepId, kind: (sa ?? sb)!.kind, a: va, b: vb, same };
  });
  return { a: a!, b: b!, steps, firstDivergence: steps.find((s) => !s.same)?.stepId ?? null };
}
