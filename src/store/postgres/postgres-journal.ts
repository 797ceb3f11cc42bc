import { createHash } from "node:crypto";
import { describeBlocker } from "../describe-wait.js";
import type { Clock } from "../../shared/clock.js";
import {
  CorruptPayloadError,
  ErrorCode,
  LeaseLostError,
  NotFoundError,
  StoreError,
} from "../../shared/errors.js";
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
  RunRecord,
  RunStatus,
  RunSummary,
  SessionMessage,
  StepRecord,
  WaitRecord,
} from "../records.js";
import type { AttemptRow, EntryRow, RunRow, StepRow, WaitRow } from "../sqlite/rows.js";
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
} from "../sqlite/rows.js";
import type { PgClient, PgPool, PostgresPoolOptions } from "./database.js";
import {
  LockSpace,
  Sql,
  Statements,
  createPool,
  isRetryable,
  migrate,
  redactUrl,
  storeError,
} from "./database.js";
import { commitStepAtOnce, commitsAtOnce, stepEndedData } from "./commit-step.js";
import { RunnableListener } from "./listener.js";
import { PgApprovals } from "./postgres-approvals.js";
import { PgSessions } from "./postgres-sessions.js";

/** Payloads up to this size live in their row; larger ones go to content-addressed blobs. */
const INLINE_LIMIT = 64 * 1024;

/** How many times a transaction that lost a deadlock or serialization race runs again. */
const TX_ATTEMPTS = 5;

const ACTIVE = "('queued', 'running', 'waiting', 'needs-attention')";

/** The database clock, in ms since the epoch (the transaction's start, inside one). */
const DB_NOW = "floor(extract(epoch FROM now()) * 1000)::int8";

export interface PostgresJournalOptions extends PostgresPoolOptions {
  /** `postgres://user:password@host:port/database?sslmode=…` */
  url: string;
  /**
   * Where time comes from. By default the database's clock (`now()`), so leases and timers agree
   * across every worker whatever their own clocks say; tests inject a ManualClock.
   */
  clock?: Clock;
}

/** One transaction: its connection and its moment. */
interface Tx {
  sql: Sql;
  now: number;
  /** Runs once the transaction has committed. */
  afterCommit: (() => void)[];
}

type RunWithPayloads = RunRow & { input_data: Buffer | null; output_data: Buffer | null };
type StepWithPayload = StepRow & { output_data: Buffer | null };

const RUN_WITH_PAYLOADS = `SELECT r.*, ib.data AS input_data, ob.data AS output_data FROM runs r
  LEFT JOIN blobs ib ON ib.workspace = r.workspace AND ib.hash = r.input_blob
  LEFT JOIN blobs ob ON ob.workspace = r.workspace AND ob.hash = r.output_blob`;

interface EventRow {
  workspace: string;
  id: string;
  name: string;
  data_json: string | null;
  data_blob: string | null;
  blob_data: Buffer | null;
  at: number;
}

const EVENT_WITH_PAYLOAD = `SELECT e.*, b.data AS blob_data FROM events e
  LEFT JOIN blobs b ON b.workspace = e.workspace AND b.hash = e.data_blob`;

/**
 * The journal on PostgreSQL, for several workers on several hosts. Each method is one
 * transaction (READ COMMITTED) on a pooled connection. The run's row is the unit of locking:
 * every fenced method first locks it (`SELECT … FOR UPDATE`) and checks the lease, and every
 * writer of a run's waits locks it too, so a wait resolved while its run suspends is never
 * missed. Claims take due runs with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait
 * on each other's candidates, and serialise per concurrency key with an advisory lock.
 */
export class PostgresJournal implements Journal {
  readonly dialect = "postgres" as const;
  private readonly statements = new Statements();
  private readonly db: Sql;
  private readonly approvals: PgApprovals;
  private readonly sessions = new PgSessions();
  private readonly workspaces = new Set<string>();
  private closed: Promise<void> | undefined;
  /** The database's clock minus ours, in ms; see now(). */
  private clockOffset: number | undefined;

  private constructor(
    private readonly pool: PgPool,
    private readonly where: string,
    private readonly clock: Clock | undefined,
    private readonly listener: RunnableListener,
  ) {
    this.db = new Sql(pool, this.statements);
    this.approvals = new PgApprovals({
      log: (sql, ws, runId, type, stepId, at, data) => this.log(sql, ws, runId, type, stepId, at, data),
      lockRun: async (sql, ws, runId) => {
        await this.lockRuns(sql, ws, [runId]);
      },
      resolveWait: async (sql, ws, runId, stepId, at) => {
        await sql.run(
          "UPDATE waits SET resolved_at = $1 WHERE workspace = $2 AND run_id = $3 AND step_id = $4 AND resolved_at IS NULL",
          [at, ws, runId, stepId],
        );
        await this.wake(sql, ws, runId, at);
      },
    });
  }

