import { CorruptPayloadError, ErrorCode } from "../../shared/errors.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import type {
  AttemptRecord,
  StepRecord,
  JournalEntry,
  RunStatus,
  RunSummary,
  StepKind,
  StepStatus,
  WaitKind,
  WaitRecord,
} from "../records.js";

/** The payload format this code writes and reads; a newer one fails its run with a clear error. */
export const PAYLOAD_FORMAT = 1;

export interface RunRow {
  workspace: string;
  id: string;
  workflow: string;
  status: string;
  format: number;
  input_json: string | null;
  input_blob: string | null;
  output_json: string | null;
  output_blob: string | null;
  error_json: string | null;
  parent_run_id: string | null;
  parent_step_id: string | null;
  idempotency_key: string | null;
  concurrency_key: string | null;
  concurrency_limit: number | null;
  singleton_key: string | null;
  attempt: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
  wake_at: number | null;
  lease_owner: string | null;
  lease_epoch: number;
  lease_expires_at: number | null;
  cancel_requested: number;
  stored_bytes: number;
  reason: string | null;
  hand_backs: number;
  lease_ttl_ms: number | null;
  forked_from_run: string | null;
  forked_from_step: string | null;
  version: string | null;
}

export interface StepRow {
  run_id: string;
  step_id: string;
  seq: number;
  kind: string;
  status: string;
  attempt: number;
  output_json: string | null;
  output_blob: string | null;
  output_bytes: number;
  error_json: string | null;
  started_at: number;
  ended_at: number | null;
  retry_at: number | null;
  side_effect: number;
}

export interface WaitRow {
  run_id: string;
  step_id: string;
  kind: string;
  event_name: string | null;
  match_json: string | null;
  child_run_id: string | null;
  due_at: number | null;
  resolved_at: number | null;
  event_id: string | null;
  settled: number;
  approval_id: string | null;
}

export interface AttemptRow {
  run_id: string;
  step_id: string;
  attempt: number;
  started_at: number;
  ended_at: number;
  error_json: string | null;
  outcome: string;
}

export interface EntryRow {
  seq: number;
  run_id: string;
  type: string;
  step_id: string | null;
  at: number;
  data_json: string;
}

export function parseJsonColumn<T>(text: string | null, label: string): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new CorruptPayloadError(`${label}: stored JSON cannot be read (${(cause as Error).message})`, {
      cause,
    });
  }
}

export function toRunSummary(row: RunRow): RunSummary {
  if (row.format > PAYLOAD_FORMAT) {
    throw new CorruptPayloadError(
      `run ${row.id}: stored in payload format ${row.format}, newer than this Cairn reads (${PAYLOAD_FORMAT}); upgrade cairn-runtime`,
    );
  }
  return {
    id: row.id,
    workspace: row.workspace,
    workflow: row.workflow,
    status: row.status as RunStatus,
    parentRunId: row.parent_run_id,
    parentStepId: row.parent_step_id,
    idempotencyKey: row.idempotency_key,
    concurrencyKey: row.concurrency_key,
    singletonKey: row.singleton_key,
    attempt: row.attempt,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    wakeAt: row.wake_at,
    leaseOwner: row.lease_owner,
    leaseEpoch: row.lease_epoch,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequested: row.cancel_requested === 1,
    leaseTtlMs: row.lease_ttl_ms ?? null,
    storedBytes: row.stored_bytes,
    reason: row.reason,
    error: parseJsonColumn<SerializedError>(row.error_json, `run ${row.id} error`),
    forkedFrom:
      row.forked_from_run === null || row.forked_from_step === null
        ? null
        : { runId: row.forked_from_run, stepId: row.forked_from_step },
    version: row.version ?? null,
  };
}

/** For listings: a row that cannot be read is still listed, with what is wrong as its error. */
export function toListedRun(row: RunRow): RunSummary {
  try {
    return toRunSummary(row);
  } catch (err) {
    return {
      ...toRunSummary({ ...row, format: PAYLOAD_FORMAT, error_json: null }),
      error: { name: "CorruptPayloadError", message: (err as Error).message, code: ErrorCode.CorruptPayload },
    };
  }
}

export function toWait(row: WaitRow): WaitRecord {
  return {
    runId: row.run_id,
    stepId: row.step_id,
    kind: row.kind as WaitKind,
    eventName: row.event_name,
    match: parseJsonColumn<Record<string, unknown>>(
      row.match_json,
      `run ${row.run_id} step ${row.step_id} wait`,
    ),
    childRunId: row.child_run_id,
    dueAt: row.due_at,
    resolvedAt: row.resolved_at,
  };
}

export function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    runId: row.run_id,
    stepId: row.step_id,
    attempt: row.attempt,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: parseJsonColumn<SerializedError>(row.error_json, `run ${row.run_id} step ${row.step_id} attempt`),
    outcome: row.outcome,
  };
}

export function toEntry(row: EntryRow): JournalEntry {
  return {
    seq: row.seq,
    runId: row.run_id === "" ? null : row.run_id,
    type: row.type,
    stepId: row.step_id,
    at: row.at,
    data:
      parseJsonColumn<Record<string, unknown>>(row.data_json, `run ${row.run_id} log entry ${row.seq}`) ?? {},
  };
}

export function stepKind(kind: string): StepKind {
  return kind as StepKind;
}

export function stepStatus(status: string): StepStatus {
  return status as StepStatus;
}

/** A step row as a StepRecord, its output already decoded by the store that read it. */
export function toStepRecord(runId: string, row: StepRow, output: unknown): StepRecord {
  return {
    runId,
    stepId: row.step_id,
    seq: row.seq,
    kind: stepKind(row.kind),
    status: stepStatus(row.status),
    attempt: row.attempt,
    output,
    error: parseJsonColumn<SerializedError>(row.error_json, `run ${runId} step "${row.step_id}" error`),
    startedAt: row.started_at,
    endedAt: row.ended_at,
    retryAt: row.retry_at,
    sideEffect: row.side_effect === 1,
    outputBytes: row.output_bytes,
  };
}
