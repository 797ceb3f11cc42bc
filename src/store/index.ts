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
  HandBack,
  LeaseStarved,
} from "./journal.js";
export type * from "./records.js";
export type * from "./service-records.js";
export type * from "./secret-records.js";
export { API_SCOPES } from "./service-records.js";
export { RUN_STATUSES, TERMINAL_STATUSES, isTerminal } from "./records.js";
export { Entry } from "./entry-types.js";
export type { EntryType } from "./entry-types.js";
export { SqliteJournal } from "./sqlite/sqlite-journal.js";
export { PostgresJournal } from "./postgres/postgres-journal.js";
export type { PostgresJournalOptions } from "./postgres/postgres-journal.js";
export type { SqliteJournalOptions } from "./sqlite/sqlite-journal.js";
export { openJournal, openJournalAsync, DEFAULT_STORE } from "./open-journal.js";
