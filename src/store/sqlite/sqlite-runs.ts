import { describeBlocker } from "../describe-wait.js";
import { ACTIVE_SQL } from "../lifecycle-sql.js";
import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import type { EncodedPayload } from "../../shared/payload.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import { Entry } from "../entry-types.js";
import { describeRelease } from "../hand-back.js";
import { leaseLostError } from "../lease-lost.js";
import type { CommitOutcome, HandBack, RunFilter } from "../journal.js";
import type { CreateRunResult, Lease, NewRun, RunRecord, RunStatus, RunSummary } from "../records.js";
import type { SqliteApprovals } from "./sqlite-approvals.js";
import type { SqliteStore } from "./sqlite-store.js";
import type { RunRow, StepRow, WaitRow } from "./rows.js";
import { toListedRun, toRunSummary } from "./rows.js";

/**
 * Runs on the SQLite journal: creating and reading them, the lease fence every write of a run
 * passes, and the transitions that suspend, end, cancel, retry or release a run. All inside the
 * journal's transactions.
 */
export class SqliteRuns {
  constructor(
    private readonly store: SqliteStore,
    private readonly approvals: SqliteApprovals,
  ) {}

  row(workspace: string, runId: string): RunRow | undefined {
    return this.store.sql("SELECT * FROM runs WHERE workspace = ? AND id = ?").get(workspace, runId) as
      RunRow | undefined;
  }

  /**
   * The fence: a read, in the writing transaction, that the lease is still the run's current one.
   * It writes nothing, so a step commit costs one step row and one log row.
   */
  fence(lease: Lease): CommitOutcome {
    const row = this.store
      .sql(
        `SELECT cancel_requested FROM runs
       WHERE workspace = ? AND id = ? AND lease_epoch = ? AND lease_owner = ? AND status = 'running'`,
      )
      .get(lease.workspace, lease.runId, lease.epoch, lease.owner) as
      { cancel_requested: number } | undefined;
    if (row === undefined) throw leaseLostError(lease, this.row(lease.workspace, lease.runId));
    return { cancelRequested: row.cancel_requested === 1 };
  }

  /** Recounts the payload bytes a run has stored; done at each transition, not each step. */
  private recount(ws: string, runId: string, outputBytes = 0): void {
    this.store
      .sql(
        `UPDATE runs SET stored_bytes = input_bytes + ?
         + (SELECT COALESCE(SUM(output_bytes), 0) FROM steps WHERE workspace = ? AND run_id = ?)
       WHERE workspace = ? AND id = ?`,
      )
      .run(outputBytes, ws, runId, ws, runId);
  }

  // ── creating and reading ──────────────────────────────────────────────────────────────────

  /** Workspaces come into being on first use, in the transaction that first writes to one. */
  ensureWorkspace(ws: string, now: number): void {
    this.store.sql("INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?, ?)").run(ws, now);
  }