  /** Connects, brings the schema up to date (once, whoever else starts at the same time) and opens. */
  static async open(options: PostgresJournalOptions): Promise<PostgresJournal> {
    const { url, clock, ...poolOptions } = options;
    const where = redactUrl(url);
    const pool = createPool(url, poolOptions);
    try {
      await migrate(pool, where);
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot open the PostgreSQL store at ${where}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const listener = new RunnableListener({
      ...poolOptions,
      connectionString: url,
      application_name: "cairn-listener",
      keepAlive: true,
    });
    return new PostgresJournal(pool, where, clock, listener);
  }

  /** The pool, for tests and benchmarks that need to reach under the interface. @internal */
  get database(): PgPool {
    return this.pool;
  }

  /**
   * The database's time, without a round trip once known: our clock plus the offset last seen
   * between the two (every transaction reads the database's time and refreshes it). Leases and
   * timers are decided in transactions, on the database's own clock; this serves timestamps
   * and the worker's idea of when the next timer is due.
   */
  async now(): Promise<number> {
    if (this.clock) return this.clock.now();
    if (this.clockOffset === undefined) {
      const row = await this.read((sql) => sql.one<{ now: number }>(`SELECT ${DB_NOW} AS now`));
      this.clockOffset = row!.now - Date.now();
    }
    return Date.now() + this.clockOffset;
  }

  close(): Promise<void> {
    this.closed ??= Promise.all([this.listener.close(), this.pool.end()]).then(() => undefined);
    return this.closed;
  }

  /** Through LISTEN on one extra connection; see RunnableListener. */
  watch(workspace: string, onRunnable: () => void): () => void {
    return this.listener.watch(workspace, onRunnable);
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  /**
   * Runs `fn` in one transaction and commits. A transaction that lost a deadlock or a
   * serialization race is rolled back and run again from the start (it re-checks everything,
   * the lease first); any other error rolls it back and is thrown.
   */
  private async tx<T>(fn: (t: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PgClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw storeError(err, this.where);
      }
      let broken: Error | undefined;
      // A connection lost between two statements is reported as an event on the client; without
      // a listener it would crash the process. The failed statement that follows throws.
      const lost = (err: Error) => (broken ??= err);
      client.on("error", lost);
      try {
        const t: Tx = {
          sql: new Sql(client, this.statements),
          now: await this.begin(client),
          afterCommit: [],
        };
        const result = await fn(t);
        await client.query("COMMIT");
        for (const hook of t.afterCommit) hook();
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
        if (broken === undefined && isRetryable(err) && attempt < TX_ATTEMPTS) continue;
        throw storeError(err, this.where);
      } finally {
        client.off("error", lost);
        client.release(broken);
      }
    }
  }

  /** BEGIN, and the transaction's moment: the injected clock's, or the database's in the same round trip. */
  private async begin(client: PgClient): Promise<number> {
    if (this.clock) {
      await client.query("BEGIN");
      return this.clock.now();
    }
    const results = (await client.query(`BEGIN; SELECT ${DB_NOW} AS now`)) as unknown as {
      rows: { now: number }[];
    }[];
    const now = results[1]!.rows[0]!.now;
    this.clockOffset = now - Date.now();
    return now;
  }

  /** Reads outside a transaction, on the pool. */
  private async read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await fn(this.db);
    } catch (err) {
      throw storeError(err, this.where);
    }
  }

  /**
   * Appends to a run's log (run id "" for workspace-wide entries such as sent events). The seq
   * comes from the run's counter row, which this locks until commit.
   */
  private async log(
    sql: Sql,
    workspace: string,
    runId: string | null,
    type: string,
    stepId: string | null,
    at: number,
    data: object,
  ): Promise<void> {
    await sql.run(
      `WITH s AS (
         INSERT INTO entry_seqs (workspace, run_id, seq) VALUES ($1, $2, 1)
         ON CONFLICT (workspace, run_id) DO UPDATE SET seq = entry_seqs.seq + 1
         RETURNING seq)
       INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
       SELECT $1, $2, s.seq, $3::text, $4::text, $5::bigint, $6::text FROM s`,
      [workspace, runId ?? "", type, stepId, at, JSON.stringify(data)],
    );
  }

  /** Returns [inline text, blob hash] for a payload, writing the blob when it is large. */
  private async putPayload(
    t: Tx,
    workspace: string,
    payload: EncodedPayload,
  ): Promise<[string | null, string | null]> {
    if (payload.text === undefined) return [null, null];
    if (payload.bytes <= INLINE_LIMIT) return [payload.text, null];
    const hash = createHash("sha256").update(payload.text).digest("hex");
    await t.sql.run(
      `INSERT INTO blobs (workspace, hash, size, data, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace, hash) DO NOTHING`,
      [workspace, hash, payload.bytes, Buffer.from(payload.text), t.now],
    );
    return [null, hash];
  }

  private runRow(sql: Sql, workspace: string, runId: string, lock = false): Promise<RunRow | undefined> {
    return sql.one<RunRow>(
      `SELECT * FROM runs WHERE workspace = $1 AND id = $2${lock ? " FOR UPDATE" : ""}`,
      [workspace, runId],
    );
  }

  /** Locks runs' rows, in id order so that two transactions locking several never deadlock. */
  private async lockRuns(sql: Sql, workspace: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    if (runIds.length === 1) {
      await sql.rows("SELECT 1 FROM runs WHERE workspace = $1 AND id = $2 FOR UPDATE", [
        workspace,
        runIds[0],
      ]);
      return;
    }
    await sql.rows(
      `SELECT 1 FROM runs WHERE workspace = $1 AND id = ANY($2::text[]) ORDER BY id COLLATE "C" FOR UPDATE`,
      [workspace, [...new Set(runIds)]],
    );
  }

  /**
   * The fence: locks the run's row and checks, in the writing transaction, that the lease is
   * still the run's current one. Nothing is written before it, so a lost lease writes nothing.
   */
  private async fence(t: Tx, lease: Lease): Promise<CommitOutcome> {
    const row = await t.sql.one<{ cancel_requested: number }>(
      `SELECT cancel_requested FROM runs
       WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'
       FOR UPDATE`,
      [lease.workspace, lease.runId, lease.epoch, lease.owner],
    );
    if (row === undefined) throw leaseLost(lease);
    return { cancelRequested: row.cancel_requested === 1 };
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

  // ── runs ──────────────────────────────────────────────────────────────────────────────────

  createRun(run: NewRun): Promise<CreateRunResult> {
    return this.tx((t) => this.insertRun(t, run));
  }

  /** Workspaces come into being on first use, in the transaction that first writes to one. */
  private async ensureWorkspace(t: Tx, ws: string): Promise<void> {
    if (this.workspaces.has(ws)) return;
    await t.sql.run("INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [
      ws,
      t.now,
    ]);
    t.afterCommit.push(() => this.workspaces.add(ws));
  }

  private async insertRun(t: Tx, run: NewRun): Promise<CreateRunResult> {
    const ws = run.workspace;
    const sql = t.sql;
    await this.ensureWorkspace(t, ws);
    // Idempotent by id too: a retried call (e.g. registerWait whose reply was lost) returns the run.
    const same = await this.runRow(sql, ws, run.id);
    if (same !== undefined) return { run: toRunSummary(same), created: false, cancelled: [] };
    if (run.idempotencyKey !== undefined) {
      const existing = await this.byIdempotencyKey(sql, ws, run.workflow, run.idempotencyKey);
      if (existing) return { run: toRunSummary(existing), created: false, cancelled: [] };
    }
    let active: RunRow[] = [];
    if (run.singleton !== undefined) {
      // One creator per singleton key at a time; the next one sees this one's run.
      await sql.rows(
        "SELECT pg_advisory_xact_lock($1, hashtext($2::text || '/' || $3::text || '/' || $4::text))",
        [LockSpace.Singleton, ws, run.workflow, run.singleton.key],
      );
      active = await sql.rows<RunRow>(
        `SELECT * FROM runs WHERE workspace = $1 AND workflow = $2 AND singleton_key = $3 AND status IN ${ACTIVE}
         ORDER BY created_at, id COLLATE "C"`,
        [ws, run.workflow, run.singleton.key],
      );
      if (active.length > 0 && run.singleton.mode === "skip") {
        return { run: toRunSummary(active[0]!), created: false, cancelled: [] };
      }
    }
    const [inputJson, inputBlob] = await this.putPayload(t, ws, run.input);
    const runAt = run.runAt ?? t.now;
    const [inserted] = await sql.rows<RunRow>(
      `INSERT INTO runs (workspace, id, workflow, status, input_json, input_blob, parent_run_id, parent_step_id,
         idempotency_key, concurrency_key, concurrency_limit, singleton_key, created_at, updated_at, wake_at, stored_bytes,
         input_bytes)
       VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $14)
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
        runAt,
        run.input.bytes,
      ],
    );
    if (inserted === undefined) {
      // Another transaction created it (same id or key) since we looked: that one is the run.
      const winner =
        (await this.runRow(sql, ws, run.id)) ??
        (run.idempotencyKey === undefined
          ? undefined
          : await this.byIdempotencyKey(sql, ws, run.workflow, run.idempotencyKey));
      if (winner === undefined) throw new StoreError(`run ${run.id} could not be created nor found`);
      return { run: toRunSummary(winner), created: false, cancelled: [] };
    }
    const cancelled: string[] = [];
    for (const other of active) {
      await this.cancelInTx(
        t,
        ws,
        other.id,
        `replaced by run ${run.id} (singleton key ${run.singleton!.key})`,
      );
      cancelled.push(other.id);
    }
    await this.log(sql, ws, run.id, Entry.RunCreated, null, t.now, {
      workflow: run.workflow,
      parentRunId: run.parentRunId ?? null,
      runAt,
    });
    return { run: toRunSummary(inserted), created: true, cancelled };
  }

  private byIdempotencyKey(sql: Sql, ws: string, workflow: string, key: string): Promise<RunRow | undefined> {
    return sql.one<RunRow>(
      "SELECT * FROM runs WHERE workspace = $1 AND workflow = $2 AND idempotency_key = $3",
      [ws, workflow, key],
    );
  }

  getRun(workspace: string, runId: string): Promise<RunRecord | undefined> {
    return this.read(async (sql) => {
      const row = await sql.one<RunWithPayloads>(
        `${RUN_WITH_PAYLOADS} WHERE r.workspace = $1 AND r.id = $2`,
        [workspace, runId],
      );
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
    });
  }

  getRunSummary(workspace: string, runId: string): Promise<RunSummary | undefined> {
    return this.read(async (sql) => {
      const row = await this.runRow(sql, workspace, runId);
      return row === undefined ? undefined : toRunSummary(row);
    });
  }

  listRuns(workspace: string, filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.read(async (sql) => {
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
      if (filter.active) where.push(`status IN ${ACTIVE}`);
      args.push(filter.limit ?? 100);
      const rows = await sql.rows<RunRow>(
        `SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $${args.length}`,
        args,
      );
      return rows.map(toListedRun);
    });
  }

  claimRuns(request: ClaimRequest): Promise<Lease[]> {
    return this.tx((t) => this.claimInTx(t, request, undefined));
  }

  async claimRun(request: ClaimRequest, runId: string): Promise<Lease | undefined> {
    return (await this.tx((t) => this.claimInTx(t, { ...request, limit: 1 }, runId)))[0];
  }

  /**
   * Candidates are locked with SKIP LOCKED: a run another worker is claiming (or writing) is
   * left to it, never waited for. Runs with a concurrency key are then counted under an advisory
   * lock per key (taken in one order by every claimer), so two workers cannot both take the
   * last free place of a key.
   */
  private async claimInTx(t: Tx, req: ClaimRequest, onlyRunId: string | undefined): Promise<Lease[]> {
    if (req.workflows.length === 0 || req.limit <= 0) return [];
    const { sql, now } = t;
    // Lock no more candidates than can be taken: a locked row another claimer skips is a run it
    // could have had. Runs over their concurrency limit are filtered out in SQL, not here.
    const args: unknown[] = [req.workspace, now, [...req.workflows], req.limit];
    let only = "";
    if (onlyRunId !== undefined) {
      args.push(onlyRunId);
      only = `AND id = $${args.length}`;
    }
    // Runs whose concurrency key is at its limit are left out of the scan, or they would fill it
    // and hold back runnable runs behind them.
    const free = `AND (concurrency_key IS NULL OR concurrency_limit IS NULL OR concurrency_limit > (
      SELECT COUNT(*) FROM runs AS r WHERE r.workspace = runs.workspace AND r.concurrency_key = runs.concurrency_key
        AND r.status = 'running' AND r.id <> runs.id)) AND format <= ${PAYLOAD_FORMAT}`;
    // One given run is waited for if another transaction holds it (it may be about to free it).
    const lock = onlyRunId === undefined ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
    const orphaned = await sql.rows<RunRow>(
      `SELECT * FROM runs WHERE workspace = $1 AND status = 'running' AND lease_expires_at <= $2
         AND workflow = ANY($3::text[]) ${only} ${free} ORDER BY lease_expires_at LIMIT $4 ${lock}`,
      args,
    );
    const dead = req.deadOwners ?? [];
    if (dead.length > 0) {
      const seen = new Set(orphaned.map((r) => r.id));
      const ofDead = await sql.rows<RunRow>(
        `SELECT * FROM runs WHERE workspace = $1 AND status = 'running' AND lease_owner = ANY($${args.length + 1}::text[])
           AND lease_expires_at > $2 AND workflow = ANY($3::text[]) ${only} ${free} LIMIT $4 ${lock}`,
        [...args, [...dead]],
      );
      orphaned.push(...ofDead.filter((r) => !seen.has(r.id)));
    }
    const room = req.limit - orphaned.length;
    const due =
      room <= 0
        ? []
        : await sql.rows<RunRow>(
            `SELECT * FROM runs WHERE workspace = $1 AND status IN ('queued', 'waiting') AND wake_at <= $2
               AND workflow = ANY($3::text[]) ${only} ${free} ORDER BY wake_at LIMIT $4 ${lock}`,
            [...args.slice(0, 3), room, ...args.slice(4)],
          );
    const candidates = [...orphaned, ...due];
    if (candidates.length === 0) return [];

    const keys = [
      ...new Set(
        candidates.flatMap((r) =>
          r.concurrency_key !== null && r.concurrency_limit !== null ? [r.concurrency_key] : [],
        ),
      ),
    ];
    const running = new Map<string, number>();
    if (keys.length > 0) {
      await sql.rows(
        `SELECT pg_advisory_xact_lock($1, h) FROM (
           SELECT DISTINCT hashtext($2::text || '/' || k) AS h FROM unnest($3::text[]) AS k ORDER BY h) AS locks`,
        [LockSpace.ConcurrencyKey, req.workspace, keys],
      );
      // Counted after the locks, so runs other claimers committed meanwhile are seen.
      const counts = await sql.rows<{ key: string; n: number }>(
        `SELECT concurrency_key AS key, COUNT(*) AS n FROM runs
         WHERE workspace = $1 AND concurrency_key = ANY($2::text[]) AND status = 'running' GROUP BY concurrency_key`,
        [req.workspace, keys],
      );
      for (const c of counts) running.set(c.key, c.n);
    }

    const taken: RunRow[] = [];
    for (const row of candidates) {
      if (taken.length >= req.limit) break;
      if (row.concurrency_key !== null && row.concurrency_limit !== null) {
        const n = running.get(row.concurrency_key) ?? 0;
        const others = row.status === "running" ? n - 1 : n;
        if (others >= row.concurrency_limit) continue;
        if (row.status !== "running") running.set(row.concurrency_key, n + 1);
      }
      taken.push(row);
    }
    if (taken.length === 0) return [];
    const expiresAt = now + req.ttlMs;
    await sql.run(
      `UPDATE runs SET status = 'running', lease_owner = $1, lease_epoch = lease_epoch + 1, lease_expires_at = $2,
         wake_at = NULL, started_at = COALESCE(started_at, $3), updated_at = $3, reason = NULL
       WHERE workspace = $4 AND id = ANY($5::text[])`,
      [req.owner, expiresAt, now, req.workspace, taken.map((r) => r.id)],
    );
    const leases: Lease[] = [];
    for (const row of taken) {
      const epoch = row.lease_epoch + 1;
      await this.log(sql, req.workspace, row.id, Entry.RunStarted, null, now, {
        owner: req.owner,
        epoch,
        ...(row.status === "running" ? { recoveredFrom: row.lease_owner } : {}),
      });
      leases.push({ workspace: req.workspace, runId: row.id, owner: req.owner, epoch, expiresAt });
    }
    return leases;
  }

  listLeaseOwners(workspace: string, prefix: string): Promise<string[]> {
    return this.read(async (sql) => {
      const rows = await sql.rows<{ lease_owner: string }>(
        `SELECT DISTINCT lease_owner FROM runs WHERE workspace = $1 AND status = 'running'
           AND starts_with(lease_owner, $2) ORDER BY lease_owner`,
        [workspace, prefix],
      );
      return rows.map((r) => r.lease_owner);
    });
  }

  renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      const expiresAt = t.now + ttlMs;
      await t.sql.run("UPDATE runs SET lease_expires_at = $1 WHERE workspace = $2 AND id = $3", [
        expiresAt,
        lease.workspace,
        lease.runId,
      ]);
      return { ...lease, expiresAt };
    });
  }

  // ── steps ─────────────────────────────────────────────────────────────────────────────────

  loadSteps(workspace: string, runId: string): Promise<StepRecord[]> {
    return this.read(async (sql) => {
      const rows = await sql.rows<StepWithPayload>(
        `SELECT s.*, b.data AS output_data FROM steps s
         LEFT JOIN blobs b ON b.workspace = s.workspace AND b.hash = s.output_blob
         WHERE s.workspace = $1 AND s.run_id = $2 ORDER BY s.seq`,
        [workspace, runId],
      );
      return rows.map((row) => {
        const label = `run ${runId} step "${row.step_id}"`;
        return {
          runId,
          stepId: row.step_id,
          seq: row.seq,
          kind: stepKind(row.kind),
          status: stepStatus(row.status),
          attempt: row.attempt,
          output: decodePayload(
            payloadText(row.output_json, row.output_blob, row.output_data, `${label} output`),
            `${label} output`,
          ),
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
    return this.read(async (sql) =>
      (
        await sql.rows<AttemptRow>(
          "SELECT * FROM step_attempts WHERE workspace = $1 AND run_id = $2 ORDER BY started_at, attempt",
          [workspace, runId],
        )
      ).map(toAttempt),
    );
  }

  recordIntent(lease: Lease, step: StepStart): Promise<void> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      const prior = await this.stepRow(t.sql, lease.workspace, lease.runId, step.stepId);
      if (prior?.status === "started" && prior.attempt < step.attempt) {
        // The earlier attempt recorded its intent and never reported back: its process died.
        const crashed: StepStart = { ...step, attempt: prior.attempt, startedAt: prior.started_at };
        await this.insertAttempt(t.sql, lease, crashed, t.now, null, "crashed");
      }
      await this.upsertStep(t.sql, lease, step, "started", null, null, 0, null, null, null);
      await this.log(t.sql, lease.workspace, lease.runId, Entry.StepStarted, step.stepId, t.now, {
        kind: step.kind,
        attempt: step.attempt,
        sideEffect: true,
      });
    });
  }

  private stepRow(sql: Sql, ws: string, runId: string, stepId: string): Promise<StepRow | undefined> {
    return sql.one<StepRow>("SELECT * FROM steps WHERE workspace = $1 AND run_id = $2 AND step_id = $3", [
      ws,
      runId,
      stepId,
    ]);
  }

  private async upsertStep(
    sql: Sql,
    lease: Lease,
    step: StepStart,
    status: string,
    outputJson: string | null,
    outputBlob: string | null,
    outputBytes: number,
    errorJson: string | null,
    endedAt: number | null,
    retryAt: number | null,
  ): Promise<void> {
    await sql.run(
      `INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob, output_bytes,
         error_json, started_at, ended_at, retry_at, side_effect)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (workspace, run_id, step_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
         output_json = excluded.output_json, output_blob = excluded.output_blob, output_bytes = excluded.output_bytes,
         error_json = excluded.error_json, ended_at = excluded.ended_at, retry_at = excluded.retry_at`,
      [
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
      ],
    );
  }

  async commitStep(lease: Lease, commit: StepCommit): Promise<CommitOutcome> {
    if (commitsAtOnce(commit, INLINE_LIMIT)) {
      const outcome = await this.read((sql) =>
        retryRace(() => commitStepAtOnce(sql, lease, commit, this.clock?.now() ?? null, DB_NOW)),
      );
      if (outcome === undefined) throw leaseLost(lease);
      return outcome;
    }
    return this.tx(async (t) => {
      const { sql, now } = t;
      const bytes = commit.output?.bytes ?? 0;
      const outcome = await this.fence(t, lease);
      const [json, blob] = commit.output
        ? await this.putPayload(t, lease.workspace, commit.output)
        : [null, null];
      const errorJson = commit.error ? JSON.stringify(commit.error) : null;
      await this.upsertStep(
        sql,
        lease,
        commit,
        commit.status,
        json,
        blob,
        bytes,
        errorJson,
        commit.endedAt,
        null,
      );
      if (commit.status === "failed")
        await this.insertAttempt(sql, lease, commit, commit.endedAt, errorJson, "failed");
      await this.log(
        sql,
        lease.workspace,
        lease.runId,
        Entry.StepEnded,
        commit.stepId,
        now,
        stepEndedData(commit),
      );
      if (commit.event)
        await this.sendEventInTx(t, lease.workspace, commit.event.event, commit.event.triggers);
      for (const child of commit.startRuns ?? []) await this.insertRun(t, child);
      if (commit.storageWarning) {
        await this.log(
          sql,
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

  private async insertAttempt(
    sql: Sql,
    lease: Lease,
    step: StepStart,
    endedAt: number,
    errorJson: string | null,
    outcome: string,
  ): Promise<void> {
    await sql.run(
      `INSERT INTO step_attempts (workspace, run_id, step_id, attempt, started_at, ended_at, error_json, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (workspace, run_id, step_id, attempt) DO UPDATE SET started_at = excluded.started_at,
         ended_at = excluded.ended_at, error_json = excluded.error_json, outcome = excluded.outcome`,
      [lease.workspace, lease.runId, step.stepId, step.attempt, step.startedAt, endedAt, errorJson, outcome],
    );
  }

  recordRetry(lease: Lease, retry: StepRetry): Promise<CommitOutcome> {
    return this.tx(async (t) => {
      const outcome = await this.fence(t, lease);
      const errorJson = JSON.stringify(retry.error);
      await this.insertAttempt(t.sql, lease, retry, retry.endedAt, errorJson, "failed");
      await this.upsertStep(t.sql, lease, retry, "retrying", null, null, 0, errorJson, null, retry.retryAt);
      await this.log(t.sql, lease.workspace, lease.runId, Entry.StepRetrying, retry.stepId, t.now, {
        attempt: retry.attempt,
        retryAt: retry.retryAt,
        error: { message: retry.error.message, code: retry.error.code },
      });
      return outcome;
    });
  }

  registerWait(lease: Lease, wait: NewWait): Promise<CommitOutcome> {
    return this.tx(async (t) => {
      const { sql, now } = t;
      const outcome = await this.fence(t, lease);
      let childRunId: string | null = null;
      let resolvedAt: number | null = null;
      if (wait.child) {
        const created = await this.insertRun(t, wait.child);
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
          wait.match ? JSON.stringify(wait.match) : null,
          childRunId,
          wait.dueAt ?? null,
          resolvedAt,
          wait.approval?.id ?? null,
        ],
      );
      if (wait.notify) await this.sendEventInTx(t, lease.workspace, wait.notify.event, wait.notify.triggers);
      const step: StepStart = {
        stepId: wait.stepId,
        seq: wait.seq,
        kind: wait.kind === "child" ? "invoke" : wait.kind,
        attempt: 1,
        startedAt: wait.startedAt,
        sideEffect: false,
      };
      await this.upsertStep(sql, lease, step, "waiting", null, null, 0, null, null, null);
      await this.log(sql, lease.workspace, lease.runId, Entry.StepWaiting, wait.stepId, now, {
        kind: wait.kind,
        ...(wait.eventName ? { event: wait.eventName } : {}),
        ...(wait.dueAt ? { dueAt: wait.dueAt } : {}),
        ...(childRunId ? { childRunId } : {}),
      });
      return outcome;
    });
  }

  getWait(workspace: string, runId: string, stepId: string): Promise<WaitRecord | undefined> {
    return this.read(async (sql) => {
      const row = await this.waitRow(sql, workspace, runId, stepId);
      return row ? toWait(row) : undefined;
    });
  }

  private waitRow(sql: Sql, workspace: string, runId: string, stepId: string): Promise<WaitRow | undefined> {
    return sql.one<WaitRow>("SELECT * FROM waits WHERE workspace = $1 AND run_id = $2 AND step_id = $3", [
      workspace,
      runId,
      stepId,
    ]);
  }

  settleWait(lease: Lease, runId: string, stepId: string): Promise<WaitOutcome> {
    return this.tx(async (t) => {
      const { sql, now } = t;
      if (runId !== lease.runId) {
        throw new LeaseLostError(
          `the lease on run ${lease.runId} does not cover run ${runId}; it cannot settle its waits`,
        );
      }
      await this.fence(t, lease);
      const ws = lease.workspace;
      const wait = await this.waitRow(sql, ws, runId, stepId);
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
        outcome = { status: "approval", approval };
        text = JSON.stringify(approval);
      } else if (wait.resolved_at !== null && wait.event_id !== null) {
        const event = await this.eventRecord(sql, ws, wait.event_id);
        outcome = { status: "event", event };
        text = JSON.stringify({ id: event.id, name: event.name, data: event.data, at: event.at });
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
      await sql.run(
        "UPDATE waits SET settled = 1, resolved_at = COALESCE(resolved_at, $1) WHERE workspace = $2 AND run_id = $3 AND step_id = $4",
        [now, ws, runId, stepId],
      );
      const step = (await this.stepRow(sql, ws, runId, stepId))!;
      const bytes = Buffer.byteLength(text);
      const [json, blob] = await this.putPayload(t, ws, { text, bytes });
      await sql.run(
        `UPDATE steps SET status = 'completed', output_json = $1, output_blob = $2, output_bytes = $3, ended_at = $4
         WHERE workspace = $5 AND run_id = $6 AND step_id = $7`,
        [json, blob, bytes, now, ws, runId, stepId],
      );
      await this.log(sql, ws, runId, Entry.StepEnded, stepId, now, {
        kind: step.kind,
        status: "completed",
        attempt: step.attempt,
        durationMs: now - step.started_at,
        outcome: outcome.status,
      });
      return outcome;
    });
  }

  private async eventRecord(sql: Sql, workspace: string, eventId: string): Promise<EventRecord> {
    const row = await sql.one<EventRow>(`${EVENT_WITH_PAYLOAD} WHERE e.workspace = $1 AND e.id = $2`, [
      workspace,
      eventId,
    ]);
    if (row === undefined) throw new CorruptPayloadError(`event ${eventId} is missing`);
    return toEvent(row);
  }

  // ── run transitions ───────────────────────────────────────────────────────────────────────

  suspendRun(lease: Lease): Promise<void> {
    return this.tx(async (t) => {
      const { sql, now } = t;
      await this.fence(t, lease);
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
           updated_at = $3 WHERE workspace = $4 AND id = $5`,
        [wakeAt, reason, now, ws, id],
      );
      await this.recount(sql, ws, id);
      await this.log(sql, ws, id, Entry.RunWaiting, null, now, { wakeAt, reason });
    });
  }

  completeRun(lease: Lease, output: EncodedPayload): Promise<void> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      const [json, blob] = await this.putPayload(t, lease.workspace, output);
      await this.endRun(t, lease.workspace, lease.runId, "completed", json, blob, null, null);
      await this.recount(t.sql, lease.workspace, lease.runId, output.bytes);
    });
  }

  failRun(lease: Lease, error: SerializedError): Promise<void> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      await this.endRun(
        t,
        lease.workspace,
        lease.runId,
        "failed",
        null,
        null,
        JSON.stringify(error),
        error.message,
      );
    });
  }

  cancelRun(lease: Lease, reason: string): Promise<void> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      await this.cancelInTx(t, lease.workspace, lease.runId, reason);
    });
  }

  /** Ends a run (its row is locked), releases its lease, and tells a waiting parent. */
  private async endRun(
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
    await this.log(sql, ws, runId, Entry.RunEnded, null, now, { status, ...(reason ? { reason } : {}) });
    const parents = await sql.rows<{ run_id: string }>(
      "SELECT run_id FROM waits WHERE workspace = $1 AND child_run_id = $2 AND resolved_at IS NULL",
      [ws, runId],
    );
    if (parents.length === 0) return;
    await this.lockRuns(
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
  private async wake(sql: Sql, ws: string, runId: string, now: number): Promise<void> {
    const changed = await sql.run(
      "UPDATE runs SET wake_at = $1, updated_at = $1 WHERE workspace = $2 AND id = $3 AND status = 'waiting'",
      [now, ws, runId],
    );
    if (changed > 0) await this.log(sql, ws, runId, Entry.RunResumed, null, now, {});
  }

  private async cancelInTx(t: Tx, ws: string, runId: string, reason: string): Promise<RunStatus> {
    const { sql, now } = t;
    const row = await this.runRow(sql, ws, runId, true);
    if (row === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${ws}`);
    const status = row.status as RunStatus;
    if (status === "completed" || status === "failed" || status === "cancelled") return status;
    const children = await sql.rows<{ id: string }>(
      `SELECT id FROM runs WHERE workspace = $1 AND parent_run_id = $2 AND status IN ${ACTIVE} ORDER BY id COLLATE "C"`,
      [ws, runId],
    );
    for (const c of children) await this.cancelInTx(t, ws, c.id, `parent run ${runId} was cancelled`);
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
      await this.log(sql, ws, runId, Entry.RunCancelRequested, null, now, { reason });
      return "running";
    }
    await this.endRun(t, ws, runId, "cancelled", null, null, null, reason);
    return "cancelled";
  }

  retryRun(lease: Lease, error: SerializedError, runAt: number): Promise<void> {
    return this.tx(async (t) => {
      const { sql, now } = t;
      await this.fence(t, lease);
      const ws = lease.workspace;
      // Failed steps are forgotten so the next attempt runs them afresh; their attempts stay in history.
      const forgot = await sql.rows<{ step_id: string }>(
        "DELETE FROM steps WHERE workspace = $1 AND run_id = $2 AND status = 'failed' RETURNING step_id, seq",
        [ws, lease.runId],
      );
      await sql.run(
        `UPDATE runs SET status = 'queued', attempt = attempt + 1, wake_at = $1, lease_owner = NULL, lease_expires_at = NULL,
           error_json = $2, reason = $3, updated_at = $4 WHERE workspace = $5 AND id = $6`,
        [runAt, JSON.stringify(error), `retrying after: ${error.message}`, now, ws, lease.runId],
      );
      await this.recount(sql, ws, lease.runId);
      await this.log(sql, ws, lease.runId, Entry.RunRetrying, null, now, {
        runAt,
        error: { message: error.message, code: error.code },
        forgotSteps: forgot.map((s) => s.step_id),
      });
    });
  }

  markNeedsAttention(lease: Lease, stepId: string, reason: string): Promise<void> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      await t.sql.run(
        `UPDATE runs SET status = 'needs-attention', wake_at = NULL, lease_owner = NULL, lease_expires_at = NULL, reason = $1,
           updated_at = $2 WHERE workspace = $3 AND id = $4`,
        [reason, t.now, lease.workspace, lease.runId],
      );
      await this.recount(t.sql, lease.workspace, lease.runId);
      await this.log(t.sql, lease.workspace, lease.runId, Entry.RunNeedsAttention, stepId, t.now, { reason });
    });
  }

  releaseRun(lease: Lease): Promise<void> {
    return this.tx(async (t) => {
      await this.fence(t, lease);
      await t.sql.run(
        `UPDATE runs SET status = 'queued', wake_at = $1, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1
         WHERE workspace = $2 AND id = $3`,
        [t.now, lease.workspace, lease.runId],
      );
      await this.recount(t.sql, lease.workspace, lease.runId);
      await this.log(t.sql, lease.workspace, lease.runId, Entry.RunReleased, null, t.now, {});
    });
  }

  // ── operator actions ──────────────────────────────────────────────────────────────────────

  requestCancel(workspace: string, runId: string, reason: string): Promise<RunStatus> {
    return this.tx((t) => this.cancelInTx(t, workspace, runId, reason));
  }

  resolveAttention(workspace: string, runId: string, stepId: string, action: AttentionAction): Promise<void> {
    return this.tx(async (t) => {
      const { sql, now } = t;
      const run = await this.runRow(sql, workspace, runId, true);
      if (run === undefined)
        throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${workspace}`);
      const step = await this.stepRow(sql, workspace, runId, stepId);
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
      await this.insertAttempt(
        sql,
        lease,
        start,
        now,
        null,
        action.action === "skip" ? "skipped" : "crashed",
      );
      if (action.action === "skip") {
        const [json, blob] = await this.putPayload(t, workspace, action.output);
        await this.upsertStep(
          sql,
          lease,
          start,
          "completed",
          json,
          blob,
          action.output.bytes,
          null,
          now,
          null,
        );
        await this.log(sql, workspace, runId, Entry.StepEnded, stepId, now, {
          status: "completed",
          skipped: true,
        });
      } else {
        // The next attempt runs with the same idempotency key.
        await this.upsertStep(sql, lease, start, "retrying", null, null, 0, null, null, now);
        await this.log(sql, workspace, runId, Entry.StepRetrying, stepId, now, {
          attempt: step.attempt,
          byOperator: true,
        });
      }
      await sql.run(
        "UPDATE runs SET status = 'queued', wake_at = $1, reason = NULL, updated_at = $1 WHERE workspace = $2 AND id = $3",
        [now, workspace, runId],
      );
    });
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  sendEvent(workspace: string, event: NewEvent, triggers: NewRun[]): Promise<SendEventResult> {
    return this.tx((t) => this.sendEventInTx(t, workspace, event, triggers));
  }

  private async sendEventInTx(
    t: Tx,
    ws: string,
    event: NewEvent,
    triggers: NewRun[],
  ): Promise<SendEventResult> {
    const { sql, now } = t;
    const id = event.id ?? newId("evt");
    await this.ensureWorkspace(t, ws);
    const [json, blob] = await this.putPayload(t, ws, event.data);
    const inserted = await sql.run(
      `INSERT INTO events (workspace, id, name, data_json, data_blob, at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace, id) DO NOTHING`,
      [ws, id, event.name, json, blob, now],
    );
    if (inserted === 0) return { eventId: id, created: false, resumedRuns: [], startedRuns: [] };
    const data = decodePayload(event.data.text, `event ${event.name}`);
    const waits = await sql.rows<WaitRow>(
      `SELECT * FROM waits WHERE workspace = $1 AND event_name = $2 AND resolved_at IS NULL AND (due_at IS NULL OR due_at > $3)`,
      [ws, event.name, now],
    );
    const matched = waits.filter((w) =>
      eventMatches(
        { id, name: event.name, data },
        parseJsonColumn<Record<string, unknown>>(w.match_json, `run ${w.run_id} wait "${w.step_id}"`),
      ),
    );
    const resumed: string[] = [];
    if (matched.length > 0) {
      // The runs first, then their waits: a run suspending at this moment sees the resolution.
      await this.lockRuns(
        sql,
        ws,
        matched.map((w) => w.run_id),
      );
      const resolved = await sql.rows<{ run_id: string }>(
        `UPDATE waits AS w SET resolved_at = $1, event_id = $2
         FROM unnest($4::text[], $5::text[]) AS m(run_id, step_id)
         WHERE w.workspace = $3 AND w.run_id = m.run_id AND w.step_id = m.step_id
           AND w.resolved_at IS NULL AND (w.due_at IS NULL OR w.due_at > $1)
         RETURNING w.run_id`,
        [now, id, ws, matched.map((w) => w.run_id), matched.map((w) => w.step_id)],
      );
      const runs = new Set(resolved.map((r) => r.run_id));
      // In the order the waits were found, as SQLite reports them.
      for (const w of matched) {
        if (!runs.delete(w.run_id)) continue;
        await this.wake(sql, ws, w.run_id, now);
        resumed.push(w.run_id);
      }
    }
    const started: string[] = [];
    for (const trigger of triggers) {
      const r = await this.insertRun(t, {
        ...trigger,
        idempotencyKey: trigger.idempotencyKey ?? `event:${id}`,
      });
      if (r.created) started.push(r.run.id);
    }
    await this.log(sql, ws, null, Entry.EventSent, null, now, {
      id,
      name: event.name,
      resumedRuns: resumed,
      startedRuns: started,
    });
    return { eventId: id, created: true, resumedRuns: resumed, startedRuns: started };
  }

  listEvents(workspace: string, filter: { name?: string; limit?: number } = {}): Promise<EventRecord[]> {
    return this.read(async (sql) => {
      const byName = filter.name === undefined ? "" : "AND e.name = $3";
      const rows = await sql.rows<EventRow>(
        `${EVENT_WITH_PAYLOAD} WHERE e.workspace = $1 ${byName} ORDER BY e.at DESC, e.id COLLATE "C" DESC LIMIT $2`,
        filter.name === undefined
          ? [workspace, filter.limit ?? 100]
          : [workspace, filter.limit ?? 100, filter.name],
      );
      return rows.map(toEvent);
    });
  }

  // ── approvals ─────────────────────────────────────────────────────────────────────────

  decideApproval(workspace: string, id: string, decision: ApprovalDecision): Promise<ApprovalRecord> {
    return this.tx(async (t) => {
      const approval = await this.approvals.decide(t.sql, workspace, id, decision, t.now);
      if (decision.notify)
        await this.sendEventInTx(t, workspace, decision.notify.event, decision.notify.triggers);
      return approval;
    });
  }

  getApproval(workspace: string, id: string): Promise<ApprovalRecord | undefined> {
    return this.read((sql) => this.approvals.get(sql, workspace, id));
  }

  listApprovals(
    workspace: string,
    filter: { status?: ApprovalStatus; runId?: string; limit?: number } = {},
  ): Promise<ApprovalRecord[]> {
    return this.read((sql) => this.approvals.list(sql, workspace, filter));
  }

  // ── agent sessions and memory ─────────────────────────────────────────────────────────

  loadSession(workspace: string, agent: string, session: string): Promise<SessionMessage[]> {
    return this.read((sql) => this.sessions.load(sql, workspace, agent, session));
  }

  appendSession(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    messages: EncodedPayload[],
  ): Promise<void> {
    return this.tx((t) => this.sessions.append(t.sql, workspace, agent, session, runId, messages, t.now));
  }

  pushInbox(workspace: string, agent: string, session: string, message: EncodedPayload): Promise<string> {
    return this.tx((t) => this.sessions.pushInbox(t.sql, workspace, agent, session, message, t.now));
  }

  takeInbox(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
  ): Promise<unknown[]> {
    return this.tx((t) => this.sessions.takeInbox(t.sql, workspace, agent, session, runId, stepId));
  }

  saveMemory(workspace: string, scope: MemoryScope, key: string, text: string): Promise<void> {
    return this.tx((t) => this.sessions.saveMemory(t.sql, workspace, scope, key, text, t.now));
  }

  recallMemory(workspace: string, scope: MemoryScope, query: string, limit: number): Promise<MemoryRecord[]> {
    return this.read((sql) => this.sessions.recallMemory(sql, workspace, scope, query, limit));
  }

  forgetMemory(workspace: string, scope: MemoryScope, key: string): Promise<boolean> {
    return this.tx((t) => this.sessions.forgetMemory(t.sql, workspace, scope, key));
  }

  // ── log ───────────────────────────────────────────────────────────────────────────────────

  readEntries(workspace: string, runId: string, afterSeq = 0): Promise<JournalEntry[]> {
    return this.read(async (sql) =>
      (
        await sql.rows<EntryRow>(
          "SELECT * FROM entries WHERE workspace = $1 AND run_id = $2 AND seq > $3 ORDER BY seq",
          [workspace, runId, afterSeq],
        )
      ).map(toEntry),
    );
  }

  nextWakeAt(workspace: string, workflows: readonly string[]): Promise<number | undefined> {
    return this.read(async (sql) => {
      if (workflows.length === 0) return undefined;
      const row = await sql.one<{ t: number | null }>(
        `SELECT LEAST(
           (SELECT MIN(wake_at) FROM runs WHERE workspace = $1 AND status IN ('queued', 'waiting') AND workflow = ANY($2::text[])),
           (SELECT MIN(lease_expires_at) FROM runs WHERE workspace = $1 AND status = 'running' AND workflow = ANY($2::text[]))
         ) AS t`,
        [workspace, [...workflows]],
      );
      return row?.t ?? undefined;
    });
  }
}

function toEvent(row: EventRow): EventRecord {
  const label = `event ${row.id} data`;
  return {
    id: row.id,
    workspace: row.workspace,
    name: row.name,
    data: decodePayload(payloadText(row.data_json, row.data_blob, row.blob_data, label), label),
    at: row.at,
  };
}

/** A payload's text: inline, or from its blob (joined in by the query that read the row). */
function payloadText(
  inline: string | null,
  blob: string | null,
  data: Buffer | null,
  label: string,
): string | null {
  if (blob === null) return inline;
  if (data === null)
    throw new CorruptPayloadError(`${label}: its stored blob ${blob.slice(0, 12)}… is missing`);
  return data.toString("utf8");
}

function leaseLost(lease: Lease): LeaseLostError {
  return new LeaseLostError(
    `run ${lease.runId}: lease epoch ${lease.epoch} held by ${lease.owner} is no longer current; another worker owns the run`,
  );
}

/** Runs a one-statement transaction again when it lost a deadlock or serialization race. */
async function retryRace<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= TX_ATTEMPTS) throw err;
    }
  }
}
