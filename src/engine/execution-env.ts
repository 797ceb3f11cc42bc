import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { NewRun } from "../store/records.js";
import type { ProgressListener } from "./progress.js";
import type { Workflow } from "./workflow.js";

/** How one execution of a run ended. */
export type ExecutionOutcome =
  | "completed"
  | "failed"
  | "cancelled"
  | "waiting"
  | "retrying"
  | "needs-attention"
  | "lease-lost"
  /** A store failure stopped the execution: the run is handed back when the store answers. */
  | "store-error"
  /** The worker is shutting down: the run was handed back after its current steps. */
  | "released";

/** What a run execution needs from the engine around it. */
export interface ExecutionEnv {
  journal: Journal;
  logger: Logger;
  emit: ProgressListener;
  maxPayloadBytes: number;
  /** A run that stores more payload bytes than this gets one `run.storage_warning`. */
  runStorageBudgetBytes: number;
  resolveWorkflow(id: string): Workflow;
  /** A NewRun for `workflow` with its concurrency and singleton keys computed. */
  newRun(workflow: Workflow, input: unknown, extra: Partial<NewRun>): NewRun;
  triggersFor(eventName: string, data: unknown, eventId: string): NewRun[];
}