  insert(run: NewRun, now: number): CreateRunResult {
    const ws = run.workspace;
    this.ensureWorkspace(ws, now);
    // Idempotent by id too: a retried call (e.g. registerWait whose reply was lost) returns the run.
    const same = this.row(ws, run.id);
    if (same !== undefined) return { run: toRunSummary(same), created: false, cancelled: [] };
    if (run.idempotencyKey !== undefined) {
      const existing = this.store
        .sql("SELECT * FROM runs WHERE workspace = ? AND workflow = ? AND idempotency_key = ?")
        .get(ws, run.workflow, run.idempotencyKey) as RunRow | undefined;
      if (existing) return { run: toRunSummary(existing), created: false, cancelled: [] };
    }
    const cancelled: string[] = [];
    // A run born failed (its input was refused) never replaces an active singleton.
    const failed = run.failed;
    if (run.singleton !== undefined && failed === undefined && run.singleton.mode !== "queue") {
      const active = this.store
        .sql(
          `SELECT * FROM runs WHERE workspace = ? AND workflow = ? AND singleton_key = ? AND status IN ${ACTIVE_SQL} ORDER BY created_at`,
        )
        .all(ws, run.workflow, run.singleton.key) as RunRow[];
      if (active.length > 0 && run.singleton.mode === "skip") {
        return { run: toRunSummary(active[0]!), created: false, cancelled: [] };
      }
      for (const other of active) {
        this.requestCancel(
          ws,
          other.id,
          `replaced by run ${run.id} (singleton key ${run.singleton.key})`,
          now,
        );
        cancelled.push(other.id);
      }
    }
    const [inputJson, inputBlob] = this.store.payloads.put(ws, run.input, now);
    const runAt = run.runAt ?? now;
    this.store
      .sql(
        `INSERT INTO runs (workspace, id, workflow, status, input_json, input_blob, parent_run_id, parent_step_id,
         idempotency_key, concurrency_key, concurrency_limit, singleton_key, created_at, updated_at, wake_at, stored_bytes,
         input_bytes, error_json, reason, ended_at, forked_from_run, forked_from_step, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        ws,
        run.id,
        run.workflow,
        failed ? "failed" : "queued",
        inputJson,
        inputBlob,
        run.parentRunId ?? null,
        run.parentStepId ?? null,
        run.idempotencyKey ?? null,
        run.concurrency?.key ?? null,
        run.concurrency?.limit ?? null,
        run.singleton?.key ?? null,
        now,
        now,
        failed ? null : runAt,
        run.input.bytes,
        run.input.bytes,
        failed ? JSON.stringify(failed) : null,
        failed?.message ?? null,
        failed ? now : null,
        run.forkedFrom?.runId ?? null,
        run.forkedFrom?.stepId ?? null,
        run.version ?? null,
      );
    this.store.log.append(ws, run.id, Entry.RunCreated, null, now, {
      workflow: run.workflow,
      parentRunId: run.parentRunId ?? null,
      runAt,
      ...(run.forkedFrom ? { forkedFrom: run.forkedFrom } : {}),
    });
    if (failed)
      this.store.log.append(ws, run.id, Entry.RunEnded, null, now, {
        status: "failed",
        reason: failed.message,
      });
    return { run: toRunSummary(this.row(ws, run.id)!), created: true, cancelled };
  }

  get(workspace: string, runId: string): RunRecord | undefined {
    const row = this.row(workspace, runId);
    if (row === undefined) return undefined;
    const summary = toRunSummary(row);
    return {
      ...summary,
      input: this.store.payloads.get(workspace, row.input_json, row.input_blob, `run ${runId} input`),
      output: this.store.payloads.get(workspace, row.output_json, row.output_blob, `run ${runId} output`),
    };
  }

  summary(workspace: string, runId: string): RunSummary | undefined {
    const row = this.row(workspace, runId);
    return row === undefined ? undefined : toRunSummary(row);
  }

  list(workspace: string, filter: RunFilter): RunSummary[] {
    const where = ["workspace = ?"];
    const args: unknown[] = [workspace];
    if (filter.status !== undefined) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.workflow !== undefined) {
      where.push("workflow = ?");
      args.push(filter.workflow);
    }
    if (filter.parentRunId !== undefined) {
      where.push("parent_run_id = ?");
      args.push(filter.parentRunId);
    }
    if (filter.singletonKey !== undefined) {
      where.push("singleton_key = ?");
      args.push(filter.singletonKey);
    }
    if (filter.active) where.push(`status IN ${ACTIVE_SQL}`);
    if (filter.idempotencyKey !== undefined) {
      where.push("idempotency_key = ?");
      args.push(filter.idempotencyKey);
    }
    if (filter.createdAfter !== undefined) {
      where.push("created_at >= ?");
      args.push(filter.createdAfter);
    }
    if (filter.createdBefore !== undefined) {
      where.push("created_at < ?");
      args.push(filter.createdBefore);
    }
    if (filter.ended) where.push(`status NOT IN ${ACTIVE_SQL}`);
    if (filter.endedBefore !== undefined) {
      where.push("ended_at < ?");
      args.push(filter.endedBefore);
    }
    if (filter.after !== undefined) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      args.push(filter.after.createdAt, filter.after.createdAt, filter.after.id);
    }
    args.push(filter.limit ?? 100);
    const rows = this.store
      .sql(`SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...args) as RunRow[];
    return rows.map(toListedRun);
  }

