import type { Clock } from "../../shared/clock.js";
import type { EncodedPayload } from "../../shared/payload.js";
import type { SerializedError } from "../../shared/serialized-error.js";
import type {
  ApprovalDecision,
  AttentionAction,
  ClaimRequest,
  CommitOutcome,
  HandBack,
  Journal,
  LeaseStarved,
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
  NewRun,
  RunRecord,
  RunStatus,
  RunSummary,
  StepRecord,
  WaitRecord,
} from "../records.js";
import type { PgPool, PostgresPoolOptions } from "./database.js";
import { StepCommits } from "./commit-step.js";
import type { RunnableListener } from "./listener.js";
import { logNotice } from "./listener.js";
import { openPostgres } from "./postgres-open.js";
import { PgSecrets } from "./postgres-secrets.js";
import { PgDeploys } from "./postgres-deploys.js";
import { PgService } from "./postgres-service.js";
import { PgTransfer } from "./postgres-transfer.js";
import { log, readEntries } from "./log.js";
import { PgAgentState } from "./postgres-agent-state.js";
import { PgApprovals } from "./postgres-approvals.js";
import { PgClaims } from "./postgres-claims.js";
import { PgEvents } from "./postgres-events.js";
import { PgLifecycle } from "./postgres-lifecycle.js";
import { PgRuns } from "./postgres-runs.js";
import { PgSteps } from "./postgres-steps.js";
import { PgWaits } from "./postgres-waits.js";
import { fence, lockRuns } from "./run-locks.js";
import { PgTransactions } from "./transactions.js";

export interface PostgresJournalOptions extends PostgresPoolOptions {
  /** `postgres://user:password@host:port/database?sslmode=…` */
  url: string;
  /**
   * Where time comes from. By default the database's clock (`now()`), so leases and timers agree
   * across every worker whatever their own clocks say; tests inject a ManualClock.
   */
  clock?: Clock;
}

/**
 * The journal on PostgreSQL, for several workers on several hosts. Each method is one
 * transaction (READ COMMITTED) on a pooled connection. The run's row is the unit of locking:
 * every fenced method first locks it (`SELECT … FOR UPDATE`) and checks the lease, and every
 * writer of a run's waits locks it too, so a wait resolved while its run suspends is never
 * missed. Claims take due runs with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait
 * on each other's candidates, and serialise per concurrency key with an advisory lock.
 *
 * This class holds the transactions; what each does lives with what it is about: PgRuns,
 * PgClaims, PgSteps, PgWaits, PgEvents, PgApprovals, PgAgentState (sessions and memory) and
 * PgService (API keys and streams); opening the store is postgres-open.ts.
 */
