import { attentionStep, stepRowValues, stepUpsertSql } from "../step-row.js";
import { decodePayload } from "../../shared/payload.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import { Entry } from "../entry-types.js";
import { progressEntry } from "../service-rows.js";
import type { AttentionAction, CommitOutcome, StepCommit, StepRetry, StepStart } from "../journal.js";
import type { AttemptRecord, Lease, StepRecord } from "../records.js";
import type { AttemptRow, StepRow } from "../sqlite/rows.js";
import { parseJsonColumn, stepKind, stepStatus, toAttempt } from "../sqlite/rows.js";
import type { Sql } from "./database.js";
import { stepEndedData } from "./commit-step.js";
import { log } from "./log.js";
import { payloadText, putPayload } from "./payloads.js";
import type { PgEvents } from "./postgres-events.js";
import type { PgRuns } from "./postgres-runs.js";
import { fence } from "./run-locks.js";
import type { Tx } from "./transactions.js";

type StepWithPayload = StepRow & { output_data: Buffer | null };

/**
 * Steps on the PostgreSQL journal: their intents, results, retries and attempts, and an
 * operator's decision on a step that needs attention. The journal delegates to this inside its
 * transactions; a step commit that fits in one statement goes through commit-step.ts instead.
 */
export class PgSteps {
  constructor(
    private readonly runs: PgRuns,
    private readonly events: PgEvents,
  ) {}

  async load(sql: Sql, workspace: string, runId: string): Promise<StepRecord[]> {
    const rows = await sql.rows<StepWithPayload>(
      `SELECT s.*, b.data AS output_data FROM steps s
         LEFT JOIN blobs b ON b.workspace = s.workspace AND b.hash = s.output_blob
         WHERE s.workspace = $1 AND s.run_id = $2 ORDER BY s.seq`,
      [workspace, runId],
    );
    return rows.map((row) => {
      const label = `run ${runId} step "${row.step_id}"`;
      return {
        runId,
        stepId: row.step_id,
        seq: row.seq,
        kind: stepKind(row.kind),
        status: stepStatus(row.status),
        attempt: row.attempt,
        output: decodePayload(
          payloadText(row.output_json, row.output_blob, row.output_data, `${label} output`),
          `${label} output`,
        ),
        error: parseJsonColumn<SerializedError>(row.error_json, `${label} error`),
        startedAt: row.started_at,
        endedAt: row.ended_at,
        retryAt: row.retry_at,
        sideEffect: row.side_effect === 1,
        outputBytes: row.output_bytes,
      };
    });
  }

  async attempts(sql: Sql, workspace: string, runId: string): Promise<AttemptRecord[]> {
    return (
      await sql.rows<AttemptRow>(
        "SELECT * FROM step_attempts WHERE workspace = $1 AND run_id = $2 ORDER BY started_at, attempt",
        [workspace, runId],
      )
    ).map(toAttempt);
  }

  async recordIntent(t: Tx, lease: Lease, step: StepStart): Promise<void> {
    await fence(t, lease);
    const prior = await this.row(t.sql, lease.workspace, lease.runId, step.stepId);
    if (prior?.status === "started" && prior.attempt < step.attempt) {
      // The earlier attempt recorded its intent and never reported back: its process died.
      const crashed: StepStart = { ...step, attempt: prior.attempt, startedAt: prior.started_at };
      await this.insertAttempt(t.sql, lease, crashed, t.now, null, "crashed");
    }
    await this.upsert(t.sql, lease, step, "started", null, null, 0, null, null, null);
    await log(t.sql, lease.workspace, lease.runId, Entry.StepStarted, step.stepId, t.now, {
      kind: step.kind,
      attempt: step.attempt,
      sideEffect: true,
    });
  }

  row(sql: Sql, ws: string, runId: string, stepId: string): Promise<StepRow | undefined> {
    return sql.one<StepRow>("SELECT * FROM steps WHERE workspace = $1 AND run_id = $2 AND step_id = $3", [
      ws,
      runId,
      stepId,
    ]);
  }

  async upsert(
    sql: Sql,
    lease: Lease,
    step: StepStart,
    status: string,
    outputJson: string | null,
    outputBlob: string | null,
    outputBytes: number,
    errorJson: string | null,
    endedAt: number | null,
    retryAt: number | null,
  ): Promise<void> {
    await sql.run(
      stepUpsertSql((n) => `$${n}`),
      stepRowValues(lease, step, {
        status,
        outputJson,
        outputBlob,
        outputBytes,
        errorJson,
        endedAt,
        retryAt,
      }),
    );
  }

