/**
 * `cairn-runtime/workflow`: durable workflows without the agent layer. Importing it loads no
 * model provider, no AI SDK, no zod and no PostgreSQL driver (`openJournalAsync` loads the
 * driver when a `postgres://` store is opened), so a workflow-only process starts fast.
 * Everything here is also exported by `cairn-runtime`.
 */
export * from "./engine/index.js";
export { defineConfig } from "./cli/define-config.js";
export type { CairnConfig } from "./cli/define-config.js";
export {
  CairnError,
  ErrorCode,
  NonRetriableError,
  RetryAfterError,
  InputError,
  ConfigError,
  NotFoundError,
  ConflictError,
  UnserializableError,
  PayloadTooLargeError,
  CorruptPayloadError,
  NonDeterminismError,
  LeaseLostError,
  StepTimeoutError,
  StoreError,
} from "./shared/errors.js";
export type { SerializedError } from "./shared/serialized-error.js";
export type { Duration } from "./shared/duration.js";
export { ManualClock, systemClock } from "./shared/clock.js";
export type { Clock } from "./shared/clock.js";
export type { Logger } from "./shared/logger.js";
export { stderrLogger, silentLogger } from "./shared/logger.js";
export type { Json } from "./shared/payload.js";
export type {
  Journal,
  ClaimRequest,
  RunFilter,
  StepCommit,
  StepRetry,
  StepStart,
  NewWait,
  WaitOutcome,
  NewEvent,
  SendEventResult,
  CommitOutcome,
  AttentionAction,
} from "./store/journal.js";
export type * from "./store/records.js";
export { RUN_STATUSES, TERMINAL_STATUSES, isTerminal } from "./store/records.js";
export { Entry } from "./store/entry-types.js";
export type { EntryType } from "./store/entry-types.js";
export { SqliteJournal } from "./store/sqlite/sqlite-journal.js";
export type { SqliteJournalOptions } from "./store/sqlite/sqlite-journal.js";
export { openJournal, openJournalAsync, DEFAULT_STORE } from "./store/open-journal.js";