  // ── run transitions ───────────────────────────────────────────────────────────────────────

  suspend(lease: Lease): void {
    const now = this.store.clock.now();
    this.fence(lease);
    const ws = lease.workspace;
    const id = lease.runId;
    const ready = this.store
      .sql(
        "SELECT COUNT(*) AS n FROM waits WHERE workspace = ? AND run_id = ? AND resolved_at IS NOT NULL AND settled = 0",
      )
      .get(ws, id) as { n: number };
    const next = this.store
      .sql(
        `SELECT MIN(t) AS t FROM (
         SELECT due_at AS t FROM waits WHERE workspace = ? AND run_id = ? AND resolved_at IS NULL AND due_at IS NOT NULL
         UNION ALL SELECT retry_at AS t FROM steps WHERE workspace = ? AND run_id = ? AND status = 'retrying')`,
      )
      .get(ws, id, ws, id) as { t: number | null };
    const blocker = this.store
      .sql(
        `SELECT kind, event_name, child_run_id, due_at, step_id, approval_id FROM waits
       WHERE workspace = ? AND run_id = ? AND resolved_at IS NULL ORDER BY due_at IS NULL, due_at LIMIT 1`,
      )
      .get(ws, id) as WaitRow | undefined;
    const wakeAt = ready.n > 0 ? now : next.t;
    const reason = describeBlocker(blocker, next.t);
    this.store
      .sql(
        `UPDATE runs SET status = 'waiting', wake_at = ?, lease_owner = NULL, lease_expires_at = NULL, reason = ?, updated_at = ?,
         hand_backs = 0 WHERE workspace = ? AND id = ?`,
      )
      .run(wakeAt, reason, now, ws, id);
    this.recount(ws, id);
    this.store.log.append(ws, id, Entry.RunWaiting, null, now, { wakeAt, reason });
  }

  complete(lease: Lease, output: EncodedPayload): void {
    const now = this.store.clock.now();
    this.fence(lease);
    const [json, blob] = this.store.payloads.put(lease.workspace, output, now);
    this.end(lease.workspace, lease.runId, "completed", now, json, blob, null, null);
    this.recount(lease.workspace, lease.runId, output.bytes);
  }

  fail(lease: Lease, error: SerializedError): void {
    const now = this.store.clock.now();
    this.fence(lease);
    this.end(lease.workspace, lease.runId, "failed", now, null, null, JSON.stringify(error), error.message);
  }

  cancel(lease: Lease, reason: string): void {
    const now = this.store.clock.now();
    this.fence(lease);
    this.requestCancel(lease.workspace, lease.runId, reason, now);
  }

  /** Ends a run, releases its lease, and tells a waiting parent. */
  private end(
    ws: string,
    runId: string,
    status: "completed" | "failed" | "cancelled",
    now: number,
    outputJson: string | null,
    outputBlob: string | null,
    errorJson: string | null,
    reason: string | null,
  ): void {
    this.store
      .sql(
        `UPDATE runs SET status = ?, output_json = ?, output_blob = ?, error_json = ?, reason = ?, ended_at = ?, updated_at = ?,
         wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL
       WHERE workspace = ? AND id = ?`,
      )
      .run(status, outputJson, outputBlob, errorJson, reason, now, now, ws, runId);
    if (status !== "completed") this.recount(ws, runId);
    this.approvals.cancelForRun(ws, runId, now);
    this.store
      .sql(
        "UPDATE waits SET resolved_at = ?, settled = 1 WHERE workspace = ? AND run_id = ? AND resolved_at IS NULL",
      )
      .run(now, ws, runId);
    this.store.log.append(ws, runId, Entry.RunEnded, null, now, { status, ...(reason ? { reason } : {}) });
    const parents = this.store
      .sql("SELECT run_id FROM waits WHERE workspace = ? AND child_run_id = ? AND resolved_at IS NULL")
      .all(ws, runId) as { run_id: string }[];
    if (parents.length === 0) return;
    this.store
      .sql(
        "UPDATE waits SET resolved_at = ? WHERE workspace = ? AND child_run_id = ? AND resolved_at IS NULL",
      )
      .run(now, ws, runId);
    for (const p of parents) this.wake(ws, p.run_id, now);
  }