  /** A step commit in a transaction: one that writes a blob, sends an event, starts runs or warns. */
  async commit(t: Tx, lease: Lease, commit: StepCommit): Promise<CommitOutcome> {
    const { sql, now } = t;
    const bytes = commit.output?.bytes ?? 0;
    const outcome = await fence(t, lease);
    const [json, blob] = commit.output ? await putPayload(t, lease.workspace, commit.output) : [null, null];
    const errorJson = commit.error ? JSON.stringify(commit.error) : null;
    await this.upsert(sql, lease, commit, commit.status, json, blob, bytes, errorJson, commit.endedAt, null);
    if (commit.status === "failed")
      await this.insertAttempt(sql, lease, commit, commit.endedAt, errorJson, "failed");
    if (commit.progress) {
      const entry = progressEntry(commit.progress, lease.epoch);
      await log(sql, lease.workspace, lease.runId, entry.type, commit.stepId, now, entry.data);
    }
    await log(sql, lease.workspace, lease.runId, Entry.StepEnded, commit.stepId, now, stepEndedData(commit));
    if (commit.event) await this.events.send(t, lease.workspace, commit.event.event, commit.event.triggers);
    for (const child of commit.startRuns ?? []) await this.runs.insert(t, child);
    if (commit.storageWarning) {
      await log(
        sql,
        lease.workspace,
        lease.runId,
        Entry.RunStorageWarning,
        commit.stepId,
        now,
        commit.storageWarning,
      );
    }
    return outcome;
  }

  private async insertAttempt(
    sql: Sql,
    lease: Lease,
    step: StepStart,
    endedAt: number,
    errorJson: string | null,
    outcome: string,
  ): Promise<void> {
    await sql.run(
      `INSERT INTO step_attempts (workspace, run_id, step_id, attempt, started_at, ended_at, error_json, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (workspace, run_id, step_id, attempt) DO UPDATE SET started_at = excluded.started_at,
         ended_at = excluded.ended_at, error_json = excluded.error_json, outcome = excluded.outcome`,
      [lease.workspace, lease.runId, step.stepId, step.attempt, step.startedAt, endedAt, errorJson, outcome],
    );
  }

  async recordRetry(t: Tx, lease: Lease, retry: StepRetry): Promise<CommitOutcome> {
    const outcome = await fence(t, lease);
    const errorJson = JSON.stringify(retry.error);
    await this.insertAttempt(t.sql, lease, retry, retry.endedAt, errorJson, "failed");
    await this.upsert(t.sql, lease, retry, "retrying", null, null, 0, errorJson, null, retry.retryAt);
    await log(t.sql, lease.workspace, lease.runId, Entry.StepRetrying, retry.stepId, t.now, {
      attempt: retry.attempt,
      retryAt: retry.retryAt,
      error: { message: retry.error.message, code: retry.error.code },
    });
    return outcome;
  }

  /** An operator's decision on a step of a run that needs attention: skip it, or run it again. */
  async resolveAttention(
    t: Tx,
    workspace: string,
    runId: string,
    stepId: string,
    action: AttentionAction,
  ): Promise<void> {
    const { sql, now } = t;
    const { lease, start } = attentionStep(
      workspace,
      runId,
      stepId,
      await this.runs.row(sql, workspace, runId, true),
      await this.row(sql, workspace, runId, stepId),
    );
    await this.insertAttempt(sql, lease, start, now, null, action.action === "skip" ? "skipped" : "crashed");
    if (action.action === "skip") {
      const [json, blob] = await putPayload(t, workspace, action.output);
      await this.upsert(sql, lease, start, "completed", json, blob, action.output.bytes, null, now, null);
      await log(sql, workspace, runId, Entry.StepEnded, stepId, now, {
        status: "completed",
        skipped: true,
      });
    } else {
      // The next attempt runs with the same idempotency key.
      await this.upsert(sql, lease, start, "retrying", null, null, 0, null, null, now);
      await log(sql, workspace, runId, Entry.StepRetrying, stepId, now, {
        attempt: start.attempt,
        byOperator: true,
      });
    }
    await sql.run(
      "UPDATE runs SET status = 'queued', wake_at = $1, reason = NULL, updated_at = $1 WHERE workspace = $2 AND id = $3",
      [now, workspace, runId],
    );
  }
}
