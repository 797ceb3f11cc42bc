import type { Clock } from "../../shared/clock.js";
import { systemClock } from "../../shared/clock.js";
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
  ForkOrigin,
  JournalEntry,
  Lease,
  NewRun,
  RunRecord,
  RunStatus,
  RunSummary,
  StepRecord,
  WaitRecord,
} from "../records.js";
import type { GarbageCollected, ScannedStep, StepScan } from "../lifecycle-records.js";
import type { SqliteDatabase, SqliteOptions } from "./database.js";
import { openSqlite, sqliteStoreError } from "./database.js";
import { FileWatch } from "./file-watch.js";
import type { JournalTransaction } from "./group-commit.js";
import { GroupCommit } from "./group-commit.js";
import { StallMeter } from "../stall-meter.js";
import { SqliteAgentState } from "./sqlite-agent-state.js";
import { SqliteApprovals } from "./sqlite-approvals.js";
import { SqliteClaims } from "./sqlite-claims.js";
import { SqliteDeploys } from "./sqlite-deploys.js";
import { SqliteEvents } from "./sqlite-events.js";
import { SqliteLifecycle } from "./sqlite-lifecycle.js";
import { SqliteRuns } from "./sqlite-runs.js";
import { SqliteSecrets } from "./sqlite-secrets.js";
import { SqliteService } from "./sqlite-service.js";
import { SqliteSteps } from "./sqlite-steps.js";
import { SqliteStore } from "./sqlite-store.js";
import { SqliteTransfer } from "./sqlite-transfer.js";
import { SqliteWaits } from "./sqlite-waits.js";

export interface SqliteJournalOptions extends SqliteOptions {
  clock?: Clock;
}

/**
 * The embedded journal on one SQLite file (WAL). Several processes may share the file; each
 * method is one IMMEDIATE transaction, so writers are serialised by SQLite itself.
 *
 * This class holds the transactions; what each does lives with what it is about: SqliteRuns,
 * SqliteClaims, SqliteSteps, SqliteWaits, SqliteEvents, SqliteApprovals, SqliteAgentState
 * (sessions and memory) and SqliteService (API keys and streams).
 */
export class SqliteJournal implements Journal {
  readonly dialect = "sqlite" as const;
  private readonly db: SqliteDatabase;
  private readonly clock: Clock;
  /** One transaction wrapper for every write: better-sqlite3 builds it once, not per call. */
  private readonly transaction: JournalTransaction;
  private readonly writes: GroupCommit;
  private readonly store: SqliteStore;
  private readonly runs: SqliteRuns;
  private readonly claims: SqliteClaims;
  private readonly steps: SqliteSteps;
  private readonly waits: SqliteWaits;
  private readonly events: SqliteEvents;
  private readonly agents: SqliteAgentState;
  private readonly approvals: SqliteApprovals;
  readonly secrets: SqliteSecrets;
  private readonly service: SqliteService;
  private readonly failure: (err: unknown) => Error;
  private readonly stalls = new StallMeter();
  private readonly file: FileWatch;
  private readonly lifecycle: SqliteLifecycle;
  private readonly deploys: SqliteDeploys;
  private readonly transfer: SqliteTransfer;

  constructor(options: SqliteJournalOptions) {
    this.db = openSqlite(options);
    this.file = new FileWatch(options.path);
    this.failure = (err) => sqliteStoreError(err, options.path);
    this.clock = options.clock ?? systemClock;
    this.transaction = this.db.transaction((fn: () => unknown) => fn());
    this.writes = new GroupCommit(() => this.transaction, this.failure, this.stalls);
    this.store = new SqliteStore(this.db, this.clock);
    const sql = (text: string) => this.store.sql(text);
    this.approvals = new SqliteApprovals({
      sql,
      log: (ws, runId, type, stepId, at, data) => this.store.log.append(ws, runId, type, stepId, at, data),
      resolveWait: (ws, runId, stepId, at) => this.waits.resolve(ws, runId, stepId, at),
    });
    this.agents = new SqliteAgentState(sql, this.clock, this.writes, (fn) => this.read(fn));
    this.runs = new SqliteRuns(this.store, this.approvals);
    this.claims = new SqliteClaims(this.store, this.runs);
    this.events = new SqliteEvents(this.store, this.runs);
    this.steps = new SqliteSteps(this.store, this.runs, this.events);
    this.waits = new SqliteWaits(this.store, this.runs, this.steps, this.events, this.approvals);
    this.secrets = new SqliteSecrets(
      sql,
      this.clock,
      (fn) => this.writes.tx(fn),
      (fn) => this.read(fn),
    );
    this.service = new SqliteService(this.db, this.store, this.clock, this.writes, (fn) => this.read(fn));
    this.lifecycle = new SqliteLifecycle(this.store, this.runs);
    this.deploys = new SqliteDeploys(this.store);
    this.transfer = new SqliteTransfer(this.store);
  }

