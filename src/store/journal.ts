import type {
  RunFilter,
  ClaimRequest,
  LeaseStarved,
  StepStart,
  StepCommit,
  StepRetry,
  HandBack,
  CommitOutcome,
  NewWait,
  ApprovalDecision,
  WaitOutcome,
  AttentionAction,
  NewEvent,
  SendEventResult,
} from "./journal-requests.js";
import type { EncodedPayload } from "../shared/payload.js";
import type { SerializedError } from "../shared/serialized-error.js";
import type { ImportResult, RunExport } from "./run-export.js";
import type {
  ActiveRunGroup,
  ApprovalRecord,
  ApprovalStatus,
  AttemptRecord,
  CreateRunResult,
  EventRecord,
  JournalEntry,
  Lease,
  MemoryRecord,
  MemoryScope,
  SessionMessage,
  NewRun,
  RunRecord,
  RunStatus,
  RunSummary,
  StepRecord,
  WaitRecord,
} from "./records.js";
import type { SecretRows } from "./secret-records.js";
import type { ApiKeyRecord, FeedItem, NewApiKey, SchemaState, StreamChunkBatch } from "./service-records.js";
import type { ForkedRun, GarbageCollected, ScannedStep, SessionRange } from "./lifecycle-records.js";
import type { StepScan } from "./lifecycle-records.js";

/**
 * The durable journal: the only state Cairn has. The engine, CLI, server and dashboard all
 * read and write through this interface; SQLite and PostgreSQL implement it and pass one
 * shared conformance suite (test/store/journal-conformance.ts).
 *
 * Contract, beyond the types:
 * - Time comes from the store's clock (`now()`), never from the caller: leases and timers
 *   cannot be moved by a worker whose clock is wrong.
 * - Every method taking a `Lease` is fenced: it throws `LeaseLostError` (code
 *   CAIRN_LEASE_LOST) and writes nothing when the run's lease epoch is no longer the
 *   lease's, or the run was taken by another owner. Two workers can never both commit.
 * - Each method is one transaction: its writes and the log entries describing them commit
 *   together or not at all.
 * - Every read and write is scoped to one workspace.
 * - A payload that cannot be decoded throws `CorruptPayloadError` naming the run and step;
 *   it never affects another run.
 */
export interface Journal {
  readonly dialect: "sqlite" | "postgres";
  /** Sealed secrets (the vault's rows); values are encrypted before they get here. */
  readonly secrets: SecretRows;

  /** The store's clock, in ms since the epoch. */
  now(): Promise<number>;
  close(): Promise<void>;

  // ── runs ────────────────────────────────────────────────────────────────────────────────
  /**
   * Creates a run, honouring its idempotency key (an existing run with the same key is
   * returned, `created: false`) and singleton (skip: the active run is returned; cancel: the
   * active run is cancelled, or asked to stop at its next step if running; queue: the run is
   * created behind the active ones).
   */
  createRun(run: NewRun): Promise<CreateRunResult>;
  /** Undefined when there is no such run in the workspace. Throws CorruptPayloadError. */
  getRun(workspace: string, runId: string): Promise<RunRecord | undefined>;
  getRunSummary(workspace: string, runId: string): Promise<RunSummary | undefined>;
  listRuns(workspace: string, filter?: RunFilter): Promise<RunSummary[]>;

  /**
   * Claims up to `limit` runnable runs for `owner`: queued or waiting runs whose `wakeAt` has
   * come, and running runs whose lease expired or whose owner is in `deadOwners`. Each claim
   * bumps the lease epoch. A run with a concurrency key is claimed only while fewer than its
   * limit of runs with that key are running. A queued run with a singleton key is claimed only
   * once every other active run of its workflow and key is queued and created after it (by
   * `createdAt`, then id): the runs of a key take turns in creation order, and a run that waits
   * or needs attention keeps its turn until it ends. Only runs of `workflows` are claimed.
   */
  claimRuns(request: ClaimRequest): Promise<Lease[]>;
  /** Claims one given run if it is runnable (same rules as claimRuns). */
  claimRun(request: ClaimRequest, runId: string): Promise<Lease | undefined>;
  /** Owners holding leases on running runs whose owner id starts with `prefix`. */
  listLeaseOwners(workspace: string, prefix: string): Promise<string[]>;
  /** Extends the lease to now + ttl and returns the new lease. Fenced. */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease>;
  /**
   * Records that a step kept a worker's event loop busy past the run's lease: the run's claims
   * from now on get a lease of at least `note.leaseTtlMs` (never shortened), and its log gets a
   * `run.lease_starved` entry. Not fenced: the worker that noticed may have lost the run.
   */
  noteLeaseStarved(workspace: string, runId: string, note: LeaseStarved): Promise<void>;

