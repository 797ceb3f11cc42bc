/**
 * Cairn: a durable agent runtime. The public API; everything else is internal. The agent layer
 * loads the AI SDK and a model's provider only when an agent first runs; workflow-only code can
 * import `cairn-runtime/workflow`, which leaves the agent layer out entirely.
 */
export * from "./workflow.js";
export * from "./agent/index.js";
export * from "./tools/index.js";
export { PostgresJournal } from "./store/postgres/postgres-journal.js";
export type { PostgresJournalOptions } from "./store/postgres/postgres-journal.js";
export { startTracing } from "./telemetry/start-tracing.js";
export type { Tracing, TracingOptions } from "./telemetry/start-tracing.js";
