import type { SerializedError } from "../shared/serialized-error.js";
import type { EncodedPayload } from "../shared/payload.js";

/** Where a run is in its life. Terminal: completed, failed, cancelled. */
export type RunStatus =
  "queued" | "running" | "waiting" | "completed" | "failed" | "cancelled" | "needs-attention";

export const TERMINAL_STATUSES: readonly RunStatus[] = ["completed", "failed", "cancelled"];
export const RUN_STATUSES: readonly RunStatus[] = [
  "queued",
  "running",
  "waiting",
  "completed",
  "failed",
  "cancelled",
  "needs-attention",
];

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A run as listed: everything but its payloads. */
export interface RunSummary {
  id: string;
  workspace: string;
  workflow: string;
  status: RunStatus;
  parentRunId: string | null;
  parentStepId: string | null;
  idempotencyKey: string | null;
  concurrencyKey: string | null;
  singletonKey: string | null;
  /** Workflow-level attempt, from 1. */
  attempt: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** When a queued or waiting run becomes runnable; null while it waits on something undated. */
  wakeAt: number | null;
  leaseOwner: string | null;
  leaseEpoch: number;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
  /**
   * A lease longer than workers ask for, which the run's claims get: recorded when a step kept
   * a worker's event loop busy past a shorter one. Null when none was needed.
   */
  leaseTtlMs: number | null;
  /** Bytes of payload this run has written (inputs, outputs, errors). */
  storedBytes: number;
  /** Why the run is waiting, needs attention, or ended as it did; for people. */
  reason: string | null;
  error: SerializedError | null;
  /** The run and step this run was forked from (`cairn runs fork`), or null. */
  forkedFrom: ForkOrigin | null;
  /**
   * The version of the code the run started on: `hash:…` (its workflow's definition, hashed) or
   * the version its author set; null for a run created before versions were recorded.
   */
  version: string | null;
}

/** Where a forked run came from: it reuses that run's journal before that step. */
export interface ForkOrigin {
  runId: string;
  stepId: string;
}

/** A run with its payloads decoded. */
export interface RunRecord extends RunSummary {
  input: unknown;
  output: unknown;
}

/** `patch`: a marker `step.patched` records, so a run knows it took the new path. */
export type StepKind = "run" | "sleep" | "event" | "send" | "invoke" | "start" | "approval" | "patch";

/**
 * started: a side-effecting step recorded its intent and has no result yet.
 * retrying: an attempt failed and the next one is due at `retryAt`.
 * waiting: a sleep, event wait or child run registered and not yet resolved.
 */
export type StepStatus = "started" | "retrying" | "waiting" | "completed" | "failed";

export interface StepRecord {
  runId: string;
  stepId: string;
  /** Position of the step call in the handler, from 0: replay checks it against the code. */
  seq: number;
  kind: StepKind;
  status: StepStatus;
  /** Attempts made so far, from 1. */
  attempt: number;
  output: unknown;
  error: SerializedError | null;
  startedAt: number;
  endedAt: number | null;
  retryAt: number | null;
  sideEffect: boolean;
  /** Bytes of the output payload. */
  outputBytes: number;
}

export interface AttemptRecord {
  runId: string;
  stepId: string;
  attempt: number;
  startedAt: number;
  endedAt: number;
  error: SerializedError | null;
  /** Why the attempt ended without a result: "failed", "crashed" (intent found on resume), "skipped". */
  outcome: string;
}

export type WaitKind = "sleep" | "event" | "child" | "approval";

export interface WaitRecord {
  runId: string;
  stepId: string;
  kind: WaitKind;
  eventName: string | null;
  match: Record<string, unknown> | null;
  childRunId: string | null;
  /** When a sleep ends or an event wait times out. */
  dueAt: number | null;
  resolvedAt: number | null;
}

/** One line of the run's append-only log: what streams, traces and the CLI read. */
export interface JournalEntry {
  /** Position in the run's log, from 1. */
  seq: number;
  /** Null for workspace-wide entries (a sent event). */
  runId: string | null;
  type: string;
  stepId: string | null;
  at: number;
  data: Record<string, unknown>;
}

export interface EventRecord {
  id: string;
  workspace: string;
  name: string;
  data: unknown;
  at: number;
}

/** Proof that a worker holds a run: every write carries it and is refused once a newer epoch exists. */
export interface Lease {
  workspace: string;
  runId: string;
  owner: string;
  epoch: number;
  expiresAt: number;
  /** Set by a claim: the run's hand-backs in a row without progress (see `HandBack`). */
  handBacks?: number;
  /** Set by a claim: the lease's length, longer than asked when the run needs it (`leaseTtlMs`). */
  ttlMs?: number;
}

export interface NewRun {
  id: string;
  workspace: string;
  workflow: string;
  input: EncodedPayload;
  parentRunId?: string;
  parentStepId?: string;
  idempotencyKey?: string;
  concurrency?: { key: string; limit: number };
  /** See WorkflowOptions.singleton; a run is claimed only once the earlier runs of its key ended. */
  singleton?: { key: string; mode: "cancel" | "skip" | "queue" };
  /** When the run may first start (default: now). */
  runAt?: number;
  /** The version of the workflow's code the run starts on (see RunSummary.version). */
  version?: string;
  /**
   * Creates the run already failed with this error (its input was refused, e.g. an event whose
   * data fails a triggered workflow's schema): listed, never claimed, `run.ended` in its log.
   */
  failed?: SerializedError;
  /** A fork: recorded with the run (see Journal.forkRun). */
  forkedFrom?: ForkOrigin;
}

export interface CreateRunResult {
  run: RunSummary;
  /** False when an idempotency key or a skip-singleton returned an existing run. */
  created: boolean;
  /** Runs cancelled by a cancel-mode singleton. */
  cancelled: string[];
}

/** One message of an agent session's conversation. */
export interface SessionMessage {
  seq: number;
  runId: string;
  message: unknown;
  at: number;
}

/** Who a memory belongs to: an agent, for one user. */
export interface MemoryScope {
  agent: string;
  user: string;
}

export interface MemoryRecord {
  key: string;
  text: string;
  updatedAt: number;
}

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "cancelled";

/** What happens when an approval request is not decided in time. */
export type ApprovalTimeoutPolicy =
  | { action: "reject" }
  | { action: "fail" }
  | { action: "approve"; args?: unknown }
  | { action: "escalate"; approvers: string[]; timeoutMs: number };

export interface ApprovalRecord {
  id: string;
  workspace: string;
  runId: string;
  stepId: string;
  /** Requests made by one model response share a batch, decided together or one by one. */
  batchId: string | null;
  status: ApprovalStatus;
  title: string;
  /** What the approver is shown: for a tool call, the tool, its arguments, the agent's message. */
  request: unknown;
  /** Hash of the exact arguments shown; the approval is bound to it. */
  argsHash: string | null;
  /** Who may decide; null: anyone with access to the workspace. */
  approvers: string[] | null;
  createdAt: number;
  dueAt: number | null;
  onTimeout: ApprovalTimeoutPolicy | null;
  escalations: number;
  decidedAt: number | null;
  decidedBy: string | null;
  reason: string | null;
  /** Arguments the approver changed, used instead of the requested ones. */
  editedArgs: unknown;
}

/** Runs not yet ended, counted by workflow and version: what a worker checks it can execute. */
export interface ActiveRunGroup {
  workflow: string;
  version: string | null;
  runs: number;
  /** The oldest of them, to name in a report. */
  oldestRunId: string;
}