  // ── steps ───────────────────────────────────────────────────────────────────────────────
  /** Every step of a run in seq order, decoded. */
  loadSteps(workspace: string, runId: string): Promise<StepRecord[]>;
  loadAttempts(workspace: string, runId: string): Promise<AttemptRecord[]>;
  /** Records that a side-effecting step is about to run (attempt `attempt`). Fenced. */
  recordIntent(lease: Lease, step: StepStart): Promise<void>;
  /**
   * Commits a step's final result (completed or failed), and for `send` steps the event it
   * sends, in one transaction. Fenced. Returns whether the run was asked to cancel.
   */
  commitStep(lease: Lease, commit: StepCommit): Promise<CommitOutcome>;
  /** Records a failed attempt; the step is retried once `retryAt` has come. Fenced. */
  recordRetry(lease: Lease, retry: StepRetry): Promise<CommitOutcome>;
  /**
   * Registers a wait (sleep, event, child run) for a step. For a child wait, `child` is created
   * in the same transaction (idempotent by its id). Fenced.
   */
  registerWait(lease: Lease, wait: NewWait): Promise<CommitOutcome>;
  /**
   * Settles a waiting step if it can be: an event or child result already arrived, or the
   * due time has passed (a timeout is a normal outcome: `{ status: "timeout" }`, never an
   * error). Commits the step with that outcome in the same transaction. Fenced.
   */
  settleWait(lease: Lease, runId: string, stepId: string): Promise<WaitOutcome>;
  getWait(workspace: string, runId: string, stepId: string): Promise<WaitRecord | undefined>;

  // ── run transitions (all fenced; all release the lease) ────────────────────────────────
  /** Parks the run until its earliest wait or retry is due, or until a wait is resolved. */
  suspendRun(lease: Lease): Promise<void>;
  completeRun(lease: Lease, output: EncodedPayload): Promise<void>;
  failRun(lease: Lease, error: SerializedError): Promise<void>;
  cancelRun(lease: Lease, reason: string): Promise<void>;
  /** Workflow-level retry: failed steps are forgotten and the run is queued again at `runAt`. */
  retryRun(lease: Lease, error: SerializedError, runAt: number): Promise<void>;
  /** Pauses the run for a person; `stepId` is the step they must retry or skip. */
  markNeedsAttention(lease: Lease, stepId: string, reason: string): Promise<void>;
  /**
   * Hands the run back unfinished: it is runnable again at once (a worker shutting down), or,
   * after a store error stopped its execution, once `handBack.delayMs` has passed (store clock).
   */
  releaseRun(lease: Lease, handBack?: HandBack): Promise<void>;

  // ── operator actions (not leased) ──────────────────────────────────────────────────────
  /**
   * Cancels a run: at once when it is not running (its waits are dropped and a waiting
   * parent is told), otherwise it is asked to stop at its next step. Children are cancelled
   * too. Returns the run's status afterwards. Throws NotFoundError for an unknown run.
   */
  requestCancel(workspace: string, runId: string, reason: string): Promise<RunStatus>;
  /**
   * Resolves a needs-attention step: "retry" runs it again (same idempotency key), "skip"
   * commits `output` as its result. The run becomes runnable.
   */
  resolveAttention(workspace: string, runId: string, stepId: string, action: AttentionAction): Promise<void>;

  // ── events ──────────────────────────────────────────────────────────────────────────────
  /**
   * Stores an event (idempotent by id), resolves the waits it matches, and creates the runs it
   * triggers, in one transaction.
   */
  sendEvent(workspace: string, event: NewEvent, triggers: NewRun[]): Promise<SendEventResult>;
  listEvents(workspace: string, filter?: { name?: string; limit?: number }): Promise<EventRecord[]>;

  // ── approvals ─────────────────────────────────────────────────────────────────────────
  /**
   * Records a person's decision on a pending approval and wakes its run, in one transaction.
   * Throws ConflictError when it was already decided (or the request changed since the decider
   * saw it), InputError CAIRN_FORBIDDEN for a decider not among its approvers, and
   * CAIRN_APPROVAL_EXPIRED once its time is up.
   */
  decideApproval(workspace: string, id: string, decision: ApprovalDecision): Promise<ApprovalRecord>;
  getApproval(workspace: string, id: string): Promise<ApprovalRecord | undefined>;
  listApprovals(
    workspace: string,
    filter?: { status?: ApprovalStatus; runId?: string; limit?: number },
  ): Promise<ApprovalRecord[]>;