  /** The raw database, for tests and benchmarks that need to reach under the interface. @internal */
  get database(): SqliteDatabase {
    return this.db;
  }

  now(): Promise<number> {
    return Promise.resolve(this.clock.now());
  }

  close(): Promise<void> {
    this.service.stop();
    this.db.close();
    return Promise.resolve();
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.stalls.time(fn));
    } catch (err) {
      return Promise.reject(this.failure(err));
    }
  }

  stalledMs(since: number): number {
    return this.stalls.since(since);
  }

  // ── runs ──────────────────────────────────────────────────────────────────────────────────

  createRun(run: NewRun): Promise<CreateRunResult> {
    return this.writes.tx(() => this.runs.insert(run, this.clock.now()));
  }

  getRun(workspace: string, runId: string): Promise<RunRecord | undefined> {
    return this.read(() => this.runs.get(workspace, runId));
  }

  getRunSummary(workspace: string, runId: string): Promise<RunSummary | undefined> {
    return this.read(() => this.runs.summary(workspace, runId));
  }

  listRuns(workspace: string, filter: RunFilter = {}): Promise<RunSummary[]> {
    return this.read(() => this.runs.list(workspace, filter));
  }

  // Claims, heartbeats and the idle look for work first check that the path still names the
  // file this process opened: a worker must not go on alone on a deleted one.
  claimRuns(request: ClaimRequest): Promise<Lease[]> {
    return this.writes.tx(() => {
      this.file.check();
      return this.claims.claim(request, undefined);
    });
  }

  claimRun(request: ClaimRequest, runId: string): Promise<Lease | undefined> {
    return this.writes.tx(() => {
      this.file.check();
      return this.claims.claim({ ...request, limit: 1 }, runId)[0];
    });
  }

  listLeaseOwners(workspace: string, prefix: string): Promise<string[]> {
    return this.read(() => this.claims.leaseOwners(workspace, prefix));
  }

  renewLease(lease: Lease, ttlMs: number): Promise<Lease> {
    return this.writes.tx(() => {
      this.file.check();
      return this.claims.renew(lease, ttlMs);
    });
  }

  noteLeaseStarved(workspace: string, runId: string, note: LeaseStarved): Promise<void> {
    return this.writes.tx(() => this.claims.noteLeaseStarved(workspace, runId, note));
  }

  // ── steps ─────────────────────────────────────────────────────────────────────────────────

  loadSteps(workspace: string, runId: string): Promise<StepRecord[]> {
    return this.read(() => this.steps.load(workspace, runId));
  }

  loadAttempts(workspace: string, runId: string): Promise<AttemptRecord[]> {
    return this.read(() => this.steps.attempts(workspace, runId));
  }

  recordIntent(lease: Lease, step: StepStart): Promise<void> {
    return this.writes.tx(() => this.steps.recordIntent(lease, step));
  }

  commitStep(lease: Lease, commit: StepCommit): Promise<CommitOutcome> {
    return this.writes.grouped(() => this.steps.commit(lease, commit));
  }

  recordRetry(lease: Lease, retry: StepRetry): Promise<CommitOutcome> {
    return this.writes.tx(() => this.steps.recordRetry(lease, retry));
  }

  registerWait(lease: Lease, wait: NewWait): Promise<CommitOutcome> {
    return this.writes.tx(() => this.waits.register(lease, wait));
  }

  getWait(workspace: string, runId: string, stepId: string): Promise<WaitRecord | undefined> {
    return this.read(() => this.waits.get(workspace, runId, stepId));
  }

  settleWait(lease: Lease, runId: string, stepId: string): Promise<WaitOutcome> {
    return this.writes.tx(() => this.waits.settle(lease, runId, stepId));
  }

  // ── run transitions ───────────────────────────────────────────────────────────────────────

  suspendRun(lease: Lease): Promise<void> {
    return this.writes.tx(() => this.runs.suspend(lease));
  }

  completeRun(lease: Lease, output: EncodedPayload): Promise<void> {
    return this.writes.tx(() => this.runs.complete(lease, output));
  }

  failRun(lease: Lease, error: SerializedError): Promise<void> {
    return this.writes.tx(() => this.runs.fail(lease, error));
  }

  cancelRun(lease: Lease, reason: string): Promise<void> {
    return this.writes.tx(() => this.runs.cancel(lease, reason));
  }

  retryRun(lease: Lease, error: SerializedError, runAt: number): Promise<void> {
    return this.writes.tx(() => this.runs.retry(lease, error, runAt));
  }

  markNeedsAttention(lease: Lease, stepId: string, reason: string): Promise<void> {
    return this.writes.tx(() => this.runs.markNeedsAttention(lease, stepId, reason));
  }

  releaseRun(lease: Lease, handBack?: HandBack): Promise<void> {
    return this.writes.tx(() => this.runs.release(lease, handBack));
  }

  // ── operator actions ──────────────────────────────────────────────────────────────────────

  requestCancel(workspace: string, runId: string, reason: string): Promise<RunStatus> {
    return this.writes.tx(() => this.runs.requestCancel(workspace, runId, reason, this.clock.now()));
  }

  resolveAttention(workspace: string, runId: string, stepId: string, action: AttentionAction): Promise<void> {
    return this.writes.tx(() => this.steps.resolveAttention(workspace, runId, stepId, action));
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────

  sendEvent(workspace: string, event: NewEvent, triggers: NewRun[]): Promise<SendEventResult> {
    return this.writes.tx(() => this.events.send(workspace, event, triggers, this.clock.now()));
  }

  listEvents(workspace: string, filter: { name?: string; limit?: number } = {}): Promise<EventRecord[]> {
    return this.read(() => this.events.list(workspace, filter));
  }

  // ── approvals ─────────────────────────────────────────────────────────────────────────

  decideApproval(workspace: string, id: string, decision: ApprovalDecision): Promise<ApprovalRecord> {
    return this.writes.tx(() => {
      const now = this.clock.now();
      const approval = this.approvals.decide(workspace, id, decision, now);
      if (decision.notify) this.events.send(workspace, decision.notify.event, decision.notify.triggers, now);
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

  // ── agent sessions and memory (see SqliteAgentState) ────────────────────────────────────

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

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  forkRun(
    run: NewRun & { forkedFrom: ForkOrigin },
    outputs: Record<string, EncodedPayload>,
  ): Promise<RunSummary> {
    return this.writes.tx(() => this.lifecycle.fork(run, outputs));
  }

  deleteRun(workspace: string, runId: string): Promise<string[]> {
    return this.writes.tx(() => this.lifecycle.delete(workspace, runId));
  }

  collectGarbage(workspace: string, before: number): Promise<GarbageCollected> {
    return this.writes.tx(() => this.lifecycle.collectGarbage(workspace, before));
  }

  scanSteps(workspace: string, scan: StepScan): Promise<ScannedStep[]> {
    return this.read(() => this.lifecycle.scan(workspace, scan));
  }

  // ── log ───────────────────────────────────────────────────────────────────────────────────

  readEntries(workspace: string, runId: string, afterSeq = 0): Promise<JournalEntry[]> {
    return this.read(() => this.store.log.read(workspace, runId, afterSeq));
  }

  nextWakeAt(workspace: string, workflows: readonly string[]): Promise<number | undefined> {
    return this.read(() => {
      this.file.check();
      return this.claims.nextWakeAt(workspace, workflows);
    });
  }

  // ── API keys and streams (see SqliteService) ─────────────────────────────────────────────

  readonly createApiKey: Journal["createApiKey"] = (key) => this.service.createApiKey(key);
  readonly findApiKey: Journal["findApiKey"] = (hash) => this.service.findApiKey(hash);
  readonly listApiKeys: Journal["listApiKeys"] = (ws) => this.service.listApiKeys(ws);
  readonly revokeApiKey: Journal["revokeApiKey"] = (ws, id) => this.service.revokeApiKey(ws, id);
  readonly hasApiKeys: Journal["hasApiKeys"] = () => this.service.hasApiKeys();
  readonly appendStreamChunks: Journal["appendStreamChunks"] = (l, b) =>
    this.service.appendStreamChunks(l, b);
  readonly readFeed: Journal["readFeed"] = (ws, cursor, limit) => this.service.readFeed(ws, cursor, limit);
  readonly feedEnd: Journal["feedEnd"] = (ws) => this.service.feedEnd(ws);
  readonly schemaState: Journal["schemaState"] = () => this.service.schemaState();
  readonly watchLog: Journal["watchLog"] = (ws, onAppended) => this.service.watchLog(ws, onAppended);

  // ── versions, deploys, moving runs (see SqliteDeploys, SqliteTransfer) ───────────────────────

  readonly countActiveRuns: Journal["countActiveRuns"] = (ws) =>
    this.read(() => this.deploys.countActive(ws));
  readonly noteUnrunnable: Journal["noteUnrunnable"] = (ws, target, note) =>
    this.writes.tx(() => this.deploys.note(ws, target, note));
  readonly migrateRun: Journal["migrateRun"] = (ws, id, v) =>
    this.writes.tx(() => this.deploys.migrate(ws, id, v));
  readonly exportRun: Journal["exportRun"] = (ws, id) => this.read(() => this.transfer.export(ws, id));
  readonly importRun: Journal["importRun"] = (ws, data) =>
    this.writes.tx(() => this.transfer.import(ws, data));
}
