/**
 * The API's shapes, as the server's schemas define them (test/client checks they agree). Plain
 * types: nothing here runs, so the client stays free of the server's code.
 */

export type RunStatus =
  "queued" | "running" | "waiting" | "completed" | "failed" | "cancelled" | "needs-attention";

export interface RunError {
  name: string;
  message: string;
  code?: string | undefined;
  retriable?: boolean | undefined;
  cause?: RunError | undefined;
}

export interface RunSummary {
  id: string;
  workflow: string;
  status: RunStatus;
  parentRunId: string | null;
  parentStepId: string | null;
  idempotencyKey: string | null;
  attempt: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  wakeAt: number | null;
  cancelRequested: boolean;
  reason: string | null;
  error: RunError | null;
  /** The run and step this run was forked from, or null. */
  forkedFrom: { runId: string; stepId: string } | null;
}

export interface Run extends RunSummary {
  input: unknown;
  output?: unknown;
}

export interface Step {
  stepId: string;
  seq: number;
  kind: string;
  status: string;
  attempt: number;
  output?: unknown;
  error: RunError | null;
  startedAt: number;
  endedAt: number | null;
  retryAt: number | null;
}

export interface RunDetail {
  run: Run;
  steps: Step[];
  attempts: {
    stepId: string;
    attempt: number;
    startedAt: number;
    endedAt: number;
    outcome: string;
    error: RunError | null;
  }[];
  children: RunSummary[];
  usage: {
    usage: { input: number; output: number; cached: number };
    cost: number | null;
    modelCalls: number;
    resentCalls: number;
  };
}

export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  output?: unknown;
  error?: RunError | null | undefined;
}

export interface Approval {
  id: string;
  runId: string;
  stepId: string;
  batchId: string | null;
  status: "pending" | "approved" | "rejected" | "expired" | "cancelled";
  title: string;
  request: unknown;
  argsHash: string | null;
  approvers: string[] | null;
  createdAt: number;
  dueAt: number | null;
  escalations: number;
  decidedAt: number | null;
  decidedBy: string | null;
  reason: string | null;
  editedArgs?: unknown;
}

/** One event of a run's stream (`GET /v1/runs/:id/stream`). */
export interface RunEvent {
  /** Position in the run's log, from 1: resume after it. */
  seq: number;
  type: string;
  runId: string;
  stepId: string | null;
  at: number;
  data: Record<string, unknown>;
  output?: unknown;
  outputOmitted?: true;
  status?: RunStatus;
  error?: RunError | null;
}
