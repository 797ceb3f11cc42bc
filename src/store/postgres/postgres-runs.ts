import { describeBlocker } from "../describe-wait.js";
import { ACTIVE_SQL } from "../lifecycle-sql.js";
import { ErrorCode, NotFoundError, StoreError } from "../../shared/errors.js";
import type { EncodedPayload } from "../../shared/payload.js";
import { decodePayload } from "../../shared/payload.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import { Entry } from "../entry-types.js";
import { describeRelease } from "../hand-back.js";
import type { HandBack, RunFilter } from "../journal.js";
import type { CreateRunResult, Lease, NewRun, RunRecord, RunStatus, RunSummary } from "../records.js";
import type { RunRow, WaitRow } from "../sqlite/rows.js";
import { toListedRun, toRunSummary } from "../sqlite/rows.js";
import type { Sql } from "./database.js";
import { LockSpace } from "./database.js";
import { log } from "./log.js";
import { payloadText, putPayload } from "./payloads.js";
import type { PgApprovals } from "./postgres-approvals.js";
import { fence, lockRuns } from "./run-locks.js";
import type { Tx } from "./transactions.js";

export type RunWithPayloads = RunRow & { input_data: Buffer | null; output_data: Buffer | null };

export const RUN_WITH_PAYLOADS = `SELECT r.*, ib.data AS input_data, ob.data AS output_data FROM runs r
  LEFT JOIN blobs ib ON ib.workspace = r.workspace AND ib.hash = r.input_blob
  LEFT JOIN blobs ob ON ob.workspace = r.workspace AND ob.hash = r.output_blob`;

/**
 * Runs on the PostgreSQL journal: their creation (idempotent, singletons), reading them, and
 * their transitions, from suspending to ending and cancelling. The journal delegates to this
 * inside its transactions; fenced transitions check the lease before they write.
 */
export class PgRuns {
  private readonly workspaces = new Set<string>();

  constructor(private readonly approvals: PgApprovals) {}

  row(sql: Sql, workspace: string, runId: string, lock = false): Promise<RunRow | undefined> {
    return sql.one<RunRow>(
      `SELECT * FROM runs WHERE workspace = $1 AND id = $2${lock ? " FOR UPDATE" : ""}`,
      [workspace, runId],
    );
  }

