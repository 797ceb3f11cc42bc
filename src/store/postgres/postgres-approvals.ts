import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import { Entry } from "../entry-types.js";
import type { ApprovalDecision, NewApproval } from "../journal.js";
import type { ApprovalRecord, ApprovalStatus, ApprovalTimeoutPolicy } from "../records.js";
import { parseJsonColumn } from "../sqlite/rows.js";
import type { ApprovalRow } from "../approval-rules.js";
import { assertDecidable, toApproval } from "../approval-rules.js";
import type { Sql } from "./database.js";

/** What the approvals need from the journal around them (all inside its transactions). */
export interface PgApprovalHost {
  log(
    sql: Sql,
    ws: string,
    runId: string,
    type: string,
    stepId: string | null,
    at: number,
    data: object,
  ): Promise<void>;
  /** Locks the run's row, as every writer of a run's waits does first. */
  lockRun(sql: Sql, ws: string, runId: string): Promise<void>;
  /** Marks the approval's wait resolved and makes its run runnable (the run is locked). */
  resolveWait(sql: Sql, ws: string, runId: string, stepId: string, at: number): Promise<void>;
}

/**
 * Approval requests and decisions on the PostgreSQL journal, with the same rules as SQLite's. A
 * decision locks the run first and the approval second, in the order settleWait (which holds the
 * run's lease) takes them, so a decision and an expiry are never both applied.
 */
export class PgApprovals {
  constructor(private readonly host: PgApprovalHost) {}

  async create(
    sql: Sql,
    ws: string,
    runId: string,
    stepId: string,
    a: NewApproval,
    dueAt: number | null,
    now: number,
  ): Promise<void> {
    await sql.run(
      `INSERT INTO approvals (workspace, id, run_id, step_id, batch_id, status, title, request_json, args_hash,
         approvers_json, created_at, due_at, timeout_json)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING`,
      [
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
      ],
    );
    await this.host.log(sql, ws, runId, Entry.ApprovalRequested, stepId, now, {
      approvalId: a.id,
      title: a.title,
      dueAt,
    });
  }

  async get(sql: Sql, ws: string, id: string): Promise<ApprovalRecord | undefined> {
    const row = await this.row(sql, ws, id);
    return row === undefined ? undefined : toApproval(row);
  }

  async list(
    sql: Sql,
    ws: string,
    filter: { status?: ApprovalStatus; runId?: string; limit?: number },
  ): Promise<ApprovalRecord[]> {
    const where = ["workspace = $1"];
    const args: unknown[] = [ws];
    if (filter.status !== undefined) {
      args.push(filter.status);
      where.push(`status = $${args.length}`);
    }
    if (filter.runId !== undefined) {
      args.push(filter.runId);
      where.push(`run_id = $${args.length}`);
    }
    args.push(filter.limit ?? 100);
    const rows = await sql.rows<ApprovalRow>(
      `SELECT * FROM approvals WHERE ${where.join(" AND ")} ORDER BY created_at, id COLLATE "C" LIMIT $${args.length}`,
      args,
    );
    return rows.map(toApproval);
  }

