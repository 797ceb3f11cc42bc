import { ErrorCode, NotFoundError } from "../shared/errors.js";
import type { StepStart } from "./journal.js";
import type { Lease } from "./records.js";
import type { RunRow, StepRow } from "./sqlite/rows.js";
import { stepKind } from "./sqlite/rows.js";

/** What a step row holds besides the step's identity, as one attempt leaves it. */
export interface StepRowState {
  status: string;
  outputJson: string | null;
  outputBlob: string | null;
  outputBytes: number;
  errorJson: string | null;
  endedAt: number | null;
  retryAt: number | null;
}

/**
 * The upsert of a step row, the same in both stores but for the placeholders (`?` or `$n`): a
 * step's row is written at its first attempt and updated by the later ones.
 */
export function stepUpsertSql(placeholder: (n: number) => string): string {
  const values = Array.from({ length: 15 }, (_, i) => placeholder(i + 1)).join(", ");
  return `INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob, output_bytes,
         error_json, started_at, ended_at, retry_at, side_effect)
       VALUES (${values})
       ON CONFLICT (workspace, run_id, step_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
         output_json = excluded.output_json, output_blob = excluded.output_blob, output_bytes = excluded.output_bytes,
         error_json = excluded.error_json, ended_at = excluded.ended_at, retry_at = excluded.retry_at`;
}

/** The values for `stepUpsertSql`, in its order. */
export function stepRowValues(lease: Lease, step: StepStart, row: StepRowState): unknown[] {
  return [
    lease.workspace,
    lease.runId,
    step.stepId,
    step.seq,
    step.kind,
    row.status,
    step.attempt,
    row.outputJson,
    row.outputBlob,
    row.outputBytes,
    row.errorJson,
    step.startedAt,
    row.endedAt,
    row.retryAt,
    step.sideEffect ? 1 : 0,
  ];
}

/**
 * The step a person decides on in a needs-attention run (`cairn runs retry-step|skip-step`):
 * refused with a clear error unless the run waits for that decision. Returns a lease at the
 * run's epoch (nobody holds it) and the step as it started, to record the interrupted attempt.
 */
export function attentionStep(
  workspace: string,
  runId: string,
  stepId: string,
  run: RunRow | undefined,
  step: StepRow | undefined,
): { lease: Lease; start: StepStart } {
  if (run === undefined)
    throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${workspace}`);
  if (run.status !== "needs-attention" || step === undefined || step.status !== "started") {
    throw new NotFoundError(
      ErrorCode.StepNotFound,
      `run ${runId} has no step "${stepId}" waiting for a decision (run is ${run.status}); see \`cairn runs show ${runId}\``,
    );
  }
  return {
    lease: { workspace, runId, owner: "", epoch: run.lease_epoch, expiresAt: 0 },
    start: {
      stepId,
      seq: step.seq,
      kind: stepKind(step.kind),
      attempt: step.attempt,
      startedAt: step.started_at,
      sideEffect: true,
    },
  };
}
