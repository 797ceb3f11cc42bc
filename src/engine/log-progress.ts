import type { SerializedError } from "../shared/serialized-error.js";
import { Entry } from "../store/entry-types.js";
import type { JournalEntry, StepKind, StepRecord } from "../store/records.js";
import type { Progress } from "./progress.js";

/** Steps that wait: in-process they end "at once" (0 ms, no output) once the wait settles. */
const WAIT_KINDS: ReadonlySet<string> = new Set(["sleep", "event", "invoke", "child", "approval"]);

/** What one run's log has said so far, as far as turning its entries into Progress needs. */
export interface RunLogState {
  readonly runId: string;
  readonly workflow: string;
  /** Steps with a result (completed or failed): a new execution of the run serves them from the journal. */
  readonly ended: Set<string>;
  /** Steps whose current attempt has been reported started. */
  readonly running: Set<string>;
}

/**
 * The Progress an engine reported in-process when it wrote `e` to a run's log, so a reader in
 * any process can show what the executing one shows. `steps` are the run's steps (outputs, kinds
 * and their order in the handler). `run.started` is followed by a `step.replayed` for each step
 * that had ended before: the new execution serves them from the journal.
 */
export function progressOf(
  state: RunLogState,
  e: JournalEntry,
  steps: ReadonlyMap<string, StepRecord>,
): Progress[] {
  const runId = state.runId;
  const stepId = e.stepId ?? "";
  const d = e.data;
  switch (e.type) {
    case Entry.RunStarted: {
      // A new execution: what the last one left unfinished starts again.
      state.running.clear();
      const out: Progress[] = [{ type: "run.started", runId, workflow: state.workflow, epoch: num(d.epoch) }];
      const served = [...state.ended]
        .map((id) => steps.get(id))
        .filter((s): s is StepRecord => s !== undefined)
        .sort((a, b) => a.seq - b.seq);
      for (const s of served) out.push({ type: "step.replayed", runId, stepId: s.stepId, kind: s.kind });
      return out;
    }
    case Entry.StepStarted:
      state.ended.delete(stepId);
      // Already reported: by the process that executes it (see RunTreeProgress.started).
      if (state.running.has(stepId)) return [];
      state.running.add(stepId);
      return [
        {
          type: "step.started",
          runId,
          stepId,
          kind: kindOf(d, steps.get(stepId)),
          attempt: num(d.attempt, 1),
        },
      ];
    case Entry.StepProgress:
      return [
        ...started(state, e, steps),
        ...(Array.isArray(d.parts) ? d.parts : [])
          .filter((p): p is Record<string, unknown> => typeof p === "object" && p !== null)
          .map((data): Progress => ({ type: "step.progress", runId, stepId, data })),
      ];
    case Entry.StepEnded: {
      const before = started(state, e, steps);
      state.ended.add(stepId);
      state.running.delete(stepId);
      return [...before, stepEnded(runId, stepId, d, steps.get(stepId))];
    }
    case Entry.StepRetrying: {
      state.ended.delete(stepId);
      // An operator's retry (cairn runs retry-step) is no failed attempt of the step's own.
      if (d.byOperator === true || typeof d.retryAt !== "number") return [];
      const before = started(state, e, steps);
      state.running.delete(stepId);
      const error = errorOf(d);
      return [
        ...before,
        { type: "step.retrying", runId, stepId, attempt: num(d.attempt, 1), retryAt: d.retryAt, error },
      ];
    }
    case Entry.StepWaiting:
      return [
        {
          type: "step.waiting",
          runId,
          stepId,
          kind: kindOf(d, steps.get(stepId)),
          ...(typeof d.dueAt === "number" ? { until: d.dueAt } : {}),
          ...(typeof d.event === "string" ? { event: d.event } : {}),
        },
      ];
    case Entry.RunWaiting:
      return [{ type: "run.waiting", runId }];
    case Entry.RunNeedsAttention:
      return [
        { type: "run.needs_attention", runId, stepId, reason: typeof d.reason === "string" ? d.reason : "" },
      ];
    case Entry.RunRetrying:
      // A retried run forgets its failed steps: they run again.
      if (Array.isArray(d.forgotSteps)) for (const id of d.forgotSteps) state.ended.delete(String(id));
      return [{ type: "run.retrying", runId, runAt: num(d.runAt), error: errorOf(d) }];
    case Entry.RunEnded: {
      const status = d.status === "completed" || d.status === "cancelled" ? d.status : "failed";
      return [{ type: "run.ended", runId, status }];
    }
    default:
      return [];
  }
}

/**
 * The `step.started` of a step the log first mentions when it reports or ends: a step with no
 * side effect records no start (its result is its only record), yet the engine reported one.
 */
function started(state: RunLogState, e: JournalEntry, steps: ReadonlyMap<string, StepRecord>): Progress[] {
  const stepId = e.stepId ?? "";
  const kind = kindOf(e.data, steps.get(stepId));
  if (kind !== "run" || state.running.has(stepId) || e.data.skipped === true) return [];
  state.running.add(stepId);
  return [{ type: "step.started", runId: state.runId, stepId, kind, attempt: num(e.data.attempt, 1) }];
}

function stepEnded(
  runId: string,
  stepId: string,
  d: Record<string, unknown>,
  step: StepRecord | undefined,
): Progress {
  const kind = kindOf(d, step);
  const ended = {
    type: "step.ended" as const,
    runId,
    stepId,
    kind,
    attempt: num(d.attempt, step?.attempt ?? 1),
  };
  if (d.status === "failed")
    return { ...ended, status: "failed", durationMs: num(d.durationMs), error: errorOf(d) };
  // A wait's result is how it settled, which the engine does not print; it took no work.
  if (WAIT_KINDS.has(kind)) return { ...ended, status: "completed", durationMs: 0 };
  return {
    ...ended,
    status: "completed",
    durationMs: num(d.durationMs),
    ...(step?.status === "completed" ? { output: step.output } : {}),
  };
}

/** The log names a child-run wait "child"; the engine's steps call it "invoke". */
function kindOf(d: Record<string, unknown>, step: StepRecord | undefined): StepKind {
  const kind = typeof d.kind === "string" ? d.kind : step?.kind;
  if (kind === "child") return "invoke";
  return (kind ?? "run") as StepKind;
}

function errorOf(d: Record<string, unknown>): SerializedError {
  const e = (typeof d.error === "object" && d.error !== null ? d.error : {}) as Record<string, unknown>;
  return {
    name: "Error",
    message: typeof e.message === "string" ? e.message : "failed",
    ...(typeof e.code === "string" ? { code: e.code } : {}),
  };
}

function num(v: unknown, fallback = 0): number {
  return typeof v === "number" ? v : fallback;
}