export class PostgresJournal implements Journal {
  readonly dialect = "postgres" as const;
  private readonly db: PgTransactions;
  private readonly approvals: PgApprovals;
  private readonly agents: PgAgentState;
  private readonly runs: PgRuns;
  private readonly claims = new PgClaims();
  private readonly events: PgEvents;
  private readonly steps: PgSteps;
  private readonly waits: PgWaits;
  private readonly service: PgService;
  readonly secrets: PgSecrets;
  private readonly lifecycle: PgLifecycle;
  private readonly deploys: PgDeploys;
  private readonly transfer: PgTransfer;
  private readonly stepCommits: StepCommits;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly pool: PgPool,
    where: string,
    private readonly clock: Clock | undefined,
    private readonly listener: RunnableListener,
    private readonly logListener: RunnableListener,
  ) {
    this.db = new PgTransactions(pool, where, clock);
    this.approvals = new PgApprovals({
      log,
      lockRun: async (sql, ws, runId) => {
        await lockRuns(sql, ws, [runId]);
      },
      resolveWait: async (sql, ws, runId, stepId, at) => {
        await sql.run(
          "UPDATE waits SET resolved_at = $1 WHERE workspace = $2 AND run_id = $3 AND step_id = $4 AND resolved_at IS NULL",
          [at, ws, runId, stepId],
        );
        await this.runs.wake(sql, ws, runId, at);
      },
    });
    this.runs = new PgRuns(this.approvals);
    this.events = new PgEvents(this.runs);
    this.steps = new PgSteps(this.runs, this.events);
    this.waits = new PgWaits(this.runs, this.steps, this.events, this.approvals);
    this.agents = new PgAgentState(this.db);
    this.service = new PgService(this.db);
    this.secrets = new PgSecrets(this.db);
    this.lifecycle = new PgLifecycle(this.runs);
    this.deploys = new PgDeploys(this.db);
    this.transfer = new PgTransfer(this.db);
    this.stepCommits = new StepCommits(this.db, clock, (l, c) =>
      this.db.tx((t) => this.steps.commit(t, l, c)),
    );
  }

  /** Connects, brings the schema up to date (once, whoever else starts at the same time) and opens. */
  static async open(options: PostgresJournalOptions): Promise<PostgresJournal> {
    const { url, clock, ...poolOptions } = options;
    const { pool, where, listener, logListener } = await openPostgres(url, poolOptions);
    return new PostgresJournal(pool, where, clock, listener, logListener);
  }

  /** The pool, for tests and benchmarks that need to reach under the interface. @internal */
  get database(): PgPool {
    return this.pool;
  }

  /** The database's time, without a round trip once known; see PgTransactions.now. */
  now(): Promise<number> {
    return this.db.now();
  }

  close(): Promise<void> {
    this.closed ??= this.stepCommits
      .flush()
      .then(() => Promise.all([this.listener.close(), this.logListener.close(), this.pool.end()]))
      .then(() => undefined);
    return this.closed;
  }

  /** Through LISTEN on one extra connection; see RunnableListener. */
  watch(workspace: string, onRunnable: () => void): () => void {
    return this.listener.watch(workspace, onRunnable);
  }

  // ── runs ──────────────────────────────────────────────────────────────────────────────────

  createRun(run: NewRun): Promise<CreateRunResult> {
    return this.db.tx((t) => this.runs.insert(t, run));
  }

  getRun(workspace: string, runId: string): Promise<RunRecord | undefined> {
    return this.db.read((sql) => this.runs.get(sql, workspace, runId));
  }

  getRunSummary(workspace: string, runId: string): Promise<RunSummary | undefined> {
    return this.db.read((sql) => this.runs.summary(sql, workspace, runId));
  }

  listRuns(workspace: string, filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.db.read((sql) => this.runs.list(sql, workspace, filter));
  }

  claimRuns(request: ClaimRequest): Promise<Lease[]> {
    return this.db.tx((t) => this.claims.claim(t, request, undefined));
  }

  async claimRun(request: ClaimRequest, runId: string): Promise<Lease | undefined> {
    return (await this.db.tx((t) => this.claims.claim(t, { ...request, limit: 1 }, runId)))[0];
  }

  listLeaseOwners(workspace: string, prefix: string): Promise<string[]> {
    return this.db.read((sql) => this.claims.leaseOwners(sql, workspace, prefix));
  }

  renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    return this.db.tx((t) => this.claims.renew(t, lease, ttlMs));
  }

  noteLeaseStarved(workspace: string, runId: string, note: LeaseStarved): Promise<void> {
    return this.db.tx((t) => this.claims.noteLeaseStarved(t, workspace, runId, note));
  }

  // ── steps ─────────────────────────────────────────────────────────────────────────────────

  loadSteps(workspace: string, runId: string): Promise<StepRecord[]> {
    return this.db.read((sql) => this.steps.load(sql, workspace, runId));
  }

  loadAttempts(workspace: string, runId: string): Promise<AttemptRecord[]> {
    return this.db.read((sql) => this.steps.attempts(sql, workspace, runId));
  }

  recordIntent(lease: Lease, step: StepStart): Promise<void> {
    return this.db.tx((t) => this.steps.recordIntent(t, lease, step));
  }

  commitStep(lease: Lease, commit: StepCommit): Promise<CommitOutcome> {
    return this.stepCommits.commit(lease, commit);
  }

  recordRetry(lease: Lease, retry: StepRetry): Promise<CommitOutcome> {
    return this.db.tx((t) => this.steps.recordRetry(t, lease, retry));
  }

  registerWait(lease: Lease, wait: NewWait): Promise<CommitOutcome> {
    return this.db.tx((t) => this.waits.register(t, lease, wait));
  }

  getWait(workspace: string, runId: string, stepId: string): Promise<WaitRecord | undefined> {
    return this.db.read((sql) => this.waits.get(sql, workspace, runId, stepId));
  }

  settleWait(lease: Lease, runId: string, stepId: string): Promise<WaitOutcome> {
    return this.db.tx((t) => this.waits.settle(t, lease, runId, stepId));
  }

  // ── run transitions ───────────────────────────────────────────────────────────────────────

  suspendRun(lease: Lease): Promise<void> {
    return this.db.tx((t) => this.runs.suspend(t, lease));
  }

  completeRun(lease: Lease, output: EncodedPayload): Promise<void> {
    return this.db.tx((t) => this.runs.complete(t, lease, output));
  }

  failRun(lease: Lease, error: SerializedError): Promise<void> {
    return this.db.tx((t) => this.runs.fail(t, lease, error));
  }

  cancelRun(lease: Lease, reason: string): Promise<void> {
    return this.db.tx(async (t) => {
      await fence(t, lease);
      await this.runs.cancel(t, lease.workspace, lease.runId, reason);
    });
  }

  retryRun(lease: Lease, error: SerializedError, runAt: number): Promise<void> {
    return this.db.tx((t) => this.runs.retry(t, lease, error, runAt));
  }

  markNeedsAttention(lease: Lease, stepId: string, reason: string): Promise<void> {
    return this.db.tx((t) => this.runs.markNeedsAttention(t, lease, stepId, reason));
  }

  releaseRun(lease: Lease, handBack?: HandBack): Promise<void> {
    return this.db.tx((t) => this.runs.release(t, lease, handBack));
  }

  // ── operator actions ──────────────────────────────────────────────────────────────────────

  requestCancel(workspace: string, runId: string, reason: string): Promise<RunStatus> {
    return this.db.tx((t) => this.runs.cancel(t, workspace, runId, reason));
  }

  resolveAttention(workspace: string, runId: string, stepId: string, action: AttentionAction): Promise<void> {
    return this.db.tx((t) => this.steps.resolveAttention(t, workspace, runId, stepId, action));
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  sendEvent(workspace: string, event: NewEvent, triggers: NewRun[]): Promise<SendEventResult> {
    return this.db.tx((t) => this.events.send(t, workspace, event, triggers));
  }

  listEvents(workspace: string, filter: { name?: string; limit?: number } = {}): Promise<EventRecord[]> {
    return this.db.read((sql) => this.events.list(sql, workspace, filter));
  }

  // ── approvals ─────────────────────────────────────────────────────────────────────────

  decideApproval(workspace: string, id: string, decision: ApprovalDecision): Promise<ApprovalRecord> {
    return this.db.tx(async (t) => {
      const approval = await this.approvals.decide(t.sql, workspace, id, decision, t.now);
      if (decision.notify)
        await this.events.send(t, workspace, decision.notify.event, decision.notify.triggers);
      return approval;
    });
  }

  getApproval(workspace: string, id: string): Promise<ApprovalRecord | undefined> {
    return this.db.read((sql) => this.approvals.get(sql, workspace, id));
  }

  listApprovals(
    workspace: string,
    filter: { status?: ApprovalStatus; runId?: string; limit?: number } = {},
  ): Promise<ApprovalRecord[]> {
    return this.db.read((sql) => this.approvals.list(sql, workspace, filter));
  }

  // ── agent sessions and memory (see PgAgentState) ───────────────────────────────────────

  readonly loadSession: Journal["loadSession"] = (ws, agent, session, range) =>
    this.agents.loadSession(ws, agent, session, range);
  readonly sessionHead: Journal["sessionHead"] = (ws, agent, session) =>
    this.agents.sessionHead(ws, agent, session);
  readonly appendSession: Journal["appendSession"] = (ws, agent, session, runId, messages) =>
    this.agents.appendSession(ws, agent, session, runId, messages);
  readonly pushInbox: Journal["pushInbox"] = (ws, agent, session, message, runId) =>
    this.agents.pushInbox(ws, agent, session, message, runId);
  readonly takeInbox: Journal["takeInbox"] = (ws, agent, session, runId, stepId, seal) =>
    this.agents.takeInbox(ws, agent, session, runId, stepId, seal);
  readonly saveMemory: Journal["saveMemory"] = (ws, scope, key, text) =>
    this.agents.saveMemory(ws, scope, key, text);
  readonly recallMemory: Journal["recallMemory"] = (ws, scope, query, limit) =>
    this.agents.recallMemory(ws, scope, query, limit);
  readonly forgetMemory: Journal["forgetMemory"] = (ws, scope, key) =>
    this.agents.forgetMemory(ws, scope, key);

  // ── lifecycle (see PgLifecycle) ──────────────────────────────────────────────────────────

  readonly forkRun: Journal["forkRun"] = (run, outputs) =>
    this.db.tx((t) => this.lifecycle.fork(t, run, outputs));
  readonly deleteRun: Journal["deleteRun"] = (ws, id) => this.db.tx((t) => this.lifecycle.delete(t, ws, id));
  readonly collectGarbage: Journal["collectGarbage"] = (ws, before) =>
    this.db.tx((t) => this.lifecycle.collectGarbage(t, ws, before));
  readonly scanSteps: Journal["scanSteps"] = (ws, scan) =>
    this.db.read((sql) => this.lifecycle.scan(sql, ws, scan));

  // ── log ───────────────────────────────────────────────────────────────────────────────────

  readEntries(workspace: string, runId: string, afterSeq = 0): Promise<JournalEntry[]> {
    return this.db.read((sql) => readEntries(sql, workspace, runId, afterSeq));
  }

  nextWakeAt(workspace: string, workflows: readonly string[]): Promise<number | undefined> {
    return this.db.read((sql) => this.claims.nextWakeAt(sql, workspace, workflows));
  }

  // ── API keys and streams (see PgService) ─────────────────────────────────────────────────

  readonly createApiKey: Journal["createApiKey"] = (key) => this.service.createApiKey(key);
  readonly findApiKey: Journal["findApiKey"] = (hash) => this.service.findApiKey(hash);
  readonly listApiKeys: Journal["listApiKeys"] = (ws) => this.service.listApiKeys(ws);
  readonly revokeApiKey: Journal["revokeApiKey"] = (ws, id) => this.service.revokeApiKey(ws, id);
  readonly hasApiKeys: Journal["hasApiKeys"] = () => this.service.hasApiKeys();
  readonly appendStreamChunks: Journal["appendStreamChunks"] = (l, b) =>
    this.service.appendStreamChunks(l, b);
  readonly readFeed: Journal["readFeed"] = (ws, cursor, limit) => this.service.readFeed(ws, cursor, limit);
  readonly feedEnd: Journal["feedEnd"] = () => this.service.feedEnd();
  readonly schemaState: Journal["schemaState"] = () => this.service.schemaState();
  /** Through LISTEN on one extra connection (the log channel); see RunnableListener. */
  readonly watchLog: Journal["watchLog"] = (ws, onAppended) =>
    this.logListener.watch(ws, (detail) => onAppended(...logNotice(detail)));

  // ── versions, deploys, moving runs (see PgDeploys, PgTransfer) ───────────────────────────

  readonly countActiveRuns: Journal["countActiveRuns"] = (ws) => this.deploys.countActive(ws);
  readonly noteUnrunnable: Journal["noteUnrunnable"] = (ws, target, note) =>
    this.deploys.note(ws, target, note);
  readonly migrateRun: Journal["migrateRun"] = (ws, id, v) => this.deploys.migrate(ws, id, v);
  readonly exportRun: Journal["exportRun"] = (ws, id) => this.transfer.export(ws, id);
  readonly importRun: Journal["importRun"] = (ws, data) => this.transfer.import(ws, data);
}
