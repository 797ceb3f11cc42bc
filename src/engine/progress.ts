import type { SerializedError } from "../shared/serialized-error.js";
import type { StepKind } from "../store/records.js";

/**
 * What an Engine reports as it works, in-process and at once (the journal holds the durable
 * record). The CLI prints these; `replayed` steps were served from the journal.
 */
export type Progress =
  | { type: "run.started"; runId: string; workflow: string; epoch: number }
  | { type: "step.started"; runId: string; stepId: string; kind: StepKind; attempt: number }
  | { type: "step.replayed"; runId: string; stepId: string; kind: StepKind }
  | { type: "step.progress"; runId: string; stepId: string; data: Record<string, unknown> }
  | {
      type: "step.ended";
      runId: string;
      stepId: string;
      kind: StepKind;
      attempt: number;
      status: "completed" | "failed";
      durationMs: number;
      output?: unknown;
      error?: SerializedError;
    }
  | {
      type: "step.retrying";
      runId: string;
      stepId: string;
      attempt: number;
      retryAt: number;
      error: SerializedError;
    }
  | { type: "step.waiting"; runId: string; stepId: string; kind: StepKind; until?: number; event?: string }
  | { type: "run.waiting"; runId: string }
  | { type: "run.needs_attention"; runId: string; stepId: string; reason: string }
  | { type: "run.retrying"; runId: string; runAt: number; error: SerializedError }
  | { type: "run.lease_lost"; runId: string; reason: string }
  | {
      type: "run.ended";
      runId: string;
      status: "completed" | "failed" | "cancelled";
      output?: unknown;
      error?: SerializedError;
    };

export type ProgressListener = (event: Progress) => void;