  // ── agent sessions and memory ──────────────────────────────────────────────────────────
  /**
   * A session's conversation, oldest first: with `upTo`, only messages up to that seq; with
   * `last`, only the last that many of those. Throws CorruptPayloadError for a bad message.
   */
  loadSession(
    workspace: string,
    agent: string,
    session: string,
    range?: SessionRange,
  ): Promise<SessionMessage[]>;
  /** Appends a run's messages to its session; a second call for the same run changes nothing. */
  /**
   * Appends a run's part of the conversation: `messages` is all of it so far, and those the run
   * appended before are skipped, so a run can save again after it took in more messages.
   */
  appendSession(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    messages: EncodedPayload[],
  ): Promise<void>;
  /**
   * Leaves a message for the session's run `runId` to pick up before its next model call. Returns
   * its id, or undefined when that run takes no more messages (it ended, or closed its inbox).
   */
  pushInbox(
    workspace: string,
    agent: string,
    session: string,
    message: EncodedPayload,
    runId: string,
  ): Promise<string | undefined>;
  /**
   * Takes the waiting inbox messages for `runId`'s step `stepId`, oldest first. Idempotent: the
   * same step asking again gets the same messages (plus any that arrived since). With `seal`,
   * when there are none the run's inbox closes in the same transaction: pushInbox refuses it
   * from then on, so a message comes to a new run instead of waiting for one that has finished.
   */
  takeInbox(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
    seal?: boolean,
  ): Promise<unknown[]>;
  saveMemory(workspace: string, scope: MemoryScope, key: string, text: string): Promise<void>;
  /** Memories whose key or text contains `query` (all when empty), newest first. */
  recallMemory(workspace: string, scope: MemoryScope, query: string, limit: number): Promise<MemoryRecord[]>;
  forgetMemory(workspace: string, scope: MemoryScope, key: string): Promise<boolean>;

  /** The seq of a session's latest message; 0 for a session with none. */
  sessionHead(workspace: string, agent: string, session: string): Promise<number>;

  // ── lifecycle: forks, deletion, garbage (see lifecycle-records.ts) ─────────────────────
  /**
   * Creates `run` (its `forkedFrom` set) with the journal of `forkedFrom.runId` before step
   * `forkedFrom.stepId`: every step of it that ended (completed or failed) and comes before that
   * step is copied by reference (rows, never payload blobs), `outputs` replacing some outputs; an
   * output for the fork step itself records it as completed. One transaction; the original is
   * untouched. NotFoundError for an unknown run or step, InputError for an output of another step.
   */
  forkRun(run: ForkedRun, outputs: Record<string, EncodedPayload>): Promise<RunSummary>;
  /**
   * Deletes an ended run and its child runs (steps, log, waits, approvals; blobs stay until
   * collectGarbage); returns their ids. NotFoundError; ConflictError while any has not ended.
   */
  deleteRun(workspace: string, runId: string): Promise<string[]>;
  /** Deletes payload blobs stored before `before` (ms) that no run, step or event refers to. */
  collectGarbage(workspace: string, before: number): Promise<GarbageCollected>;
  /** Completed steps named `names` (any occurrence: `model`, `model#2`…) of runs matching the window. */
  scanSteps(workspace: string, scan: StepScan): Promise<ScannedStep[]>;

  // ── log ─────────────────────────────────────────────────────────────────────────────────
  /** The run's log entries after `afterSeq`, oldest first. */
  readEntries(workspace: string, runId: string, afterSeq?: number): Promise<JournalEntry[]>;
  /** The earliest `wakeAt` among queued or waiting runs of `workflows`, if any. */
  nextWakeAt(workspace: string, workflows: readonly string[]): Promise<number | undefined>;

  // ── API keys ────────────────────────────────────────────────────────────────────────────
  /** Stores a key (its hash only) and creates its workspace if new. */
  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>;
  /**
   * The key with this hash, revoked or not, in whichever workspace: the one read not scoped to a
   * workspace, since the key is what names the workspace.
   */
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(workspace: string): Promise<ApiKeyRecord[]>;
  /** Revokes a key; undefined when the workspace has no such key. Revoking twice changes nothing. */
  revokeApiKey(workspace: string, id: string): Promise<ApiKeyRecord | undefined>;
  /** Whether any workspace has a key that is not revoked. */
  hasApiKeys(): Promise<boolean>;

