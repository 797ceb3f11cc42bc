import type { Statement, Transaction } from "better-sqlite3";
import { describeBlocker } from "../describe-wait.js";
import { createHash } from "node:crypto";
import type { Clock } from "../../shared/clock.js";
import { systemClock } from "../../shared/clock.js";
import { CorruptPayloadError, ErrorCode, LeaseLostError, NotFoundError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import type { EncodedPayload } from "../../shared/payload.js";
import { decodePayload } from "../../shared/payload.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import { Entry } from "../entry-types.js";
import { eventMatches } from "../event-match.js";
import type {
  ApprovalDecision,
  AttentionAction,
  ClaimRequest,
  CommitOutcome,
  Journal,
  NewEvent,
  NewWait,
  RunFilter,
  SendEventResult,
  StepCommit,
  StepRetry,
  StepStart,
  WaitOutcome,
} from "../journal.js";
import type {
  ApprovalRecord,
  ApprovalStatus,
  AttemptRecord,
  CreateRunResult,
  EventRecord,
  JournalEntry,
  Lease,
  MemoryRecord,
  MemoryScope,
  NewRun,
  SessionMessage,
  RunRecord,
  RunStatus,
  RunSummary,
  StepRecord,
  WaitRecord,
} from "../records.js";
import type { SqliteDatabase, SqliteOptions } from "./database.js";
import { openSqlite } from "./database.js";
import { SqliteApprovals } from "./sqlite-approvals.js";
import { SqliteSessions } from "./sqlite-sessions.js";
import type { AttemptRow, EntryRow, RunRow, StepRow, WaitRow } from "./rows.js";
import {
  PAYLOAD_FORMAT,
  parseJsonColumn,
  stepKind,
  stepStatus,
  toAttempt,
  toEntry,
  toListedRun,
  toRunSummary,
  toWait,
} from "./rows.js";

/** Payloads up to this size live in their row; larger ones go to content-addressed blobs. */
const INLINE_LIMIT = 64 * 1024;

export interface SqliteJournalOptions extends SqliteOptions {
  clock?: Clock;
}

const ACTIVE = "('queued', 'running', 'waiting', 'needs-attention')";

/**
 * The embedded journal on one SQLite file (WAL). Several processes may share the file; each
 * method is one IMMEDIATE transaction, so writers are serialised by SQLite itself.
 */
export class SqliteJournal implements Journal {
  readonly dialect = "sqlite" as const;
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;
  private readonly statements = new Map<string, Statement>();
  /** One transaction wrapper for every write: better-sqlite3 builds it once, not per call. */
  private readonly transaction: Transaction<(fn: () => unknown) => unknown>;
  private readonly sessions: SqliteSessions;
  private readonly approvals: SqliteApprovals;
  private readonly batch: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: Error) => void }[] =
    [];

  constructor(options: SqliteJournalOptions) {
    this.db = openSqlite(options);
    this.clock = options.clock ?? systemClock;
    this.transaction = this.db.transaction((fn: () => unknown) => fn());
    this.approvals = new SqliteApprovals({
      sql: (text) => this.sql(text),
      log: (ws, runId, type, stepId, at, data) => this.log(ws, runId, type, stepId, at, data),
      resolveWait: (ws, runId, stepId, at) => {
        this.sql(
          "UPDATE waits SET resolved_at = ? WHERE workspace = ? AND run_id = ? AND step_id = ? AND resolved_at IS NULL",
        ).run(at, ws, runId, stepId);
        this.wake(ws, runId, at);
      },
    });
    this.sessions = new SqliteSessions(
      (text) => this.sql(text),
      () => this.clock.now(),
    );
  }

  /** The raw database, for tests and benchmarks that need to reach under the interface. @internal */
  get database(): SqliteDatabase {
    return this.db;
  }

  now(): Promise<number> {
    return Promise.resolve(this.clock.now());
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  private sql(text: string): Statement {
    let s = this.statements.get(text);
    if (s === undefined) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  private tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.transaction.immediate(fn) as T);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Group commit: step commits requested in the same turn of the event loop (concurrent runs)
   * share one transaction and one fsync. Each runs in its own savepoint, so one that fails (a
   * lost lease) is rolled back alone; every caller's promise settles only after the commit.
   */
  private grouped<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.batch.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const items = this.batch.splice(0);
    if (items.length === 1) {
      const [item] = items as [(typeof items)[number]];
      this.tx(item.fn).then(item.resolve, item.reject);
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.transaction.immediate(() => {
        for (const item of items) {
          try {
            outcomes.push({ ok: true, value: this.transaction(item.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (err) {
      for (const item of items) item.reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    items.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error instanceof Error ? o.error : new Error(String(o.error)));
    });
  }

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Appends to a run's log (run id "" for workspace-wide entries such as sent events). */
  private log(
    workspace: string,
    runId: string | null,
    type: string,
    stepId: string | null,
    at: number,
    data: object,
  ): void {
    const run = runId ?? "";
    this.sql(
      `INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
       SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM entries WHERE workspace = ? AND run_id = ?`,
    ).run(workspace, run, type, stepId, at, JSON.stringify(data), workspace, run);
  }

  /** Returns [inline text, blob hash] for a payload, writing the blob when it is large. */
  private putPayload(
    workspace: string,
    payload: EncodedPayload,
    now: number,
  ): [string | null, string | null] {
    if (payload.text === undefined) return [null, null];
    if (payload.bytes <= INLINE_LIMIT) return [payload.text, null];
    const hash = createHash("sha256").update(payload.text).digest("hex");
    this.sql(
      "INSERT OR IGNORE INTO blobs (workspace, hash, size, data, created_at) VALUES (?, ?, ?, ?, ?)",
    ).run(workspace, hash, payload.bytes, Buffer.from(payload.text), now);
    return [null, hash];
  }

  private payloadText(
    workspace: string,
    inline: string | null,
    blob: string | null,
    label: string,
  ): string | null {
    if (blob === null) return inline;
    const row = this.sql("SELECT data FROM blobs WHERE workspace = ? AND hash = ?").get(workspace, blob) as
      { data: Buffer } | undefined;
    if (row === undefined)
      throw new CorruptPayloadError(`${label}: its stored blob ${blob.slice(0, 12)}… is missing`);
    return row.data.toString("utf8");
  }

  private getPayload(workspace: string, inline: string | null, blob: string | null, label: string): unknown {
    return decodePayload(this.payloadText(workspace, inline, blob, label), label);
  }

  private runRow(workspace: string, runId: string): RunRow | undefined {
    return this.sql("SELECT * FROM runs WHERE workspace = ? AND id = ?").get(workspace, runId) as
      RunRow | undefined;
  }

  /**
   * The fence: a read, in the writing transaction, that the lease is still the run's current one.
   * It writes nothing, so a step commit costs one step row and one log row.
   */
  private fence(lease: Lease): CommitOutcome {
    const row = this.sql(
      `SELECT cancel_requested FROM runs
       WHERE workspace = ? AND id = ? AND lease_epoch = ? AND lease_owner = ? AND status = 'running'`,
    ).get(lease.workspace, lease.runId, lease.epoch, lease.owner) as { cancel_requested: number } | undefined;
    if (row === undefined) {
      throw new LeaseLostError(
        `run ${lease.runId}: lease epoch ${lease.epoch} held by ${lease.owner} is no longer current; another worker owns the run`,
      );
    }
    return { cancelRequested: row.cancel_requested === 1 };
  }

  /** Recounts the payload bytes a run has stored; done at each transition, not each step. */
  private recount(ws: string, runId: string, outputBytes = 0): void {
    this.sql(
      `UPDATE runs SET stored_bytes = input_bytes + ?
         + (SELECT COALESCE(SUM(output_bytes), 0) FROM steps WHERE workspace = ? AND run_id = ?)
       WHERE workspace = ? AND id = ?`,
    ).run(outputBytes, ws, runId, ws, runId);
  }

  // ── runs ──────────────────────────────────────────────────────────────────────────────────

  createRun(run: NewRun): Promise<CreateRunResult> {
    return this.tx(() => this.insertRun(run, this.clock.now()));
  }

  /** Workspaces come into being on first use, in the transaction that first writes to one. */
  private ensureWorkspace(ws: string, now: number): void {
    this.sql("INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?, ?)").run(ws, now);
  }

  private insertRun(run: NewRun, now: number): CreateRunResult {
    const ws = run.workspace;
    this.ensureWorkspace(ws, now);
    // Idempotent by id too: a retried call (e.g. registerWait whose reply was lost) returns the run.
    const same = this.runRow(ws, run.id);
    if (same !== undefined) return { run: toRunSummary(same), created: false, cancelled: [] };
    if (run.idempotencyKey !== undefined) {
      const existing = this.sql(
        "SELECT * FROM runs WHERE workspace = ? AND workflow = ? AND idempotency_key = ?",
      ).get(ws, run.workflow, run.idempotencyKey) as RunRow | undefined;
      if (existing) return { run: toRunSummary(existing), created: false, cancelled: [] };
    }
    const cancelled: string[] = [];
    if (run.singleton !== undefined) {
      const active = this.sql(
        `SELECT * FROM runs WHERE workspace = ? AND workflow = ? AND singleton_key = ? AND status IN ${ACTIVE} ORDER BY created_at`,
      ).all(ws, run.workflow, run.singleton.key) as RunRow[];
      if (active.length > 0 && run.singleton.mode === "skip") {
        return { run: toRunSummary(active[0]!), created: false, cancelled: [] };
      }
      for (const other of active) {
        this.cancelInTx(ws, other.id, `replaced by run ${run.id} (singleton key ${run.singleton.key})`, now);
        cancelled.push(other.id);
      }
    }
    const [inputJson, inputBlob] = this.putPayload(ws, run.input, now);
    const runAt = run.runAt ?? now;
    this.sql(
      `INSERT INTO runs (workspace, id, workflow, status, input_json, input_blob, parent_run_id, parent_step_id,
         idempotency_key, concurrency_key, concurrency_limit, singleton_key, created_at, updated_at, wake_at, stored_bytes,
         input_bytes)
       VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
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
      now,
      now,
      runAt,
      run.input.bytes,
      run.input.bytes,
    );
    this.log(ws, run.id, Entry.RunCreated, null, now, {
      workflow: run.workflow,
      parentRunId: run.parentRunId ?? null,
      runAt,
    });
    return { run: toRunSummary(this.runRow(ws, run.id)!), created: true, cancelled };
  }

  getRun(workspace: string, runId: string): Promise<RunRecord | undefined> {
    return this.read(() => {
      const row = this.runRow(workspace, runId);
      if (row === undefined) return undefined;
      const summary = toRunSummary(row);
      return {
        ...summary,
        input: this.getPayload(workspace, row.input_json, row.input_blob, `run ${runId} input`),
        output: this.getPayload(workspace, row.output_json, row.output_blob, `run ${runId} output`),
      };
    });
  }

  getRunSummary(workspace: string, runId: string): Promise<RunSummary | undefined> {
    return this.read(() => {
      const row = this.runRow(workspace, runId);
      return row === undefined ? undefined : toRunSummary(row);
    });
  }

  listRuns(workspace: string, filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.read(() => {
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
      if (filter.active) where.push(`status IN ${ACTIVE}`);
      args.push(filter.limit ?? 100);
      const rows = this.sql(
        `SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`,
      ).all(...args) as RunRow[];
      return rows.map(toListedRun);
    });
  }

  claimRuns(request: ClaimRequest): Promise<Lease[]> {
    return this.tx(() => this.claimInTx(request, undefined));
  }

  claimRun(request: ClaimRequest, runId: string): Promise<Lease | undefined> {
    return this.tx(() => this.claimInTx({ ...request, limit: 1 }, runId)[0]);
  }

  private claimInTx(req: ClaimRequest, onlyRunId: string | undefined): Lease[] {
    if (req.workflows.length === 0 || req.limit <= 0) return [];
    const now = this.clock.now();
    const wf = req.workflows.map(() => "?").join(", ");
    const dead = req.deadOwners ?? [];
    const only = onlyRunId === undefined ? "" : "AND id = ?";
    const onlyArgs = onlyRunId === undefined ? [] : [onlyRunId];
    const scan = req.limit * 4;
    // Runs whose concurrency key is at its limit are left out of the scan, or they would fill it
    // and hold back runnable runs behind them.
    const free = `AND (concurrency_key IS NULL OR concurrency_limit IS NULL OR concurrency_limit > (
      SELECT COUNT(*) FROM runs AS r WHERE r.workspace = runs.workspace AND r.concurrency_key = runs.concurrency_key
        AND r.status = 'running' AND r.id != runs.id)) AND format <= ${PAYLOAD_FORMAT}`;
    const due = this.sql(
      `SELECT * FROM runs WHERE workspace = ? AND status IN ('queued', 'waiting') AND wake_at <= ?
         AND workflow IN (${wf}) ${only} ${free} ORDER BY wake_at LIMIT ?`,
    ).all(req.workspace, now, ...req.workflows, ...onlyArgs, scan) as RunRow[];
    const deadList = dead.length === 0 ? "" : `OR lease_owner IN (${dead.map(() => "?").join(", ")})`;
    const orphaned = this.sql(
      `SELECT * FROM runs WHERE workspace = ? AND status = 'running' AND (lease_expires_at <= ? ${deadList})
         AND workflow IN (${wf}) ${only} ${free} LIMIT ?`,
    ).all(req.workspace, now, ...dead, ...req.workflows, ...onlyArgs, scan) as RunRow[];

    const leases: Lease[] = [];
    for (const row of [...orphaned, ...due]) {
      if (leases.length >= req.limit) break;
      if (row.concurrency_key !== null && row.concurrency_limit !== null) {
        const running = this.sql(
          "SELECT COUNT(*) AS n FROM runs WHERE workspace = ? AND concurrency_key = ? AND status = 'running' AND id != ?",
        ).get(req.workspace, row.concurrency_key, row.id) as { n: number };
        if (running.n >= row.concurrency_limit) continue;
      }
      const epoch = row.lease_epoch + 1;
      const expiresAt = now + req.ttlMs;
      this.sql(
        `UPDATE runs SET status = 'running', lease_owner = ?, lease_epoch = ?, lease_expires_at = ?, wake_at = NULL,
           started_at = COALESCE(started_at, ?), updated_at = ?, reason = NULL
         WHERE workspace = ? AND id = ?`,
      ).run(req.owner, epoch, expiresAt, now, now, req.workspace, row.id);
      const recovered = row.status === "running";
      this.log(req.workspace, row.id, Entry.RunStarted, null, now, {
        owner: req.owner,
        epoch,
        ...(recovered ? { recoveredFrom: row.lease_owner } : {}),
      });
      leases.push({ workspace: req.workspace, runId: row.id, owner: req.owner, epoch, expiresAt });
    }
    return leases;
  }

  listLeaseOwners(workspace: string, prefix: string): Promise<string[]> {
    return this.read(() => {
      const rows = this.sql(
        "SELECT DISTINCT lease_owner FROM runs WHERE workspace = ? AND status = 'running' AND substr(lease_owner, 1, ?) = ?",
      ).all(workspace, prefix.length, prefix) as { lease_owner: string }[];
      return rows.map((r) => r.lease_owner);
    });
  }

  renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      const expiresAt = now + ttlMs;
      this.sql("UPDATE runs SET lease_expires_at = ? WHERE workspace = ? AND id = ?").run(
        expiresAt,
        lease.workspace,
        lease.runId,
      );
      return { ...lease, expiresAt };
    });
  }

  // ── steps ─────────────────────────────────────────────────────────────────────────────────

  loadSteps(workspace: string, runId: string): Promise<StepRecord[]> {
    return this.read(() => {
      const rows = this.sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? ORDER BY seq").all(
        workspace,
        runId,
      ) as StepRow[];
      return rows.map((row) => {
        const label = `run ${runId} step "${row.step_id}"`;
        return {
          runId,
          stepId: row.step_id,
          seq: row.seq,
          kind: stepKind(row.kind),
          status: stepStatus(row.status),
          attempt: row.attempt,
          output: this.getPayload(workspace, row.output_json, row.output_blob, `${label} output`),
          error: parseJsonColumn<SerializedError>(row.error_json, `${label} error`),
          startedAt: row.started_at,
          endedAt: row.ended_at,
          retryAt: row.retry_at,
          sideEffect: row.side_effect === 1,
          outputBytes: row.output_bytes,
        };
      });
    });
  }

  loadAttempts(workspace: string, runId: string): Promise<AttemptRecord[]> {
    return this.read(() =>
      (
        this.sql(
          "SELECT * FROM step_attempts WHERE workspace = ? AND run_id = ? ORDER BY started_at, attempt",
        ).all(workspace, runId) as AttemptRow[]
      ).map(toAttempt),
    );
  }

  recordIntent(lease: Lease, step: StepStart): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      const prior = this.sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?").get(
        lease.workspace,
        lease.runId,
        step.stepId,
      ) as StepRow | undefined;
      if (prior?.status === "started" && prior.attempt < step.attempt) {
        // The earlier attempt recorded its intent and never reported back: its process died.
        const crashed: StepStart = { ...step, attempt: prior.attempt, startedAt: prior.started_at };
        this.insertAttempt(lease, crashed, now, null, "crashed");
      }
      this.upsertStep(lease, step, "started", null, null, 0, null, null, null);
      this.log(lease.workspace, lease.runId, Entry.StepStarted, step.stepId, now, {
        kind: step.kind,
        attempt: step.attempt,
        sideEffect: true,
      });
    });
  }

  private upsertStep(
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
    this.sql(
      `INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob, output_bytes,
         error_json, started_at, ended_at, retry_at, side_effect)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (workspace, run_id, step_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
         output_json = excluded.output_json, output_blob = excluded.output_blob, output_bytes = excluded.output_bytes,
         error_json = excluded.error_json, ended_at = excluded.ended_at, retry_at = excluded.retry_at`,
    ).run(
      lease.workspace,
      lease.runId,
      step.stepId,
      step.seq,
      step.kind,
      status,
      step.attempt,
      outputJson,
      outputBlob,
      outputBytes,
      errorJson,
      step.startedAt,
      endedAt,
      retryAt,
      step.sideEffect ? 1 : 0,
    );
  }

  commitStep(lease: Lease, commit: StepCommit): Promise<CommitOutcome> {
    return this.grouped(() => {
      const now = this.clock.now();
      const bytes = commit.output?.bytes ?? 0;
      const outcome = this.fence(lease);
      const [json, blob] = commit.output
        ? this.putPayload(lease.workspace, commit.output, now)
        : [null, null];
      const errorJson = commit.error ? JSON.stringify(commit.error) : null;
      this.upsertStep(lease, commit, commit.status, json, blob, bytes, errorJson, commit.endedAt, null);
      if (commit.status === "failed") this.insertAttempt(lease, commit, commit.endedAt, errorJson, "failed");
      this.log(lease.workspace, lease.runId, Entry.StepEnded, commit.stepId, now, {
        kind: commit.kind,
        status: commit.status,
        attempt: commit.attempt,
        durationMs: commit.endedAt - commit.startedAt,
        outputBytes: bytes,
        ...(commit.error ? { error: { message: commit.error.message, code: commit.error.code } } : {}),
      });
      if (commit.event) this.sendEventInTx(lease.workspace, commit.event.event, commit.event.triggers, now);
      for (const child of commit.startRuns ?? []) this.insertRun(child, now);
      if (commit.storageWarning) {
        this.log(
          lease.workspace,
          lease.runId,
          Entry.RunStorageWarning,
          commit.stepId,
          now,
          commit.storageWarning,
        );
      }
      return outcome;
    });
  }

  private insertAttempt(
    lease: Lease,
    step: StepStart,
    endedAt: number,
    errorJson: string | null,
    outcome: string,
  ): void {
    this.sql(
      `INSERT OR REPLACE INTO step_attempts (workspace, run_id, step_id, attempt, started_at, ended_at, error_json, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
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

  recordRetry(lease: Lease, retry: StepRetry): Promise<CommitOutcome> {
    return this.tx(() => {
      const now = this.clock.now();
      const outcome = this.fence(lease);
      const errorJson = JSON.stringify(retry.error);
      this.insertAttempt(lease, retry, retry.endedAt, errorJson, "failed");
      this.upsertStep(lease, retry, "retrying", null, null, 0, errorJson, null, retry.retryAt);
      this.log(lease.workspace, lease.runId, Entry.StepRetrying, retry.stepId, now, {
        attempt: retry.attempt,
        retryAt: retry.retryAt,
        error: { message: retry.error.message, code: retry.error.code },
      });
      return outcome;
    });
  }

  registerWait(lease: Lease, wait: NewWait): Promise<CommitOutcome> {
    return this.tx(() => {
      const now = this.clock.now();
      const outcome = this.fence(lease);
      let childRunId: string | null = null;
      let resolvedAt: number | null = null;
      if (wait.child) {
        const created = this.insertRun(wait.child, now);
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
      this.sql(
        `INSERT OR IGNORE INTO waits (workspace, run_id, step_id, kind, event_name, match_json, child_run_id, due_at, resolved_at,
           approval_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        lease.workspace,
        lease.runId,
        wait.stepId,
        wait.kind,
        wait.eventName ?? null,
        wait.match ? JSON.stringify(wait.match) : null,
        childRunId,
        wait.dueAt ?? null,
        resolvedAt,
        wait.approval?.id ?? null,
      );
      if (wait.notify) this.sendEventInTx(lease.workspace, wait.notify.event, wait.notify.triggers, now);
      const step: StepStart = {
        stepId: wait.stepId,
        seq: wait.seq,
        kind: wait.kind === "child" ? "invoke" : wait.kind,
        attempt: 1,
        startedAt: wait.startedAt,
        sideEffect: false,
      };
      this.upsertStep(lease, step, "waiting", null, null, 0, null, null, null);
      this.log(lease.workspace, lease.runId, Entry.StepWaiting, wait.stepId, now, {
        kind: wait.kind,
        ...(wait.eventName ? { event: wait.eventName } : {}),
        ...(wait.dueAt ? { dueAt: wait.dueAt } : {}),
        ...(childRunId ? { childRunId } : {}),
      });
      return outcome;
    });
  }

  getWait(workspace: string, runId: string, stepId: string): Promise<WaitRecord | undefined> {
    return this.read(() => {
      const row = this.waitRow(workspace, runId, stepId);
      return row ? toWait(row) : undefined;
    });
  }

  private waitRow(workspace: string, runId: string, stepId: string): WaitRow | undefined {
    return this.sql("SELECT * FROM waits WHERE workspace = ? AND run_id = ? AND step_id = ?").get(
      workspace,
      runId,
      stepId,
    ) as WaitRow | undefined;
  }

  settleWait(lease: Lease, runId: string, stepId: string): Promise<WaitOutcome> {
    return this.tx(() => {
      const now = this.clock.now();
      if (runId !== lease.runId) {
        throw new LeaseLostError(
          `the lease on run ${lease.runId} does not cover run ${runId}; it cannot settle its waits`,
        );
      }
      this.fence(lease);
      const ws = lease.workspace;
      const wait = this.waitRow(ws, runId, stepId);
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
        outcome = { status: "approval", approval };
        text = JSON.stringify(approval);
      } else if (wait.resolved_at !== null && wait.event_id !== null) {
        const event = this.eventRecord(ws, wait.event_id);
        outcome = { status: "event", event };
        text = JSON.stringify({ id: event.id, name: event.name, data: event.data, at: event.at });
      } else if (wait.resolved_at !== null && wait.child_run_id !== null) {
        const child = this.runRow(ws, wait.child_run_id);
        if (child === undefined)
          throw new CorruptPayloadError(
            `run ${runId} step "${stepId}": child run ${wait.child_run_id} is missing`,
          );
        const output = this.getPayload(ws, child.output_json, child.output_blob, `run ${child.id} output`);
        const error = parseJsonColumn<SerializedError>(child.error_json, `run ${child.id} error`);
        outcome = {
          status: "child",
          childRunId: child.id,
          childStatus: child.status as RunStatus,
          output,
          error,
        };
        text = JSON.stringify({ childRunId: child.id, status: child.status, output, error });
      } else if (wait.due_at !== null && wait.due_at <= now) {
        outcome = { status: "timeout" };
        text = "null";
      } else {
        return { status: "pending" };
      }
      this.sql(
        "UPDATE waits SET settled = 1, resolved_at = COALESCE(resolved_at, ?) WHERE workspace = ? AND run_id = ? AND step_id = ?",
      ).run(now, ws, runId, stepId);
      const step = this.sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?").get(
        ws,
        runId,
        stepId,
      ) as StepRow;
      const bytes = Buffer.byteLength(text);
      const [json, blob] = this.putPayload(ws, { text, bytes }, now);
      this.sql(
        `UPDATE steps SET status = 'completed', output_json = ?, output_blob = ?, output_bytes = ?, ended_at = ?
         WHERE workspace = ? AND run_id = ? AND step_id = ?`,
      ).run(json, blob, bytes, now, ws, runId, stepId);
      this.log(ws, runId, Entry.StepEnded, stepId, now, {
        kind: step.kind,
        status: "completed",
        attempt: step.attempt,
        durationMs: now - step.started_at,
        outcome: outcome.status,
      });
      return outcome;
    });
  }

  private eventRecord(workspace: string, eventId: string): EventRecord {
    const row = this.sql("SELECT * FROM events WHERE workspace = ? AND id = ?").get(workspace, eventId) as
      | { id: string; name: string; data_json: string | null; data_blob: string | null; at: number }
      | undefined;
    if (row === undefined) throw new CorruptPayloadError(`event ${eventId} is missing`);
    return {
      id: row.id,
      workspace,
      name: row.name,
      data: this.getPayload(workspace, row.data_json, row.data_blob, `event ${eventId} data`),
      at: row.at,
    };
  }

  // ── run transitions ───────────────────────────────────────────────────────────────────────

  suspendRun(lease: Lease): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      const ws = lease.workspace;
      const id = lease.runId;
      const ready = this.sql(
        "SELECT COUNT(*) AS n FROM waits WHERE workspace = ? AND run_id = ? AND resolved_at IS NOT NULL AND settled = 0",
      ).get(ws, id) as { n: number };
      const next = this.sql(
        `SELECT MIN(t) AS t FROM (
           SELECT due_at AS t FROM waits WHERE workspace = ? AND run_id = ? AND resolved_at IS NULL AND due_at IS NOT NULL
           UNION ALL SELECT retry_at AS t FROM steps WHERE workspace = ? AND run_id = ? AND status = 'retrying')`,
      ).get(ws, id, ws, id) as { t: number | null };
      const blocker = this.sql(
        `SELECT kind, event_name, child_run_id, due_at, step_id, approval_id FROM waits
         WHERE workspace = ? AND run_id = ? AND resolved_at IS NULL ORDER BY due_at IS NULL, due_at LIMIT 1`,
      ).get(ws, id) as WaitRow | undefined;
      const wakeAt = ready.n > 0 ? now : next.t;
      const reason = describeBlocker(blocker, next.t);
      this.sql(
        `UPDATE runs SET status = 'waiting', wake_at = ?, lease_owner = NULL, lease_expires_at = NULL, reason = ?, updated_at = ?
         WHERE workspace = ? AND id = ?`,
      ).run(wakeAt, reason, now, ws, id);
      this.recount(ws, id);
      this.log(ws, id, Entry.RunWaiting, null, now, { wakeAt, reason });
    });
  }

  completeRun(lease: Lease, output: EncodedPayload): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      const [json, blob] = this.putPayload(lease.workspace, output, now);
      this.endRun(lease.workspace, lease.runId, "completed", now, json, blob, null, null);
      this.recount(lease.workspace, lease.runId, output.bytes);
    });
  }

  failRun(lease: Lease, error: SerializedError): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      this.endRun(
        lease.workspace,
        lease.runId,
        "failed",
        now,
        null,
        null,
        JSON.stringify(error),
        error.message,
      );
    });
  }

  cancelRun(lease: Lease, reason: string): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      this.cancelInTx(lease.workspace, lease.runId, reason, now);
    });
  }

  /** Ends a run, releases its lease, and tells a waiting parent. */
  private endRun(
    ws: string,
    runId: string,
    status: "completed" | "failed" | "cancelled",
    now: number,
    outputJson: string | null,
    outputBlob: string | null,
    errorJson: string | null,
    reason: string | null,
  ): void {
    this.sql(
      `UPDATE runs SET status = ?, output_json = ?, output_blob = ?, error_json = ?, reason = ?, ended_at = ?, updated_at = ?,
         wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL
       WHERE workspace = ? AND id = ?`,
    ).run(status, outputJson, outputBlob, errorJson, reason, now, now, ws, runId);
    if (status !== "completed") this.recount(ws, runId);
    this.approvals.cancelForRun(ws, runId, now);
    this.sql(
      "UPDATE waits SET resolved_at = ?, settled = 1 WHERE workspace = ? AND run_id = ? AND resolved_at IS NULL",
    ).run(now, ws, runId);
    this.log(ws, runId, Entry.RunEnded, null, now, { status, ...(reason ? { reason } : {}) });
    const parents = this.sql(
      "SELECT run_id FROM waits WHERE workspace = ? AND child_run_id = ? AND resolved_at IS NULL",
    ).all(ws, runId) as { run_id: string }[];
    if (parents.length === 0) return;
    this.sql(
      "UPDATE waits SET resolved_at = ? WHERE workspace = ? AND child_run_id = ? AND resolved_at IS NULL",
    ).run(now, ws, runId);
    for (const p of parents) this.wake(ws, p.run_id, now);
  }

  /** Makes a waiting run runnable now (a wait of it was resolved). */
  private wake(ws: string, runId: string, now: number): void {
    const changed = this.sql(
      "UPDATE runs SET wake_at = ?, updated_at = ? WHERE workspace = ? AND id = ? AND status = 'waiting'",
    ).run(now, now, ws, runId);
    if (changed.changes > 0) this.log(ws, runId, Entry.RunResumed, null, now, {});
  }

  private cancelInTx(ws: string, runId: string, reason: string, now: number): RunStatus {
    const row = this.runRow(ws, runId);
    if (row === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${ws}`);
    const status = row.status as RunStatus;
    if (status === "completed" || status === "failed" || status === "cancelled") return status;
    const children = this.sql(
      `SELECT id FROM runs WHERE workspace = ? AND parent_run_id = ? AND status IN ${ACTIVE}`,
    ).all(ws, runId) as { id: string }[];
    for (const c of children) this.cancelInTx(ws, c.id, `parent run ${runId} was cancelled`, now);
    if (
      status === "running" &&
      row.lease_owner !== null &&
      (row.lease_expires_at ?? 0) > now &&
      row.cancel_requested === 0
    ) {
      this.sql(
        "UPDATE runs SET cancel_requested = 1, updated_at = ?, reason = ? WHERE workspace = ? AND id = ?",
      ).run(now, reason, ws, runId);
      this.log(ws, runId, Entry.RunCancelRequested, null, now, { reason });
      return "running";
    }
    this.endRun(ws, runId, "cancelled", now, null, null, null, reason);
    return "cancelled";
  }

  retryRun(lease: Lease, error: SerializedError, runAt: number): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      const ws = lease.workspace;
      const failed = this.sql(
        "SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND status = 'failed'",
      ).all(ws, lease.runId) as StepRow[];
      // Failed steps are forgotten so the next attempt runs them afresh; their attempts stay in history.
      this.sql("DELETE FROM steps WHERE workspace = ? AND run_id = ? AND status = 'failed'").run(
        ws,
        lease.runId,
      );
      this.sql(
        `UPDATE runs SET status = 'queued', attempt = attempt + 1, wake_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           error_json = ?, reason = ?, updated_at = ? WHERE workspace = ? AND id = ?`,
      ).run(runAt, JSON.stringify(error), `retrying after: ${error.message}`, now, ws, lease.runId);
      this.recount(ws, lease.runId);
      this.log(ws, lease.runId, Entry.RunRetrying, null, now, {
        runAt,
        error: { message: error.message, code: error.code },
        forgotSteps: failed.map((s) => s.step_id),
      });
    });
  }

  markNeedsAttention(lease: Lease, stepId: string, reason: string): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      this.sql(
        `UPDATE runs SET status = 'needs-attention', wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL, reason = ?,
           updated_at = ? WHERE workspace = ? AND id = ?`,
      ).run(reason, now, lease.workspace, lease.runId);
      this.recount(lease.workspace, lease.runId);
      this.log(lease.workspace, lease.runId, Entry.RunNeedsAttention, stepId, now, { reason });
    });
  }

  releaseRun(lease: Lease): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      this.fence(lease);
      this.sql(
        `UPDATE runs SET status = 'queued', wake_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
         WHERE workspace = ? AND id = ?`,
      ).run(now, now, lease.workspace, lease.runId);
      this.recount(lease.workspace, lease.runId);
      this.log(lease.workspace, lease.runId, Entry.RunReleased, null, now, {});
    });
  }

  // ── operator actions ──────────────────────────────────────────────────────────────────────

  requestCancel(workspace: string, runId: string, reason: string): Promise<RunStatus> {
    return this.tx(() => this.cancelInTx(workspace, runId, reason, this.clock.now()));
  }

  resolveAttention(workspace: string, runId: string, stepId: string, action: AttentionAction): Promise<void> {
    return this.tx(() => {
      const now = this.clock.now();
      const run = this.runRow(workspace, runId);
      if (run === undefined)
        throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${workspace}`);
      const step = this.sql("SELECT * FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?").get(
        workspace,
        runId,
        stepId,
      ) as StepRow | undefined;
      if (run.status !== "needs-attention" || step === undefined || step.status !== "started") {
        throw new NotFoundError(
          ErrorCode.StepNotFound,
          `run ${runId} has no step "${stepId}" waiting for a decision (run is ${run.status}); see \`cairn runs show ${runId}\``,
        );
      }
      const lease: Lease = { workspace, runId, owner: "", epoch: run.lease_epoch, expiresAt: 0 };
      const start: StepStart = {
        stepId,
        seq: step.seq,
        kind: stepKind(step.kind),
        attempt: step.attempt,
        startedAt: step.started_at,
        sideEffect: true,
      };
      this.insertAttempt(lease, start, now, null, action.action === "skip" ? "skipped" : "crashed");
      if (action.action === "skip") {
        const [json, blob] = this.putPayload(workspace, action.output, now);
        this.upsertStep(lease, start, "completed", json, blob, action.output.bytes, null, now, null);
        this.log(workspace, runId, Entry.StepEnded, stepId, now, { status: "completed", skipped: true });
      } else {
        // The next attempt runs with the same idempotency key.
        this.upsertStep(
          lease,
          { ...start, attempt: step.attempt },
          "retrying",
          null,
          null,
          0,
          null,
          null,
          now,
        );
        this.log(workspace, runId, Entry.StepRetrying, stepId, now, {
          attempt: step.attempt,
          byOperator: true,
        });
      }
      this.sql(
        "UPDATE runs SET status = 'queued', wake_at = ?, reason = NULL, updated_at = ? WHERE workspace = ? AND id = ?",
      ).run(now, now, workspace, runId);
    });
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  sendEvent(workspace: string, event: NewEvent, triggers: NewRun[]): Promise<SendEventResult> {
    return this.tx(() => this.sendEventInTx(workspace, event, triggers, this.clock.now()));
  }

  private sendEventInTx(ws: string, event: NewEvent, triggers: NewRun[], now: number): SendEventResult {
    const id = event.id ?? newId("evt");
    this.ensureWorkspace(ws, now);
    const [json, blob] = this.putPayload(ws, event.data, now);
    const inserted = this.sql(
      "INSERT OR IGNORE INTO events (workspace, id, name, data_json, data_blob, at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(ws, id, event.name, json, blob, now);
    if (inserted.changes === 0) return { eventId: id, created: false, resumedRuns: [], startedRuns: [] };
    const data = decodePayload(event.data.text, `event ${event.name}`);
    const waits = this.sql(
      `SELECT * FROM waits WHERE workspace = ? AND event_name = ? AND resolved_at IS NULL AND (due_at IS NULL OR due_at > ?)`,
    ).all(ws, event.name, now) as WaitRow[];
    const resumed: string[] = [];
    for (const w of waits) {
      const match = parseJsonColumn<Record<string, unknown>>(
        w.match_json,
        `run ${w.run_id} wait "${w.step_id}"`,
      );
      if (!eventMatches({ id, name: event.name, data }, match)) continue;
      this.sql(
        "UPDATE waits SET resolved_at = ?, event_id = ? WHERE workspace = ? AND run_id = ? AND step_id = ?",
      ).run(now, id, ws, w.run_id, w.step_id);
      this.wake(ws, w.run_id, now);
      resumed.push(w.run_id);
    }
    const started: string[] = [];
    for (const t of triggers) {
      const r = this.insertRun({ ...t, idempotencyKey: t.idempotencyKey ?? `event:${id}` }, now);
      if (r.created) started.push(r.run.id);
    }
    this.log(ws, null, Entry.EventSent, null, now, {
      id,
      name: event.name,
      resumedRuns: resumed,
      startedRuns: started,
    });
    return { eventId: id, created: true, resumedRuns: resumed, startedRuns: started };
  }

  listEvents(workspace: string, filter: { name?: string; limit?: number } = {}): Promise<EventRecord[]> {
    return this.read(() => {
      const rows = (
        filter.name === undefined
          ? this.sql("SELECT id FROM events WHERE workspace = ? ORDER BY at DESC LIMIT ?").all(
              workspace,
              filter.limit ?? 100,
            )
          : this.sql("SELECT id FROM events WHERE workspace = ? AND name = ? ORDER BY at DESC LIMIT ?").all(
              workspace,
              filter.name,
              filter.limit ?? 100,
            )
      ) as { id: string }[];
      return rows.map((r) => this.eventRecord(workspace, r.id));
    });
  }

  // ── approvals ─────────────────────────────────────────────────────────────────────────

  decideApproval(workspace: string, id: string, decision: ApprovalDecision): Promise<ApprovalRecord> {
    return this.tx(() => {
      const now = this.clock.now();
      const approval = this.approvals.decide(workspace, id, decision, now);
      if (decision.notify)
        this.sendEventInTx(workspace, decision.notify.event, decision.notify.triggers, now);
      return approval;
    });
  }

  getApproval(workspace: string, id: string): Promise<ApprovalRecord | undefined> {
    return this.read(() => this.approvals.get(workspace, id));
  }

  listApprovals(
    workspace: string,
    filter: { status?: ApprovalStatus; runId?: string; limit?: number } = {},
  ): Promise<ApprovalRecord[]> {
    return this.read(() => this.approvals.list(workspace, filter));
  }

  // ── agent sessions and memory ─────────────────────────────────────────────────────────

  loadSession(workspace: string, agent: string, session: string): Promise<SessionMessage[]> {
    return this.read(() => this.sessions.load(workspace, agent, session));
  }

  appendSession(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    messages: EncodedPayload[],
  ): Promise<void> {
    return this.tx(() => this.sessions.append(workspace, agent, session, runId, messages));
  }

  pushInbox(workspace: string, agent: string, session: string, message: EncodedPayload): Promise<string> {
    return this.tx(() => this.sessions.pushInbox(workspace, agent, session, message));
  }

  takeInbox(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
  ): Promise<unknown[]> {
    return this.tx(() => this.sessions.takeInbox(workspace, agent, session, runId, stepId));
  }

  saveMemory(workspace: string, scope: MemoryScope, key: string, text: string): Promise<void> {
    return this.tx(() => this.sessions.saveMemory(workspace, scope, key, text));
  }

  recallMemory(workspace: string, scope: MemoryScope, query: string, limit: number): Promise<MemoryRecord[]> {
    return this.read(() => this.sessions.recallMemory(workspace, scope, query, limit));
  }

  forgetMemory(workspace: string, scope: MemoryScope, key: string): Promise<boolean> {
    return this.tx(() => this.sessions.forgetMemory(workspace, scope, key));
  }

  // ── log ───────────────────────────────────────────────────────────────────────────────────

  readEntries(workspace: string, runId: string, afterSeq = 0): Promise<JournalEntry[]> {
    return this.read(() =>
      (
        this.sql("SELECT * FROM entries WHERE workspace = ? AND run_id = ? AND seq > ? ORDER BY seq").all(
          workspace,
          runId,
          afterSeq,
        ) as EntryRow[]
      ).map(toEntry),
    );
  }

  nextWakeAt(workspace: string, workflows: readonly string[]): Promise<number | undefined> {
    return this.read(() => {
      if (workflows.length === 0) return undefined;
      const wf = workflows.map(() => "?").join(", ");
      const row = this.sql(
        `SELECT MIN(t) AS t FROM (
           SELECT MIN(wake_at) AS t FROM runs WHERE workspace = ? AND status IN ('queued', 'waiting') AND workflow IN (${wf})
           UNION ALL SELECT MIN(lease_expires_at) AS t FROM runs WHERE workspace = ? AND status = 'running' AND workflow IN (${wf}))`,
      ).get(workspace, ...workflows, workspace, ...workflows) as { t: number | null };
      return row.t ?? undefined;
    });
  }
}