  /** Makes a waiting run runnable now (a wait of it was resolved). */
  wake(ws: string, runId: string, now: number): void {
    const changed = this.store
      .sql(
        "UPDATE runs SET wake_at = ?, updated_at = ? WHERE workspace = ? AND id = ? AND status = 'waiting'",
      )
      .run(now, now, ws, runId);
    if (changed.changes > 0) this.store.log.append(ws, runId, Entry.RunResumed, null, now, {});
  }

  requestCancel(ws: string, runId: string, reason: string, now: number): RunStatus {
    const row = this.row(ws, runId);
    if (row === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${ws}`);
    const status = row.status as RunStatus;
    if (status === "completed" || status === "failed" || status === "cancelled") return status;
    const children = this.store
      .sql(`SELECT id FROM runs WHERE workspace = ? AND parent_run_id = ? AND status IN ${ACTIVE_SQL}`)
      .all(ws, runId) as { id: string }[];
    for (const c of children) this.requestCancel(ws, c.id, `parent run ${runId} was cancelled`, now);
    if (
      status === "running" &&
      row.lease_owner !== null &&
      (row.lease_expires_at ?? 0) > now &&
      row.cancel_requested === 0
    ) {
      this.store
        .sql(
          "UPDATE runs SET cancel_requested = 1, updated_at = ?, reason = ? WHERE workspace = ? AND id = ?",
        )
        .run(now, reason, ws, runId);
      this.store.log.append(ws, runId, Entry.RunCancelRequested, null, now, { reason });
      return "running";
    }
    this.end(ws, runId, "cancelled", now, null, null, null, reason);
    return "cancelled";
  }

  retry(lease: Lease, error: SerializedError, runAt: number): void {
    const now = this.store.clock.now();
    this.fence(lease);
    const ws = lease.workspace;
    const failed = this.store
      .sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND status = 'failed'")
      .all(ws, lease.runId) as StepRow[];
    // Failed steps are forgotten so the next attempt runs them afresh; their attempts stay in history.
    this.store
      .sql("DELETE FROM steps WHERE workspace = ? AND run_id = ? AND status = 'failed'")
      .run(ws, lease.runId);
    this.store
      .sql(
        `UPDATE runs SET status = 'queued', attempt = attempt + 1, wake_at = ?, lease_owner = NULL, lease_expires_at = NULL,
         error_json = ?, reason = ?, updated_at = ?, hand_backs = 0 WHERE workspace = ? AND id = ?`,
      )
      .run(runAt, JSON.stringify(error), `retrying after: ${error.message}`, now, ws, lease.runId);
    this.recount(ws, lease.runId);
    this.store.log.append(ws, lease.runId, Entry.RunRetrying, null, now, {
      runAt,
      error: { message: error.message, code: error.code },
      forgotSteps: failed.map((s) => s.step_id),
    });
  }

  markNeedsAttention(lease: Lease, stepId: string, reason: string): void {
    const now = this.store.clock.now();
    this.fence(lease);
    this.store
      .sql(
        `UPDATE runs SET status = 'needs-attention', wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL, reason = ?,
         updated_at = ? WHERE workspace = ? AND id = ?`,
      )
      .run(reason, now, lease.workspace, lease.runId);
    this.recount(lease.workspace, lease.runId);
    this.store.log.append(lease.workspace, lease.runId, Entry.RunNeedsAttention, stepId, now, { reason });
  }

  release(lease: Lease, handBack: HandBack | undefined): void {
    const now = this.store.clock.now();
    this.fence(lease);
    const r = describeRelease(now, handBack);
    this.store
      .sql(
        `UPDATE runs SET status = 'queued', wake_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?,
         hand_backs = ?, reason = ? WHERE workspace = ? AND id = ?`,
      )
      .run(r.wakeAt, now, r.handBacks, r.reason, lease.workspace, lease.runId);
    this.recount(lease.workspace, lease.runId);
    for (const e of r.entries) this.store.log.append(lease.workspace, lease.runId, e.type, null, now, e.data);
  }
}