  // ── streams ─────────────────────────────────────────────────────────────────────────────
  /**
   * Appends what a running step reported (a batch of parts) to the run's log as one
   * `step.progress` entry, so any process can stream it. Fenced by the lease, without locking
   * the run: a worker that lost the run writes nothing (LeaseLostError).
   */
  appendStreamChunks(lease: Lease, batch: StreamChunkBatch): Promise<void>;
  /**
   * The workspace's feed after `cursor` (from the start when undefined), oldest first: the run,
   * approval and event entries of every run, in the order they committed. A change that has not
   * committed yet is never skipped by a later one that has.
   */
  readFeed(workspace: string, cursor: string | undefined, limit: number): Promise<FeedItem[]>;
  /**
   * A cursor at the feed's present end: `readFeed` after it gives only what commits from now on
   * (and, on PostgreSQL, possibly a few changes that were committing at this moment).
   */
  feedEnd(workspace: string): Promise<string>;
  /** The store's schema version, against the newest this code knows. */
  schemaState(): Promise<SchemaState>;

  // ── versions and deploys ────────────────────────────────────────────────────────────────
  /** Runs that have not ended (queued, running, waiting, needs-attention), per workflow and version. */
  countActiveRuns(workspace: string): Promise<ActiveRunGroup[]>;
  /**
   * Notes why no worker here can execute the runs of `target.workflow` (of `target.version` only,
   * when given) that have not ended: the note becomes their `reason` (`{id}` in it replaced by
   * each run's id) until a worker claims one. Runs running under a live lease, and runs that need
   * attention, keep theirs. Returns how many runs were noted.
   */
  noteUnrunnable(
    workspace: string,
    target: { workflow: string; version?: string },
    note: string,
  ): Promise<number>;
  /**
   * An operator moves a run that has not ended to another version of its workflow's code; logged
   * as `run.migrated`. NotFoundError for an unknown run; ConflictError for one that ended or is
   * running under a live lease.
   */
  migrateRun(workspace: string, runId: string, version: string): Promise<RunSummary>;

  // ── moving runs between stores ──────────────────────────────────────────────────────────
  /**
   * A run and every run under it (child runs, sub-agents) as rows any store imports: runs, steps,
   * attempts, waits, log entries, approvals, the events their waits received, and the blobs of
   * their large payloads. NotFoundError for an unknown run.
   */
  exportRun(workspace: string, runId: string): Promise<RunExport>;
  /**
   * Stores an exported run (and the runs under it) in `workspace`, in one transaction, as they
   * were: a run that has not ended goes on where any worker here has its workflow. ConflictError
   * when one of its runs exists here already; InputError for an export that is not one.
   */
  importRun(workspace: string, data: RunExport): Promise<ImportResult>;

  // ── notifications ───────────────────────────────────────────────────────────────────────
  /**
   * Calls `onRunnable` soon after any process gives a queued or waiting run of `workspace` a wake
   * time (a new run, a timer, an event, a decision, a released lease), and once after the store
   * was out of reach (notifications may have been missed then). Returns an unsubscribe. Stores
   * that cannot tell other processes' changes (SQLite) leave it out, and their workers poll.
   */
  watch?(workspace: string, onRunnable: () => void): () => void;
  /**
   * Milliseconds this process spent blocked inside the store's synchronous calls since `since`
   * (a `performance.now()` time): SQLite waiting out another process's write lock holds the whole
   * event loop. Stores that never block the event loop leave it out.
   */
  stalledMs?(since: number): number;
  /**
   * Calls `onAppended(runId)` soon after any process appends to a run's log in `workspace`;
   * `runId` is undefined when the store cannot tell which run (SQLite: any change to the file),
   * and after a dropped connection. `stepsOnly` is true when what was appended is known to be
   * step results alone, so the run's state is unchanged (a run's waiters need not look).
   * Returns an unsubscribe.
   */
  watchLog(workspace: string, onAppended: LogWatcher): () => void;
}

/** What `Journal.watchLog` calls: the run whose log grew (if known), and whether only by step results. */
export type LogWatcher = (runId: string | undefined, stepsOnly?: boolean) => void;

export type {
  RunFilter,
  ClaimRequest,
  LeaseStarved,
  StepStart,
  StepCommit,
  StepRetry,
  HandBack,
  CommitOutcome,
  NewWait,
  NewApproval,
  ApprovalDecision,
  WaitOutcome,
  AttentionAction,
  NewEvent,
  SendEventResult,
} from "./journal-requests.js";
