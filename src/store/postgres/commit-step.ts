import { Entry } from "../entry-types.js";
import type { CommitOutcome, StepCommit } from "../journal.js";
import type { Lease } from "../records.js";
import type { Sql } from "./database.js";

/** What the `step.ended` entry of a step commit records. */
export function stepEndedData(commit: StepCommit): Record<string, unknown> {
  return {
    kind: commit.kind,
    status: commit.status,
    attempt: commit.attempt,
    durationMs: commit.endedAt - commit.startedAt,
    outputBytes: commit.output?.bytes ?? 0,
    ...(commit.error ? { error: { message: commit.error.message, code: commit.error.code } } : {}),
  };
}

/**
 * Whether a step commit is the common kind that one statement can make: a completed step whose
 * result is stored inline, sending no event, starting no run, crossing no storage budget.
 */
export function commitsAtOnce(commit: StepCommit, inlineLimit: number): boolean {
  return (
    commit.status === "completed" &&
    commit.event === undefined &&
    (commit.startRuns === undefined || commit.startRuns.length === 0) &&
    commit.storageWarning === undefined &&
    (commit.output === undefined || commit.output.bytes <= inlineLimit)
  );
}

/**
 * The fence, the step row and its `step.ended` entry in one statement, so one round trip and
 * one implicit transaction: the step and its entry are written only if the lease row is still
 * this lease's, locked for the statement. Undefined when the lease is no longer current. `at`
 * is the entry's time, or null for the database's clock.
 */
export async function commitStepAtOnce(
  sql: Sql,
  lease: Lease,
  commit: StepCommit,
  at: number | null,
  dbNow: string,
): Promise<CommitOutcome | undefined> {
  const row = await sql.one<{ cancel_requested: number }>(
    `WITH fence AS (
       SELECT cancel_requested FROM runs
       WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'
       FOR UPDATE),
     step AS (
       INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob,
         output_bytes, error_json, started_at, ended_at, retry_at, side_effect)
       SELECT $1, $2, $5, $6, $7, 'completed', $8, $9, NULL, $10, NULL, $11, $12, NULL, $13 FROM fence
       ON CONFLICT (workspace, run_id, step_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
         output_json = excluded.output_json, output_blob = excluded.output_blob, output_bytes = excluded.output_bytes,
         error_json = excluded.error_json, ended_at = excluded.ended_at, retry_at = excluded.retry_at),
     seq AS (
       INSERT INTO entry_seqs (workspace, run_id, seq) SELECT $1, $2, 1 FROM fence
       ON CONFLICT (workspace, run_id) DO UPDATE SET seq = entry_seqs.seq + 1
       RETURNING seq),
     entry AS (
       INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
       SELECT $1, $2, seq.seq, '${Entry.StepEnded}', $5, COALESCE($14::int8, ${dbNow}), $15 FROM seq)
     SELECT cancel_requested FROM fence`,
    [
      lease.workspace,
      lease.runId,
      lease.epoch,
      lease.owner,
      commit.stepId,
      commit.seq,
      commit.kind,
      commit.attempt,
      commit.output?.text ?? null,
      commit.output?.bytes ?? 0,
      commit.startedAt,
      commit.endedAt,
      commit.sideEffect ? 1 : 0,
      at,
      JSON.stringify(stepEndedData(commit)),
    ],
  );
  return row === undefined ? undefined : { cancelRequested: row.cancel_requested === 1 };
}