  /** Applies a person's decision; see Journal.decideApproval for the rules. */
  async decide(sql: Sql, ws: string, id: string, d: ApprovalDecision, now: number): Promise<ApprovalRecord> {
    const seen = await this.row(sql, ws, id);
    if (seen === undefined) {
      throw new NotFoundError(
        ErrorCode.StepNotFound,
        `no approval ${id} in workspace ${ws}; \`cairn approvals ls\` lists them`,
      );
    }
    await this.host.lockRun(sql, ws, seen.run_id);
    // Read again once the run is ours: another decision may have committed meanwhile.
    const row = (await sql.one<ApprovalRow>(
      "SELECT * FROM approvals WHERE workspace = $1 AND id = $2 FOR UPDATE",
      [ws, id],
    ))!;
    assertDecidable(row, d, now);
    const status: ApprovalStatus = d.approve ? "approved" : "rejected";
    const [updated] = await sql.rows<ApprovalRow>(
      `UPDATE approvals SET status = $1, decided_at = $2, decided_by = $3, reason = $4, edited_args_json = $5
       WHERE workspace = $6 AND id = $7 AND status = 'pending' RETURNING *`,
      [status, now, d.by, d.reason ?? null, d.editedArgs?.text ?? null, ws, id],
    );
    await this.host.log(sql, ws, row.run_id, Entry.ApprovalDecided, row.step_id, now, {
      approvalId: id,
      status,
      by: d.by,
      ...(d.reason ? { reason: d.reason } : {}),
      edited: d.editedArgs !== undefined,
    });
    await this.host.resolveWait(sql, ws, row.run_id, row.step_id, now);
    return toApproval(updated!);
  }

  /**
   * Settles an approval whose time is up, by its policy: escalation re-arms it for other
   * approvers (returns undefined: still pending); otherwise it ends expired or approved.
   */
  async expire(sql: Sql, ws: string, id: string, now: number): Promise<ApprovalRecord | undefined> {
    const row = await sql.one<ApprovalRow>(
      "SELECT * FROM approvals WHERE workspace = $1 AND id = $2 FOR UPDATE",
      [ws, id],
    );
    if (row === undefined || row.status !== "pending") return row === undefined ? undefined : toApproval(row);
    const policy = parseJsonColumn<ApprovalTimeoutPolicy>(row.timeout_json, `approval ${id} timeout policy`);
    if (policy?.action === "escalate") {
      const dueAt = now + policy.timeoutMs;
      // After one escalation the request expires as rejected if still undecided.
      await sql.run(
        `UPDATE approvals SET approvers_json = $1, due_at = $2, escalations = escalations + 1, timeout_json = $3
         WHERE workspace = $4 AND id = $5`,
        [JSON.stringify(policy.approvers), dueAt, JSON.stringify({ action: "reject" }), ws, id],
      );
      await sql.run("UPDATE waits SET due_at = $1 WHERE workspace = $2 AND approval_id = $3", [
        dueAt,
        ws,
        id,
      ]);
      await this.host.log(sql, ws, row.run_id, Entry.ApprovalEscalated, row.step_id, now, {
        approvalId: id,
        approvers: policy.approvers,
        dueAt,
      });
      return undefined;
    }
    const approved = policy?.action === "approve";
    const [updated] = await sql.rows<ApprovalRow>(
      `UPDATE approvals SET status = $1, decided_at = $2, decided_by = 'timeout', reason = $3, edited_args_json = $4
       WHERE workspace = $5 AND id = $6 RETURNING *`,
      [
        approved ? "approved" : "expired",
        now,
        approved
          ? "approved by its timeout policy"
          : `no decision before ${new Date(row.due_at ?? now).toISOString()}`,
        approved && policy.args !== undefined ? JSON.stringify(policy.args) : null,
        ws,
        id,
      ],
    );
    await this.host.log(sql, ws, row.run_id, Entry.ApprovalDecided, row.step_id, now, {
      approvalId: id,
      status: approved ? "approved" : "expired",
      by: "timeout",
    });
    return toApproval(updated!);
  }

  /** A run that ends leaves no request pending. */
  async cancelForRun(sql: Sql, ws: string, runId: string, now: number): Promise<void> {
    await sql.run(
      `UPDATE approvals SET status = 'cancelled', decided_at = $1, decided_by = 'system', reason = 'the run ended'
       WHERE workspace = $2 AND run_id = $3 AND status = 'pending'`,
      [now, ws, runId],
    );
  }

  private row(sql: Sql, ws: string, id: string): Promise<ApprovalRow | undefined> {
    return sql.one<ApprovalRow>("SELECT * FROM approvals WHERE workspace = $1 AND id = $2", [ws, id]);
  }
}
