/**
 * The names of journal log entries, written once here and used alike by the journal, the CLI,
 * and later the SSE stream, webhooks and dashboard. Noun, then verb.
 */
export const Entry = {
  RunCreated: "run.created",
  RunStarted: "run.started",
  RunWaiting: "run.waiting",
  RunRetrying: "run.retrying",
  RunCancelRequested: "run.cancel_requested",
  RunNeedsAttention: "run.needs_attention",
  RunResumed: "run.resumed",
  RunReleased: "run.released",
  /** A run keeps being handed back by the same kind of error: it is retried with a growing delay. */
  RunStalled: "run.stalled",
  /** A step kept the event loop busy past the run's lease: the run's next claims get a longer one. */
  RunLeaseStarved: "run.lease_starved",
  RunStorageWarning: "run.storage_warning",
  RunEnded: "run.ended",
  /** An operator moved the run to another version of its workflow's code. */
  RunMigrated: "run.migrated",
  StepStarted: "step.started",
  StepRetrying: "step.retrying",
  StepWaiting: "step.waiting",
  StepEnded: "step.ended",
  /** What a running step reported (a model's text deltas), batched; see appendStreamChunks. */
  StepProgress: "step.progress",
  EventSent: "event.sent",
  ApprovalRequested: "approval.requested",
  ApprovalDecided: "approval.decided",
  ApprovalEscalated: "approval.escalated",
} as const;
export type EntryType = (typeof Entry)[keyof typeof Entry];

/**
 * The entries that change what a list shows (a run's state, an approval, a sent event): each is
 * also a row of the workspace feed the dashboard's live lists read. PostgreSQL's entries trigger
 * (migration 5) names the same types.
 */
export const FEED_ENTRIES: ReadonlySet<string> = new Set<string>([
  Entry.RunCreated,
  Entry.RunStarted,
  Entry.RunWaiting,
  Entry.RunRetrying,
  Entry.RunNeedsAttention,
  Entry.RunCancelRequested,
  Entry.RunResumed,
  Entry.RunEnded,
  Entry.ApprovalRequested,
  Entry.ApprovalDecided,
  Entry.ApprovalEscalated,
  Entry.EventSent,
]);
