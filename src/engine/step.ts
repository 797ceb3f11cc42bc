import type { Duration } from "../shared/duration.js";
import type { Logger } from "../shared/logger.js";
import type { BackoffOptions } from "./backoff.js";
import type { Workflow } from "./workflow.js";

export interface StepRunOptions {
  /** Retries after the first attempt. Default 3 (4 attempts). `NonRetriableError` stops at once. */
  retries?: number;
  backoff?: BackoffOptions;
  /** An attempt that takes longer fails with StepTimeoutError (and is retried); its signal aborts. */
  timeout?: Duration;
  /**
   * The step does something outside (pays, posts, sends). Its intent is recorded before it runs,
   * so a crash mid-step is noticed: on resume it is not silently run again.
   */
  sideEffect?: boolean;
  /**
   * With `sideEffect`: running the step again with the same `idempotencyKey` is safe, so a crash
   * mid-step retries it. Without this, the run pauses as `needs-attention` for a person.
   */
  idempotent?: boolean;
}

export interface StepRunContext {
  runId: string;
  stepId: string;
  /** From 1. */
  attempt: number;
  /** `<runId>:<stepId>`, the same on every attempt: pass it to external APIs. */
  idempotencyKey: string;
  /** Aborts when the step times out or the worker loses the run. */
  signal: AbortSignal;
  logger: Logger;
  /** True when an earlier attempt of this side-effecting step was cut off by a crash. */
  interrupted: boolean;
  /**
   * Reports progress (e.g. a model's token deltas) to this engine's listeners at once, and stores
   * it in the run's log in batches (`step.progress`) so any process can stream it.
   */
  progress(data: Record<string, unknown>): void;
}

export interface WaitForEventOptions {
  event: string;
  /** Dot paths into the event and the values they must equal, e.g. `{ "data.orderId": input.id }`. */
  match?: Record<string, unknown>;
  /** How long to wait; on timeout the step returns null. Default: forever. */
  timeout?: Duration;
}

export interface ReceivedEvent<T = unknown> {
  id: string;
  name: string;
  data: T;
  at: number;
}

export interface WaitForApprovalOptions {
  /** One line: what is asked, e.g. "poster wants to post". */
  title: string;
  /** What the approver is shown (JSON): for a tool call, the tool, its arguments, the reasoning. */
  details?: unknown;
  /** Who may decide (names given with `cairn approve --as`); default: anyone. */
  approvers?: string[];
  /** How long to wait for a decision; default: forever. */
  timeout?: Duration;
  /**
   * When the timeout passes: "reject" (default: the request expires and the caller is told so),
   * "fail" (the step fails), approve with `args`, or escalate to other approvers for `timeout` more.
   */
  onTimeout?: "reject" | "fail" | { approve: unknown } | { escalate: string[]; timeout: Duration };
  /** Binds the approval to exact arguments (see hashJson): a decision on other arguments is refused. */
  argsHash?: string;
  /** Requests that belong together (one model response's tool calls). */
  batch?: string;
}

/** A decision, as the step that waited for it receives it. */
export interface ApprovalResult {
  approvalId: string;
  status: "approved" | "rejected" | "expired";
  by: string | null;
  at: number | null;
  reason: string | null;
  /** The arguments as the approver edited them, or null when unchanged. */
  editedArgs: unknown;
}

export interface EventToSend {
  name: string;
  data?: unknown;
  /** Deduplication id: an event with an id already stored is not stored again. */
  id?: string;
}

/**
 * The step API handed to a workflow handler. Every method is a checkpoint identified by its
 * name plus its occurrence (a name used twice gives `name` and `name#2`).
 */
export interface Step {
  /** Runs `fn` once and records its result; on replay returns the recorded result. */
  run<T>(name: string, fn: (ctx: StepRunContext) => T | Promise<T>, options?: StepRunOptions): Promise<T>;
  /** A durable timer: the run holds no process while it sleeps. */
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, until: Date | number | string): Promise<void>;
  /** Waits for a matching event sent after this step is reached; null on timeout. */
  waitForEvent<T = unknown>(name: string, options: WaitForEventOptions): Promise<ReceivedEvent<T> | null>;
  /** Sends an event, exactly once per run. */
  sendEvent(name: string, event: EventToSend): Promise<{ eventId: string }>;
  /** Starts a child run and waits for its result, holding no process; its failure is thrown here. */
  invoke<I, O>(name: string, workflow: Workflow<I, O> | string, input: I): Promise<O>;
  /**
   * Waits for a person to approve or reject, holding no process, for seconds or days. The
   * request is listed by `cairn approvals ls`; an expired request returns status "expired" (or
   * fails the step, with `onTimeout: "fail"`).
   */
  waitForApproval(name: string, options: WaitForApprovalOptions): Promise<ApprovalResult>;
  /**
   * Ships a change to code that runs have already passed: true when this run takes the new path
   * (it reached this point after the change was deployed, and a marker is recorded), false for a
   * run that had already gone past it on the old path, which keeps to the old code.
   *
   * @example
   * if (await step.patched("send-receipt")) await step.run("receipt", () => sendReceipt(order));
   */
  patched(name: string): Promise<boolean>;
  /** Starts a child run without waiting for it (now, or at `runAt`); returns its id. */
  start<I>(
    name: string,
    workflow: Workflow<I, unknown> | string,
    input: I,
    options?: { runAt?: Date | number },
  ): Promise<{ runId: string }>;
}