  /** Workspaces come into being on first use, in the transaction that first writes to one. */
  async ensureWorkspace(t: Tx, ws: string): Promise<void> {
    if (this.workspaces.has(ws)) return;
    await t.sql.run("INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [
      ws,
      t.now,
    ]);
    t.afterCommit.push(() => this.workspaces.add(ws));
  }

  async insert(t: Tx, run: NewRun): Promise<CreateRunResult> {
    const ws = run.workspace;
    const sql = t.sql;
    await this.ensureWorkspace(t, ws);
    // Idempotent by id too: a retried call (e.g. registerWait whose reply was lost) returns the run.
    const same = await this.row(sql, ws, run.id);
    if (same !== undefined) return { run: toRunSummary(same), created: false, cancelled: [] };
    if (run.idempotencyKey !== undefined) {
      const existing = await this.byIdempotencyKey(sql, ws, run.workflow, run.idempotencyKey);
      if (existing) return { run: toRunSummary(existing), created: false, cancelled: [] };
    }
    let active: RunRow[] = [];
    // A run born failed (its input was refused) never replaces an active singleton.
    const failed = run.failed;
    if (run.singleton !== undefined && failed === undefined && run.singleton.mode !== "queue") {
      // One creator per singleton key at a time; the next one sees this one's run.
      await sql.rows(
        "SELECT pg_advisory_xact_lock($1, hashtext($2::text || '/' || $3::text || '/' || $4::text))",
        [LockSpace.Singleton, ws, run.workflow, run.singleton.key],
      );
      active = await sql.rows<RunRow>(
        `SELECT * FROM runs WHERE workspace = $1 AND workflow = $2 AND singleton_key = $3 AND status IN ${ACTIVE_SQL}
         ORDER BY created_at, id COLLATE "C"`,
        [ws, run.workflow, run.singleton.key],
      );
      if (active.length > 0 && run.singleton.mode === "skip") {
        return { run: toRunSummary(active[0]!), created: false, cancelled: [] };
      }
    }
    const [inputJson, inputBlob] = await putPayload(t, ws, run.input);
    const runAt = run.runAt ?? t.now;
    const [inserted] = await sql.rows<RunRow>(
      `INSERT INTO runs (workspace, id, workflow, status, input_json, input_blob, parent_run_id, parent_step_id,
         idempotency_key, concurrency_key, concurrency_limit, singleton_key, created_at, updated_at, wake_at, stored_bytes,
         input_bytes, error_json, reason, ended_at, forked_from_run, forked_from_step, version)
       VALUES ($1, $2, $3, $15, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $14, $16, $17, $18, $19, $20, $21)
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        ws,
        run.id,
        run.workflow,
        inputJson,
        inputBlob,
        run.parentRunId ?? null,
        run.parentStepId ?? null,
        run.idempotencyKey ?? null,
        run.concurrency?.key ?? null,
        run.concurrency?.limit ?? null,
        run.singleton?.key ?? null,
        t.now,
        failed ? null : runAt,
        run.input.bytes,
        failed ? "failed" : "queued",
        failed ? JSON.stringify(failed) : null,
        failed?.message ?? null,
        failed ? t.now : null,
        run.forkedFrom?.runId ?? null,
        run.forkedFrom?.stepId ?? null,
        run.version ?? null,
      ],
    );
    if (inserted === undefined) {
      // Another transaction created it (same id or key) since we looked: that one is the run.
      const winner =
        (await this.row(sql, ws, run.id)) ??
        (run.idempotencyKey === undefined
          ? undefined
          : await this.byIdempotencyKey(sql, ws, run.workflow, run.idempotencyKey));
      if (winner === undefined) throw new StoreError(`run ${run.id} could not be created nor found`);
      return { run: toRunSummary(winner), created: false, cancelled: [] };
    }
    const cancelled: string[] = [];
    for (const other of active) {
      await this.cancel(t, ws, other.id, `replaced by run ${run.id} (singleton key ${run.singleton!.key})`);
      cancelled.push(other.id);
    }
    await log(sql, ws, run.id, Entry.RunCreated, null, t.now, {
      workflow: run.workflow,
      parentRunId: run.parentRunId ?? null,
      runAt,
      ...(run.forkedFrom ? { forkedFrom: run.forkedFrom } : {}),
    });
    if (failed)
      await log(sql, ws, run.id, Entry.RunEnded, null, t.now, { status: "failed", reason: failed.message });
    return { run: toRunSummary(inserted), created: true, cancelled };
  }

  private byIdempotencyKey(sql: Sql, ws: string, workflow: string, key: string): Promise<RunRow | undefined> {
    return sql.one<RunRow>(
      "SELECT * FROM runs WHERE workspace = $1 AND workflow = $2 AND idempotency_key = $3",
      [ws, workflow, key],
    );
  }

  async get(sql: Sql, workspace: string, runId: string): Promise<RunRecord | undefined> {
    const row = await sql.one<RunWithPayloads>(`${RUN_WITH_PAYLOADS} WHERE r.workspace = $1 AND r.id = $2`, [
      workspace,
      runId,
    ]);
    if (row === undefined) return undefined;
    const summary = toRunSummary(row);
    return {
      ...summary,
      input: decodePayload(
        payloadText(row.input_json, row.input_blob, row.input_data, `run ${runId} input`),
        `run ${runId} input`,
      ),
      output: decodePayload(
        payloadText(row.output_json, row.output_blob, row.output_data, `run ${runId} output`),
        `run ${runId} output`,
      ),
    };
  }

  async summary(sql: Sql, workspace: string, runId: string): Promise<RunSummary | undefined> {
    const row = await this.row(sql, workspace, runId);
    return row === undefined ? undefined : toRunSummary(row);
  }

  async list(sql: Sql, workspace: string, filter: RunFilter): Promise<RunSummary[]> {
    const where = ["workspace = $1"];
    const args: unknown[] = [workspace];
    const add = (clause: string, value: unknown) => {
      args.push(value);
      where.push(`${clause} $${args.length}`);
    };
    if (filter.status !== undefined) add("status =", filter.status);
    if (filter.workflow !== undefined) add("workflow =", filter.workflow);
    if (filter.parentRunId !== undefined) add("parent_run_id =", filter.parentRunId);
    if (filter.singletonKey !== undefined) add("singleton_key =", filter.singletonKey);
    if (filter.active) where.push(`status IN ${ACTIVE_SQL}`);
    if (filter.idempotencyKey !== undefined) add("idempotency_key =", filter.idempotencyKey);
    if (filter.createdAfter !== undefined) add("created_at >=", filter.createdAfter);
    if (filter.createdBefore !== undefined) add("created_at <", filter.createdBefore);
    if (filter.ended) where.push(`status NOT IN ${ACTIVE_SQL}`);
    if (filter.endedBefore !== undefined) add("ended_at <", filter.endedBefore);
    if (filter.after !== undefined) {
      args.push(filter.after.createdAt, filter.after.id);
      const [t, id] = [`$${args.length - 1}`, `$${args.length}`];
      where.push(`(created_at < ${t} OR (created_at = ${t} AND id COLLATE "C" < ${id}))`);
    }
    args.push(filter.limit ?? 100);
    const rows = await sql.rows<RunRow>(
      `SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(toListedRun);
  }

  // ── transitions ───────────────────────────────────────────────────────────────────────────

  async suspend(t: Tx, lease: Lease): Promise<void> {
    const { sql, now } = t;
    await fence(t, lease);
    const ws = lease.workspace;
    const id = lease.runId;
    const ready = await sql.one<{ n: number }>(
      "SELECT COUNT(*) AS n FROM waits WHERE workspace = $1 AND run_id = $2 AND resolved_at IS NOT NULL AND settled = 0",
      [ws, id],
    );
    const next = await sql.one<{ t: number | null }>(
      `SELECT LEAST(
           (SELECT MIN(due_at) FROM waits WHERE workspace = $1 AND run_id = $2 AND resolved_at IS NULL AND due_at IS NOT NULL),
           (SELECT MIN(retry_at) FROM steps WHERE workspace = $1 AND run_id = $2 AND status = 'retrying')) AS t`,
      [ws, id],
    );
    const blocker = await sql.one<WaitRow>(
      `SELECT kind, event_name, child_run_id, due_at, step_id, approval_id FROM waits
         WHERE workspace = $1 AND run_id = $2 AND resolved_at IS NULL ORDER BY due_at IS NULL, due_at LIMIT 1`,
      [ws, id],
    );
    const nextAt = next?.t ?? null;
    const wakeAt = (ready?.n ?? 0) > 0 ? now : nextAt;
    const reason = describeBlocker(blocker, nextAt);
    await sql.run(
      `UPDATE runs SET status = 'waiting', wake_at = $1, lease_owner = NULL, lease_expires_at = NULL, reason = $2,
           updated_at = $3, hand_backs = 0 WHERE workspace = $4 AND id = $5`,
      [wakeAt, reason, now, ws, id],
    );
    await this.recount(sql, ws, id);
    await log(sql, ws, id, Entry.RunWaiting, null, now, { wakeAt, reason });
  }

  async complete(t: Tx, lease: Lease, output: EncodedPayload): Promise<void> {
    await fence(t, lease);
    const [json, blob] = await putPayload(t, lease.workspace, output);
    await this.end(t, lease.workspace, lease.runId, "completed", json, blob, null, null);
    await this.recount(t.sql, lease.workspace, lease.runId, output.bytes);
  }

  async fail(t: Tx, lease: Lease, error: SerializedError): Promise<void> {
    await fence(t, lease);
    await this.end(
      t,
      lease.workspace,
      lease.runId,
      "failed",
      null,
      null,
      JSON.stringify(error),
      error.message,
    );
  }

  /** Ends a run (its row is locked), releases its lease, and tells a waiting parent. */
  private async end(
    t: Tx,
    ws: string,
    runId: string,
    status: "completed" | "failed" | "cancelled",
    outputJson: string | null,
    outputBlob: string | null,
    errorJson: string | null,
    reason: string | null,
  ): Promise<void> {
    const { sql, now } = t;
    await sql.run(
      `UPDATE runs SET status = $1, output_json = $2, output_blob = $3, error_json = $4, reason = $5, ended_at = $6,
         updated_at = $6, wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL
       WHERE workspace = $7 AND id = $8`,
      [status, outputJson, outputBlob, errorJson, reason, now, ws, runId],
    );
    if (status !== "completed") await this.recount(sql, ws, runId);
    await this.approvals.cancelForRun(sql, ws, runId, now);
    await sql.run(
      "UPDATE waits SET resolved_at = $1, settled = 1 WHERE workspace = $2 AND run_id = $3 AND resolved_at IS NULL",
      [now, ws, runId],
    );
    await log(sql, ws, runId, Entry.RunEnded, null, now, { status, ...(reason ? { reason } : {}) });
    const parents = await sql.rows<{ run_id: string }>(
      "SELECT run_id FROM waits WHERE workspace = $1 AND child_run_id = $2 AND resolved_at IS NULL",
      [ws, runId],
    );
    if (parents.length === 0) return;
    await lockRuns(
      sql,
      ws,
      parents.map((p) => p.run_id),
    );
    const resolved = await sql.rows<{ run_id: string }>(
      `UPDATE waits SET resolved_at = $1 WHERE workspace = $2 AND child_run_id = $3 AND resolved_at IS NULL
       RETURNING run_id`,
      [now, ws, runId],
    );
    for (const run of new Set(resolved.map((p) => p.run_id))) await this.wake(sql, ws, run, now);
  }

  /** Makes a waiting run runnable now (a wait of it was resolved). */
  async wake(sql: Sql, ws: string, runId: string, now: number): Promise<void> {
    const changed = await sql.run(
      "UPDATE runs SET wake_at = $1, updated_at = $1 WHERE workspace = $2 AND id = $3 AND status = 'waiting'",
      [now, ws, runId],
    );
    if (changed > 0) await log(sql, ws, runId, Entry.RunResumed, null, now, {});
  }

  async cancel(t: Tx, ws: string, runId: string, reason: string): Promise<RunStatus> {
    const { sql, now } = t;
    const row = await this.row(sql, ws, runId, true);
    if (row === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${ws}`);
    const status = row.status as RunStatus;
    if (status === "completed" || status === "failed" || status === "cancelled") return status;
    const children = await sql.rows<{ id: string }>(
      `SELECT id FROM runs WHERE workspace = $1 AND parent_run_id = $2 AND status IN ${ACTIVE_SQL} ORDER BY id COLLATE "C"`,
      [ws, runId],
    );
    for (const c of children) await this.cancel(t, ws, c.id, `parent run ${runId} was cancelled`);
    if (
      status === "running" &&
      row.lease_owner !== null &&
      (row.lease_expires_at ?? 0) > now &&
      row.cancel_requested === 0
    ) {
      await sql.run(
        "UPDATE runs SET cancel_requested = 1, updated_at = $1, reason = $2 WHERE workspace = $3 AND id = $4",
        [now, reason, ws, runId],
      );
      await log(sql, ws, runId, Entry.RunCancelRequested, null, now, { reason });
      return "running";
    }
    await this.end(t, ws, runId, "cancelled", null, null, null, reason);
    return "cancelled";
  }

  async retry(t: Tx, lease: Lease, error: SerializedError, runAt: number): Promise<void> {
    const { sql, now } = t;
    await fence(t, lease);
    const ws = lease.workspace;
    // Failed steps are forgotten so the next attempt runs them afresh; their attempts stay in history.
    const forgot = await sql.rows<{ step_id: string }>(
      "DELETE FROM steps WHERE workspace = $1 AND run_id = $2 AND status = 'failed' RETURNING step_id, seq",
      [ws, lease.runId],
    );
    await sql.run(
      `UPDATE runs SET status = 'queued', attempt = attempt + 1, wake_at = $1, lease_owner = NULL, lease_expires_at = NULL,
           error_json = $2, reason = $3, updated_at = $4, hand_backs = 0 WHERE workspace = $5 AND id = $6`,
      [runAt, JSON.stringify(error), `retrying after: ${error.message}`, now, ws, lease.runId],
    );
    await this.recount(sql, ws, lease.runId);
    await log(sql, ws, lease.runId, Entry.RunRetrying, null, now, {
      runAt,
      error: { message: error.message, code: error.code },
      forgotSteps: forgot.map((s) => s.step_id),
    });
  }

  async markNeedsAttention(t: Tx, lease: Lease, stepId: string, reason: string): Promise<void> {
    await fence(t, lease);
    await t.sql.run(
      `UPDATE runs SET status = 'needs-attention', wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL, reason = $1,
           updated_at = $2 WHERE workspace = $3 AND id = $4`,
      [reason, t.now, lease.workspace, lease.runId],
    );
    await this.recount(t.sql, lease.workspace, lease.runId);
    await log(t.sql, lease.workspace, lease.runId, Entry.RunNeedsAttention, stepId, t.now, { reason });
  }

  async release(t: Tx, lease: Lease, handBack: HandBack | undefined): Promise<void> {
    await fence(t, lease);
    const r = describeRelease(t.now, handBack);
    await t.sql.run(
      `UPDATE runs SET status = 'queued', wake_at = $1, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2,
         hand_backs = $3, reason = $4 WHERE workspace = $5 AND id = $6`,
      [r.wakeAt, t.now, r.handBacks, r.reason, lease.workspace, lease.runId],
    );
    await this.recount(t.sql, lease.workspace, lease.runId);
    for (const e of r.entries) await log(t.sql, lease.workspace, lease.runId, e.type, null, t.now, e.data);
  }

  /** Recounts the payload bytes a run has stored; done at each transition, not each step. */
  private async recount(sql: Sql, ws: string, runId: string, outputBytes = 0): Promise<void> {
    await sql.run(
      `UPDATE runs SET stored_bytes = input_bytes + $1::bigint
         + (SELECT COALESCE(SUM(output_bytes), 0)::bigint FROM steps WHERE workspace = $2 AND run_id = $3)
       WHERE workspace = $2 AND id = $3`,
      [outputBytes, ws, runId],
    );
  }
}
