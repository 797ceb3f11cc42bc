import { ConflictError, ErrorCode, InputError } from "../shared/errors.js";
import type { ApprovalDecision } from "./journal.js";
import type { ApprovalRecord, ApprovalStatus, ApprovalTimeoutPolicy } from "./records.js";
import { parseJsonColumn } from "./sqlite/rows.js";

/** An approval as both stores keep it. */
export interface ApprovalRow {
  workspace: string;
  id: string;
  run_id: string;
  step_id: string;
  batch_id: string | null;
  status: string;
  title: string;
  request_json: string;
  args_hash: string | null;
  approvers_json: string | null;
  created_at: number;
  due_at: number | null;
  timeout_json: string | null;
  escalations: number;
  decided_at: number | null;
  decided_by: string | null;
  reason: string | null;
  edited_args_json: string | null;
}

/**
 * The rules a decision must pass, for every store alike: decided once, before its time is up,
 * by one of its approvers, on the arguments the decider was shown.
 */
export function assertDecidable(row: ApprovalRow, decision: ApprovalDecision, now: number): void {
  const id = row.id;
  if (row.status !== "pending") {
    const when = row.decided_at === null ? "" : ` at ${new Date(row.decided_at).toISOString()}`;
    throw new ConflictError(
      `approval ${id} was already ${row.status}${row.decided_by ? ` by ${row.decided_by}` : ""}${when}; it is decided once`,
    );
  }
  if (row.due_at !== null && row.due_at <= now) {
    throw new InputError(
      ErrorCode.ApprovalExpired,
      `approval ${id} expired at ${new Date(row.due_at).toISOString()}; a decision can no longer be applied`,
    );
  }
  const approvers = parseJsonColumn<string[]>(row.approvers_json, `approval ${id} approvers`);
  if (approvers !== null && !approvers.includes(decision.by)) {
    throw new InputError(
      ErrorCode.Forbidden,
      `${decision.by} may not decide approval ${id}; its approvers are ${approvers.join(", ")}`,
    );
  }
  if (decision.expectArgsHash !== undefined && decision.expectArgsHash !== row.args_hash) {
    throw new ConflictError(
      `approval ${id} no longer matches the arguments you were shown; look at it again`,
    );
  }
}

export function toApproval(row: ApprovalRow): ApprovalRecord {
  const label = `approval ${row.id}`;
  return {
    id: row.id,
    workspace: row.workspace,
    runId: row.run_id,
    stepId: row.step_id,
    batchId: row.batch_id,
    status: row.status as ApprovalStatus,
    title: row.title,
    request: parseJsonColumn<unknown>(row.request_json, `${label} request`),
    argsHash: row.args_hash,
    approvers: parseJsonColumn<string[]>(row.approvers_json, `${label} approvers`),
    createdAt: row.created_at,
    dueAt: row.due_at,
    onTimeout: parseJsonColumn<ApprovalTimeoutPolicy>(row.timeout_json, `${label} timeout policy`),
    escalations: row.escalations,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    reason: row.reason,
    editedArgs: parseJsonColumn<unknown>(row.edited_args_json, `${label} edited arguments`),
  };
}
