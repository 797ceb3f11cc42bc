export { workflow, isWorkflow } from "./workflow.js";
export type { Workflow, WorkflowContext, WorkflowHandler, WorkflowOptions, InputSchema } from "./workflow.js";
export type {
  Step,
  StepRunOptions,
  StepRunContext,
  WaitForEventOptions,
  ReceivedEvent,
  EventToSend,
} from "./step.js";
export type { BackoffOptions } from "./backoff.js";
export { Engine } from "./engine.js";
export type { FollowOptions } from "./run-log.js";
export type {
  EngineOptions,
  StartOptions,
  StartResult,
  StartedRun,
  ApprovalDecisionInput,
} from "./engine.js";
export { RunHandle, waitForRunEnd } from "./run-result.js";
export type { WaitOptions } from "./run-result.js";
export { Worker } from "./worker.js";
export type { WorkerOptions, DrainResult } from "./worker.js";
export type { ExecutionOutcome } from "./run-execution.js";
export type { Progress, ProgressListener } from "./progress.js";
export { ChildRunError } from "./child-run-error.js";
export { RESERVED_EVENT_PREFIXES } from "./event-names.js";
export type { ForkOptions, ForkRestore } from "./fork.js";
export { diffRuns } from "./run-diff.js";
export type { RunDiff, StepDiff, StepView, StepMeasure } from "./run-diff.js";
export { previewBulk, applyBulk, BULK_LIMIT } from "./bulk.js";
export type { BulkAction, BulkFilter, BulkPreview, BulkResult } from "./bulk.js";
export { applyRetention, RetentionSweeper } from "./retention.js";
export type { RetentionPolicy, RetentionOutcome } from "./retention.js";
