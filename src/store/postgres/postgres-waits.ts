import { CorruptPayloadError, ErrorCode, LeaseLostError, NotFoundError } from "../../shared/errors.js";
import { decodePayload } from "../../shared/payload.js";
import { matchJson } from "../event-match.js";
import { Entry } from "../entry-types.js";
import { approvalSettled, childSettled, eventSettled, TIMED_OUT, waitEndedData } from "../wait-outcome.js";
import type { CommitOutcome, NewWait, StepStart, WaitOutcome } from "../journal.js";
import type { Lease, WaitRecord } from "../records.js";
import type { WaitRow } from "../sqlite/rows.js";
import { toWait } from "../sqlite/rows.js";
import type { Sql } from "./database.js";
import { log } from "./log.js";
import { payloadText, putPayload } from "./payloads.js";
import type { PgApprovals } from "./postgres-approvals.js";
import type { PgEvents } from "./postgres-events.js";
import type { RunWithPayloads, PgRuns } from "./postgres-runs.js";
import { RUN_WITH_PAYLOADS } from "./postgres-runs.js";
import type { PgSteps } from "./postgres-steps.js";
import { fence } from "./run-locks.js";
import type { Tx } from "./transactions.js";

/**
 * Waits on the PostgreSQL journal (a timer, an event, a child run, an approval): registering
 * one as its step and settling it, which records what it waited for as the step's result. The
 * journal delegates to this inside its transactions.
 */
export class PgWaits {
  constructor(
    private readonly runs: PgRuns,
    private readonly steps: PgSteps,
    private readonly events: PgEvents,
    private readonly approvals: PgApprovals,
  ) {}

  async register(t: Tx, lease: Lease, wait: NewWait): Promise<CommitOutcome> {
    const { sql, now } = t;
    const match = matchJson(wait.match, `run ${lease.runId} step "${wait.stepId}"`);
    const outcome = await fence(t, lease);
    let childRunId: string | null = null;
    let resolvedAt: number | null = null;
    if (wait.child) {
      const created = await this.runs.insert(t, wait.child);
      childRunId = created.run.id;
      if (["completed", "failed", "cancelled"].includes(created.run.status)) resolvedAt = now;
    }
    if (wait.approval)
      await this.approvals.create(
        sql,
        lease.workspace,
        lease.runId,
        wait.stepId,
        wait.approval,
        wait.dueAt ?? null,
        now,
      );
    await sql.run(
      `INSERT INTO waits (workspace, run_id, step_id, kind, event_name, match_json, child_run_id, due_at, resolved_at,
           approval_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (workspace, run_id, step_id) DO NOTHING`,
      [
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
      ],
    );
    if (wait.notify) await this.events.send(t, lease.workspace, wait.notify.event, wait.notify.triggers);
    const step: StepStart = {
      stepId: wait.stepId,
      seq: wait.seq,
      kind: wait.kind === "child" ? "invoke" : wait.kind,
      attempt: 1,
      startedAt: wait.startedAt,
      sideEffect: false,
    };
    await this.steps.upsert(sql, lease, step, "waiting", null, null, 0, null, null, null);
    await log(sql, lease.workspace, lease.runId, Entry.StepWaiting, wait.stepId, now, {
      kind: wait.kind,
      ...(wait.eventName ? { event: wait.eventName } : {}),
      ...(wait.dueAt ? { dueAt: wait.dueAt } : {}),
      ...(childRunId ? { childRunId } : {}),
    });
    return outcome;
  }

  async get(sql: Sql, workspace: string, runId: string, stepId: string): Promise<WaitRecord | undefined> {
    const row = await this.row(sql, workspace, runId, stepId);
    return row ? toWait(row) : undefined;
  }

  private row(sql: Sql, workspace: string, runId: string, stepId: string): Promise<WaitRow | undefined> {
    return sql.one<WaitRow>("SELECT * FROM waits WHERE workspace = $1 AND run_id = $2 AND step_id = $3", [
      workspace,
      runId,
      stepId,
    ]);
  }

  async settle(t: Tx, lease: Lease, runId: string, stepId: string): Promise<WaitOutcome> {
    const { sql, now } = t;
    if (runId !== lease.runId) {
      throw new LeaseLostError(
        `the lease on run ${lease.runId} does not cover run ${runId}; it cannot settle its waits`,
      );
    }
    await fence(t, lease);
    const ws = lease.workspace;
    const wait = await this.row(sql, ws, runId, stepId);
    if (wait === undefined)
      throw new NotFoundError(ErrorCode.StepNotFound, `run ${runId}: no wait for step "${stepId}"`);
    let outcome: WaitOutcome;
    let text: string;
    if (wait.approval_id !== null) {
      let approval = await this.approvals.get(sql, ws, wait.approval_id);
      if (approval?.status === "pending" && wait.due_at !== null && wait.due_at <= now) {
        approval = await this.approvals.expire(sql, ws, wait.approval_id, now);
      }
      if (approval === undefined || approval.status === "pending") return { status: "pending" };
      ({ outcome, text } = approvalSettled(approval));
    } else if (wait.resolved_at !== null && wait.event_id !== null) {
      const event = await this.events.record(sql, ws, wait.event_id);
      ({ outcome, text } = eventSettled(event));
    } else if (wait.resolved_at !== null && wait.child_run_id !== null) {
      const child = await sql.one<RunWithPayloads>(
        `${RUN_WITH_PAYLOADS} WHERE r.workspace = $1 AND r.id = $2`,
        [ws, wait.child_run_id],
      );
      if (child === undefined)
        throw new CorruptPayloadError(
          `run ${runId} step "${stepId}": child run ${wait.child_run_id} is missing`,
        );
      const label = `run ${child.id} output`;
      const output = decodePayload(
        payloadText(child.output_json, child.output_blob, child.output_data, label),
        label,
      );
      ({ outcome, text } = childSettled(child, output));
    } else if (wait.due_at !== null && wait.due_at <= now) {
      ({ outcome, text } = TIMED_OUT);
    } else {
      return { status: "pending" };
    }
    await sql.run(
      "UPDATE waits SET settled = 1, resolved_at = COALESCE(resolved_at, $1) WHERE workspace = $2 AND run_id = $3 AND step_id = $4",
      [now, ws, runId, stepId],
    );
    const step = (await this.steps.row(sql, ws, runId, stepId))!;
    const bytes = Buffer.byteLength(text);
    const [json, blob] = await putPayload(t, ws, { text, bytes });
    await sql.run(
      `UPDATE steps SET status = 'completed', output_json = $1, output_blob = $2, output_bytes = $3, ended_at = $4
         WHERE workspace = $5 AND run_id = $6 AND step_id = $7`,
      [json, blob, bytes, now, ws, runId, stepId],
    );
    await log(sql, ws, runId, Entry.StepEnded, stepId, now, waitEndedData(step, now, outcome));
    return outcome;
  }
}
