import { attentionStep, stepRowValues, stepUpsertSql } from "../step-row.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import { Entry } from "../entry-types.js";
import { progressEntry } from "../service-rows.js";
import type { AttentionAction, CommitOutcome, StepCommit, StepRetry, StepStart } from "../journal.js";
import type { AttemptRecord, Lease, StepRecord } from "../records.js";
import type { SqliteEvents } from "./sqlite-events.js";
import type { SqliteStore } from "./sqlite-store.js";
import type { SqliteRuns } from "./sqlite-runs.js";
import type { AttemptRow, StepRow } from "./rows.js";
import { parseJsonColumn, stepKind, stepStatus, toAttempt } from "./rows.js";

/** Built once: every step commit runs it, and its statement is found by this text. */
const UPSERT = stepUpsertSql(() => "?");

/**
 * Steps on the SQLite journal: their recorded intents, commits and retries, the history of their
 * attempts, and an operator's decision on a step that needs attention.
 */
export class SqliteSteps {
  constructor(
    private readonly store: SqliteStore,
    private readonly runs: SqliteRuns,
    private readonly events: SqliteEvents,
  ) {}

  load(workspace: string, runId: string): StepRecord[] {
    const rows = this.store
      .sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? ORDER BY seq")
      .all(workspace, runId) as StepRow[];
    return rows.map((row) => {
      const label = `run ${runId} step "${row.step_id}"`;
      return {
        runId,
        stepId: row.step_id,
        seq: row.seq,
        kind: stepKind(row.kind),
        status: stepStatus(row.status),
        attempt: row.attempt,
        output: this.store.payloads.get(workspace, row.output_json, row.output_blob, `${label} output`),
        error: parseJsonColumn<SerializedError>(row.error_json, `${label} error`),
        startedAt: row.started_at,
        endedAt: row.ended_at,
        retryAt: row.retry_at,
        sideEffect: row.side_effect === 1,
        outputBytes: row.output_bytes,
      };
    });
  }

  attempts(workspace: string, runId: string): AttemptRecord[] {
    return (
      this.store
        .sql("SELECT * FROM step_attempts WHERE workspace = ? AND run_id = ? ORDER BY started_at, attempt")
        .all(workspace, runId) as AttemptRow[]
    ).map(toAttempt);
  }

  recordIntent(lease: Lease, step: StepStart): void {
    const now = this.store.clock.now();
    this.runs.fence(lease);
    const prior = this.store
      .sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?")
      .get(lease.workspace, lease.runId, step.stepId) as StepRow | undefined;
    if (prior?.status === "started" && prior.attempt < step.attempt) {
      // The earlier attempt recorded its intent and never reported back: its process died.
      const crashed: StepStart = { ...step, attempt: prior.attempt, startedAt: prior.started_at };
      this.insertAttempt(lease, crashed, now, null, "crashed");
    }
    this.upsert(lease, step, "started", null, null, 0, null, null, null);
    this.store.log.append(lease.workspace, lease.runId, Entry.StepStarted, step.stepId, now, {
      kind: step.kind,
      attempt: step.attempt,
      sideEffect: true,
    });
  }

  upsert(
    lease: Lease,
    step: StepStart,
    status: string,
    outputJson: string | null,
    outputBlob: string | null,
    outputBytes: number,
    errorJson: string | null,
    endedAt: number | null,
    retryAt: number | null,
  ): void {
    this.store.sql(UPSERT).run(
      ...stepRowValues(lease, step, {
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

  commit(lease: Lease, commit: StepCommit): CommitOutcome {
    const now = this.store.clock.now();
    const bytes = commit.output?.bytes ?? 0;
    const outcome = this.runs.fence(lease);
    const [json, blob] = commit.output
      ? this.store.payloads.put(lease.workspace, commit.output, now)
      : [null, null];
    const errorJson = commit.error ? JSON.stringify(commit.error) : null;
    this.upsert(lease, commit, commit.status, json, blob, bytes, errorJson, commit.endedAt, null);
    if (commit.status === "failed") this.insertAttempt(lease, commit, commit.endedAt, errorJson, "failed");
    if (commit.progress) {
      const entry = progressEntry(commit.progress, lease.epoch);
      this.store.log.append(lease.workspace, lease.runId, entry.type, commit.stepId, now, entry.data);
    }
    this.store.log.append(lease.workspace, lease.runId, Entry.StepEnded, commit.stepId, now, {
      kind: commit.kind,
      status: commit.status,
      attempt: commit.attempt,
      durationMs: commit.endedAt - commit.startedAt,
      outputBytes: bytes,
      ...(commit.error ? { error: { message: commit.error.message, code: commit.error.code } } : {}),
    });
    if (commit.event) this.events.send(lease.workspace, commit.event.event, commit.event.triggers, now);
    for (const child of commit.startRuns ?? []) this.runs.insert(child, now);
    if (commit.storageWarning) {
      this.store.log.append(
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

  private insertAttempt(
    lease: Lease,
    step: StepStart,
    endedAt: number,
    errorJson: string | null,
    outcome: string,
  ): void {
    this.store
      .sql(
        `INSERT OR REPLACE INTO step_attempts (workspace, run_id, step_id, attempt, started_at, ended_at, error_json, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        lease.workspace,
        lease.runId,
        step.stepId,
        step.attempt,
        step.startedAt,
        endedAt,
        errorJson,
        outcome,
      );
  }

  recordRetry(lease: Lease, retry: StepRetry): CommitOutcome {
    const now = this.store.clock.now();
    const outcome = this.runs.fence(lease);
    const errorJson = JSON.stringify(retry.error);
    this.insertAttempt(lease, retry, retry.endedAt, errorJson, "failed");
    this.upsert(lease, retry, "retrying", null, null, 0, errorJson, null, retry.retryAt);
    this.store.log.append(lease.workspace, lease.runId, Entry.StepRetrying, retry.stepId, now, {
      attempt: retry.attempt,
      retryAt: retry.retryAt,
      error: { message: retry.error.message, code: retry.error.code },
    });
    return outcome;
  }

  // ── operator actions ──────────────────────────────────────────────────────────────────────

  resolveAttention(workspace: string, runId: string, stepId: string, action: AttentionAction): void {
    const now = this.store.clock.now();
    const { lease, start } = attentionStep(
      workspace,
      runId,
      stepId,
      this.runs.row(workspace, runId),
      this.store
        .sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?")
        .get(workspace, runId, stepId) as StepRow | undefined,
    );
    this.insertAttempt(lease, start, now, null, action.action === "skip" ? "skipped" : "crashed");
    if (action.action === "skip") {
      const [json, blob] = this.store.payloads.put(workspace, action.output, now);
      this.upsert(lease, start, "completed", json, blob, action.output.bytes, null, now, null);
      this.store.log.append(workspace, runId, Entry.StepEnded, stepId, now, {
        status: "completed",
        skipped: true,
      });
    } else {
      // The next attempt runs with the same idempotency key.
      this.upsert(lease, start, "retrying", null, null, 0, null, null, now);
      this.store.log.append(workspace, runId, Entry.StepRetrying, stepId, now, {
        attempt: start.attempt,
        byOperator: true,
      });
    }
    this.store
      .sql(
        "UPDATE runs SET status = 'queued', wake_at = ?, reason = NULL, updated_at = ? WHERE workspace = ? AND id = ?",
      )
      .run(now, now, workspace, runId);
  }
}
