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
  /** For a tool call: the JSON Schema of the tool's arguments (check edited arguments with it). */
  argsSchema?: Record<string, unknown>;
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

/** One item of the workspace feed (`GET /v1/events`): a run's state change, an approval, an event. */
export interface FeedItem {
  /** Resume after it (Last-Event-ID). */
  cursor: string;
  /** Null for workspace-wide entries (a sent event). */
  runId: string | null;
  seq: number;
  type: string;
  stepId: string | null;
  at: number;
}

/** A tool of an agent, as `GET /v1/workflows` describes it. */
export interface ToolInfo {
  name: string;
  description: string;
  needsApproval: boolean;
  /** JSON Schema of its arguments; null when it cannot be expressed. */
  inputSchema: Record<string, unknown> | null;
}

/** A workflow or an agent this server can start. */
export interface WorkflowInfo {
  name: string;
  kind: "workflow" | "agent";
  /** Events that start a run of it. */
  triggers: string[];
  /** An agent's model (provider:model). */
  model: string | null;
  tools: ToolInfo[];
}

/** An agent session, as listed. */
export interface SessionInfo {
  agent: string;
  session: string;
  runs: number;
  lastRunId: string;
  lastStatus: RunStatus;
  lastAt: number;
}

/** A session's conversation and runs. */
export interface Session {
  agent: string;
  session: string;
  messages: { seq: number; runId: string; message: unknown; at: number }[];
  runs: { id: string; status: RunStatus; createdAt: number }[];
}

/** What `fork` changes in the new run. */
export interface ForkOptions {
  /** The step to execute again: steps before it are reused from the original run. */
  from: string;
  /** A different input for the run. */
  input?: unknown;
  /** Outputs to use instead of the recorded ones (e.g. a tool's result), by step id. */
  stepOutputs?: Record<string, unknown>;
  /** For an agent run: a different model or instructions. */
  agent?: { model?: string; instructions?: string };
}

/** One step of a run, as a diff shows it. */
export interface StepView {
  status: string;
  output: unknown;
  error: RunError | null;
  attempts: number;
  durationMs: number | null;
  tokens?: { input: number; output: number };
  costUsd?: number | null;
}

/** Two runs' steps aligned (`GET /v1/runs/:a/diff/:b`). */
export interface RunDiff {
  a: RunSummary;
  b: RunSummary;
  steps: { stepId: string; kind: string; a: StepView | null; b: StepView | null; same: boolean }[];
  /** The first step whose outcome differs; null when none does. */
  firstDivergence: string | null;
}

/** Which runs a bulk action applies to. */
export interface BulkFilter {
  status?: RunStatus;
  workflow?: string;
  createdAfter?: number;
  createdBefore?: number;
}

export type BulkAction = "cancel" | "rerun" | "delete";

/** A bulk action's answer: without `confirm`, what it would do; with it, what it did. */
export interface BulkResult {
  matched: number;
  runIds: string[];
  /** Send this as `confirm` to act (the count the action applies to). */
  confirmWith?: number;
  affected?: number;
}

/** Tokens and cost of one agent and model in one time bucket (`GET /v1/usage`). */
export interface UsageBucket {
  at: number;
  agent: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}
