import type { Statement } from "better-sqlite3";
import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import { Entry } from "../entry-types.js";
import type { ApprovalDecision, NewApproval } from "../journal.js";
import type { ApprovalRecord, ApprovalStatus, ApprovalTimeoutPolicy } from "../records.js";
import { parseJsonColumn } from "./rows.js";
import type { ApprovalRow } from "../approval-rules.js";
import { assertDecidable, toApproval } from "../approval-rules.js";

/** What the approvals need from the journal around them (all inside its transactions). */
export interface ApprovalHost {
  sql(text: string): Statement;
  log(ws: string, runId: string, type: string, stepId: string | null, at: number, data: object): void;
  /** Marks the approval's wait resolved and makes its run runnable. */
  resolveWait(ws: string, runId: string, stepId: string, at: number): void;
}

/**
 * Approval requests and decisions on the SQLite journal. A request is a wait of its run; a
 * decision resolves the wait, once, under the rules the Journal interface documents.
 */
export class SqliteApprovals {
  constructor(private readonly host: ApprovalHost) {}

  create(ws: string, runId: string, stepId: string, a: NewApproval, dueAt: number | null, now: number): void {
    this.host
      .sql(
        `INSERT OR IGNORE INTO approvals (workspace, id, run_id, step_id, batch_id, status, title, request_json, args_hash,
           approvers_json, created_at, due_at, timeout_json)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        ws,
        a.id,
        runId,
        stepId,
        a.batchId ?? null,
        a.title,
        a.request.text ?? "null",
        a.argsHash ?? null,
        a.approvers ? JSON.stringify(a.approvers) : null,
        now,
        dueAt,
        a.onTimeout ? JSON.stringify(a.onTimeout) : null,
      );
    this.host.log(ws, runId, Entry.ApprovalRequested, stepId, now, {
      approvalId: a.id,
      title: a.title,
      dueAt,
    });
  }

  get(ws: string, id: string): ApprovalRecord | undefined {
    const row = this.row(ws, id);
    return row === undefined ? undefined : toApproval(row);
  }

  list(ws: string, filter: { status?: ApprovalStatus; runId?: string; limit?: number }): ApprovalRecord[] {
    const where = ["workspace = ?"];
    const args: unknown[] = [ws];
    if (filter.status !== undefined) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.runId !== undefined) {
      where.push("run_id = ?");
      args.push(filter.runId);
    }
    args.push(filter.limit ?? 100);
    const rows = this.host
      // Without statistics SQLite would walk the primary key; the run index is the selective one.
      .sql(
        `SELECT * FROM approvals ${filter.runId !== undefined ? "INDEXED BY approvals_by_run" : ""}
         WHERE ${where.join(" AND ")} ORDER BY created_at, id LIMIT ?`,
      )
      .all(...args) as ApprovalRow[];
    return rows.map(toApproval);
  }

  /** Applies a person's decision; see Journal.decideApproval for the rules. */
  decide(ws: string, id: string, d: ApprovalDecision, now: number): ApprovalRecord {
    const row = this.row(ws, id);
    if (row === undefined) {
      throw new NotFoundError(
        ErrorCode.StepNotFound,
        `no approval ${id} in workspace ${ws}; \`cairn approvals ls\` lists them`,
      );
    }
    assertDecidable(row, d, now);
    const status: ApprovalStatus = d.approve ? "approved" : "rejected";
    this.host
      .sql(
        `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, reason = ?, edited_args_json = ?
         WHERE workspace = ? AND id = ? AND status = 'pending'`,
      )
      .run(status, now, d.by, d.reason ?? null, d.editedArgs?.text ?? null, ws, id);
    this.host.log(ws, row.run_id, Entry.ApprovalDecided, row.step_id, now, {
      approvalId: id,
      status,
      by: d.by,
      ...(d.reason ? { reason: d.reason } : {}),
      edited: d.editedArgs !== undefined,
    });
    this.host.resolveWait(ws, row.run_id, row.step_id, now);
    return toApproval(this.row(ws, id)!);
  }

  /**
   * Settles an approval whose time is up, by its policy: escalation re-arms it for other
   * approvers (returns undefined: still pending); otherwise it ends expired or approved.
   */
  expire(ws: string, id: string, now: number): ApprovalRecord | undefined {
    const row = this.row(ws, id);
    if (row === undefined || row.status !== "pending") return row === undefined ? undefined : toApproval(row);
    const policy = parseJsonColumn<ApprovalTimeoutPolicy>(row.timeout_json, `approval ${id} timeout policy`);
    if (policy?.action === "escalate") {
      const dueAt = now + policy.timeoutMs;
      this.host
        .sql(
          `UPDATE approvals SET approvers_json = ?, due_at = ?, escalations = escalations + 1, timeout_json = ?
           WHERE workspace = ? AND id = ?`,
        )
        // After one escalation the request expires as rejected if still undecided.
        .run(JSON.stringify(policy.approvers), dueAt, JSON.stringify({ action: "reject" }), ws, id);
      this.host.sql("UPDATE waits SET due_at = ? WHERE workspace = ? AND approval_id = ?").run(dueAt, ws, id);
      this.host.log(ws, row.run_id, Entry.ApprovalEscalated, row.step_id, now, {
        approvalId: id,
        approvers: policy.approvers,
        dueAt,
      });
      return undefined;
    }
    const approved = policy?.action === "approve";
    this.host
      .sql(
        `UPDATE approvals SET status = ?, decided_at = ?, decided_by = 'timeout', reason = ?, edited_args_json = ?
         WHERE workspace = ? AND id = ?`,
      )
      .run(
        approved ? "approved" : "expired",
        now,
        approved
          ? "approved by its timeout policy"
          : `no decision before ${new Date(row.due_at ?? now).toISOString()}`,
        approved && policy.args !== undefined ? JSON.stringify(policy.args) : null,
        ws,
        id,
      );
    this.host.log(ws, row.run_id, Entry.ApprovalDecided, row.step_id, now, {
      approvalId: id,
      status: approved ? "approved" : "expired",
      by: "timeout",
    });
    return toApproval(this.row(ws, id)!);
  }

  /** A run that ends leaves no request pending. */
  cancelForRun(ws: string, runId: string, now: number): void {
    this.host
      .sql(
        // Found through the run's waits (a key lookup), not by scanning the approvals.
        `UPDATE approvals SET status = 'cancelled', decided_at = ?, decided_by = 'system', reason = 'the run ended'
         WHERE workspace = ? AND status = 'pending' AND id IN (
           SELECT approval_id FROM waits WHERE workspace = ? AND run_id = ? AND approval_id IS NOT NULL)`,
      )
      .run(now, ws, ws, runId);
  }

  private row(ws: string, id: string): ApprovalRow | undefined {
    return this.host.sql("SELECT * FROM approvals WHERE workspace = ? AND id = ?").get(ws, id) as
      ApprovalRow | undefined;
  }
}
