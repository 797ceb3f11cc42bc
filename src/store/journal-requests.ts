import type { EncodedPayload } from "../shared/payload.js";
import type { SerializedError } from "../shared/serialized-error.js";
import type {
  ApprovalRecord,
  ApprovalTimeoutPolicy,
  EventRecord,
  NewRun,
  RunStatus,
  StepKind,
  WaitKind,
} from "./records.js";
import type { StreamChunkBatch } from "./service-records.js";

/* What the journal's methods take and give back, beside the Journal interface (journal.ts). */

export interface RunFilter {
  status?: RunStatus;
  workflow?: string;
  parentRunId?: string;
  singletonKey?: string;
  /** Only runs that have not ended (queued, running, waiting, needs-attention). */
  active?: boolean;
  idempotencyKey?: string;
  /** Created at or after this time (ms). */
  createdAfter?: number;
  /** Created before this time (ms). */
  createdBefore?: number;
  /** Only runs that have ended; with endedBefore, those that ended before that time (ms). */
  ended?: boolean;
  endedBefore?: number;
  /** Runs listed after this one: newest first, by creation time then id (cursor pagination). */
  after?: { createdAt: number; id: string };
  limit?: number;
}

export interface ClaimRequest {
  workspace: string;
  owner: string;
  ttlMs: number;
  limit: number;
  workflows: readonly string[];
  deadOwners?: readonly string[];
  /**
   * `workflow@version` of each version its author set that the claimer has: a run started on a
   * version its author set (not `hash:…`) is claimed only when listed. Undefined: any version.
   */
  versions?: readonly string[];
}

export interface LeaseStarved {
  leaseTtlMs: number;
  /** For people: which step, for how long, and what to do. */
  message: string;
  /** The steps whose bodies ran while the loop was blocked. */
  stepIds: string[];
  blockedMs: number;
}

export interface StepStart {
  stepId: string;
  seq: number;
  kind: StepKind;
  attempt: number;
  startedAt: number;
  sideEffect: boolean;
}

export interface StepCommit extends StepStart {
  status: "completed" | "failed";
  output?: EncodedPayload;
  error?: SerializedError;
  endedAt: number;
  /** For a `send` step: the event to store, match against waits and trigger runs with. */
  event?: { event: NewEvent; triggers: NewRun[] };
  /** For a `start` step: child runs created in the same transaction (idempotent by their key). */
  startRuns?: NewRun[];
  /** Set when this commit takes the run over its storage budget: logged as `run.storage_warning`. */
  storageWarning?: { storedBytes: number; budgetBytes: number; message: string };
  /**
   * What the step reported that is not stored yet (its last streamed parts): logged before the
   * step's end in the same transaction, so a step that streams costs no extra commit at its end.
   */
  progress?: StreamChunkBatch;
}

export interface StepRetry extends StepStart {
  error: SerializedError;
  endedAt: number;
  retryAt: number;
}

/** Why a run is handed back unfinished: an error that was not the run's own stopped it. */
export interface HandBack {
  error: SerializedError;
  /**
   * Hand-backs in a row without progress, this one included; stored on the run and given back
   * on the next claim (`Lease.handBacks`). Reset by the run's next suspension or retry.
   */
  handBacks: number;
  /** How long after now the run becomes runnable again. */
  delayMs: number;
  /**
   * Set when the run keeps being stopped: logged as a `run.stalled` entry and shown as the
   * run's reason until it is claimed again.
   */
  stalled?: string;
}

export interface CommitOutcome {
  cancelRequested: boolean;
}

export interface NewWait {
  stepId: string;
  seq: number;
  kind: WaitKind;
  startedAt: number;
  eventName?: string;
  match?: Record<string, unknown>;
  dueAt?: number;
  child?: NewRun;
  approval?: NewApproval;
  /** An event sent in the same transaction (e.g. `approval.requested`, for webhooks). */
  notify?: { event: NewEvent; triggers: NewRun[] };
}

export interface NewApproval {
  id: string;
  title: string;
  request: EncodedPayload;
  argsHash?: string;
  approvers?: string[];
  batchId?: string;
  onTimeout?: ApprovalTimeoutPolicy;
}

export interface ApprovalDecision {
  approve: boolean;
  /** Who decided. */
  by: string;
  reason?: string;
  /** Changed arguments (already validated by the caller), and their hash. */
  editedArgs?: EncodedPayload;
  /** The hash of the arguments the decider was shown: refused if the request no longer matches. */
  expectArgsHash?: string;
  /** An event sent in the same transaction (`approval.decided`). */
  notify?: { event: NewEvent; triggers: NewRun[] };
}

export type WaitOutcome =
  | { status: "pending" }
  | { status: "timeout" }
  | { status: "event"; event: EventRecord }
  | {
      status: "child";
      childRunId: string;
      childStatus: RunStatus;
      output: unknown;
      error: SerializedError | null;
    }
  | { status: "approval"; approval: ApprovalRecord };

export type AttentionAction = { action: "retry" } | { action: "skip"; output: EncodedPayload };

export interface NewEvent {
  id?: string;
  name: string;
  data: EncodedPayload;
}

export interface SendEventResult {
  eventId: string;
  /** False when an event with this id was already stored. */
  created: boolean;
  resumedRuns: string[];
  startedRuns: string[];
  /**
   * Runs of triggered workflows created already failed, because the event's data is not valid
   * input for them: the event is stored and delivered all the same.
   */
  failedRuns: string[];
}
