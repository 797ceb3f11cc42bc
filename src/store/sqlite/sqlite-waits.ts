import { CorruptPayloadError, ErrorCode, LeaseLostError, NotFoundError } from "../../shared/errors.js";
import { matchJson } from "../event-match.js";
import { Entry } from "../entry-types.js";
import { approvalSettled, childSettled, eventSettled, TIMED_OUT, waitEndedData } from "../wait-outcome.js";
import type { CommitOutcome, NewWait, StepStart, WaitOutcome } from "../journal.js";
import type { Lease, WaitRecord } from "../records.js";
import type { SqliteApprovals } from "./sqlite-approvals.js";
import type { SqliteEvents } from "./sqlite-events.js";
import type { SqliteStore } from "./sqlite-store.js";
import type { SqliteRuns } from "./sqlite-runs.js";
import type { SqliteSteps } from "./sqlite-steps.js";
import type { StepRow, WaitRow } from "./rows.js";
import { toWait } from "./rows.js";

/**
 * Waits on the SQLite journal: a step that waits for an event, a child run, an approval or a
 * time registers one; the run settles it, once, when it has an outcome.
 */
export class SqliteWaits {
  constructor(
    private readonly store: SqliteStore,
    private readonly runs: SqliteRuns,
    private readonly steps: SqliteSteps,
    private readonly events: SqliteEvents,
    private readonly approvals: SqliteApprovals,
  ) {}

  register(lease: Lease, wait: NewWait): CommitOutcome {
    const now = this.store.clock.now();
    const match = matchJson(wait.match, `run ${lease.runId} step "${wait.stepId}"`);
    const outcome = this.runs.fence(lease);
    let childRunId: string | null = null;
    let resolvedAt: number | null = null;
    if (wait.child) {
      const created = this.runs.insert(wait.child, now);
      childRunId = created.run.id;
      if (["completed", "failed", "cancelled"].includes(created.run.status)) resolvedAt = now;
    }
    if (wait.approval)
      this.approvals.create(
        lease.workspace,
        lease.runId,
        wait.stepId,
        wait.approval,
        wait.dueAt ?? null,
        now,
      );
    this.store
      .sql(
        `INSERT OR IGNORE INTO waits (workspace, run_id, step_id, kind, event_name, match_json, child_run_id, due_at, resolved_at,
         approval_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        lease.workspace,
        lease.runId,
        wait.stepId,
        wait.kind,
        wait.eventName ?? null,
        match,
        childRunId,
        wait.dueAt ?? null,
        resolvedAt,
        wait.approval?.id ?? null,
      );
    if (wait.notify) this.events.send(lease.workspace, wait.notify.event, wait.notify.triggers, now);
    const step: StepStart = {
      stepId: wait.stepId,
      seq: wait.seq,
      kind: wait.kind === "child" ? "invoke" : wait.kind,
      attempt: 1,
      startedAt: wait.startedAt,
      sideEffect: false,
    };
    this.steps.upsert(lease, step, "waiting", null, null, 0, null, null, null);
    this.store.log.append(lease.workspace, lease.runId, Entry.StepWaiting, wait.stepId, now, {
      kind: wait.kind,
      ...(wait.eventName ? { event: wait.eventName } : {}),
      ...(wait.dueAt ? { dueAt: wait.dueAt } : {}),
      ...(childRunId ? { childRunId } : {}),
    });
    return outcome;
  }

  get(workspace: string, runId: string, stepId: string): WaitRecord | undefined {
    const row = this.row(workspace, runId, stepId);
    return row ? toWait(row) : undefined;
  }

  private row(workspace: string, runId: string, stepId: string): WaitRow | undefined {
    return this.store
      .sql("SELECT * FROM waits WHERE workspace = ? AND run_id = ? AND step_id = ?")
      .get(workspace, runId, stepId) as WaitRow | undefined;
  }

  /** Marks a wait resolved and makes its run runnable (an approval's, when it is decided). */
  resolve(ws: string, runId: string, stepId: string, at: number): void {
    this.store
      .sql(
        "UPDATE waits SET resolved_at = ? WHERE workspace = ? AND run_id = ? AND step_id = ? AND resolved_at IS NULL",
      )
      .run(at, ws, runId, stepId);
    this.runs.wake(ws, runId, at);
  }

  settle(lease: Lease, runId: string, stepId: string): WaitOutcome {
    const now = this.store.clock.now();
    if (runId !== lease.runId) {
      throw new LeaseLostError(
        `the lease on run ${lease.runId} does not cover run ${runId}; it cannot settle its waits`,
      );
    }
    this.runs.fence(lease);
    const ws = lease.workspace;
    const wait = this.row(ws, runId, stepId);
    if (wait === undefined)
      throw new NotFoundError(ErrorCode.StepNotFound, `run ${runId}: no wait for step "${stepId}"`);
    let outcome: WaitOutcome;
    let text: string;
    if (wait.approval_id !== null) {
      let approval = this.approvals.get(ws, wait.approval_id);
      if (approval?.status === "pending" && wait.due_at !== null && wait.due_at <= now) {
        approval = this.approvals.expire(ws, wait.approval_id, now);
      }
      if (approval === undefined || approval.status === "pending") return { status: "pending" };
      ({ outcome, text } = approvalSettled(approval));
    } else if (wait.resolved_at !== null && wait.event_id !== null) {
      const event = this.events.record(ws, wait.event_id);
      ({ outcome, text } = eventSettled(event));
    } else if (wait.resolved_at !== null && wait.child_run_id !== null) {
      const child = this.runs.row(ws, wait.child_run_id);
      if (child === undefined)
        throw new CorruptPayloadError(
          `run ${runId} step "${stepId}": child run ${wait.child_run_id} is missing`,
        );
      const output = this.store.payloads.get(
        ws,
        child.output_json,
        child.output_blob,
        `run ${child.id} output`,
      );
      ({ outcome, text } = childSettled(child, output));
    } else if (wait.due_at !== null && wait.due_at <= now) {
      ({ outcome, text } = TIMED_OUT);
    } else {
      return { status: "pending" };
    }
    this.store
      .sql(
        "UPDATE waits SET settled = 1, resolved_at = COALESCE(resolved_at, ?) WHERE workspace = ? AND run_id = ? AND step_id = ?",
      )
      .run(now, ws, runId, stepId);
    const step = this.store
      .sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?")
      .get(ws, runId, stepId) as StepRow;
    const bytes = Buffer.byteLength(text);
    const [json, blob] = this.store.payloads.put(ws, { text, bytes }, now);
    this.store
      .sql(
        `UPDATE steps SET status = 'completed', output_json = ?, output_blob = ?, output_bytes = ?, ended_at = ?
       WHERE workspace = ? AND run_id = ? AND step_id = ?`,
      )
      .run(json, blob, bytes, now, ws, runId, stepId);
    this.store.log.append(ws, runId, Entry.StepEnded, stepId, now, waitEndedData(step, now, outcome));
    return outcome;
  }
}
