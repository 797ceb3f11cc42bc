import type { StepStart } from "./journal.js";
import type { Lease } from "./records.js";

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
