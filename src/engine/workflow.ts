import { createHash } from "node:crypto";
import { ConfigError } from "../shared/errors.js";
import type { Duration } from "../shared/duration.js";
import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { Step } from "./step.js";
import type { BackoffOptions } from "./backoff.js";
import { checkBackoff } from "./backoff.js";
import { MAX_TIMER_MS, toMs } from "../shared/duration.js";

const WORKFLOW = Symbol.for("cairn.workflow");

/** Anything with a zod-like `parse`: validates a run's input before the run is created. */
export interface InputSchema<I> {
  parse(value: unknown): I;
}

export interface WorkflowContext<I> {
  /** The run's input, as given to `start` (validated by `options.input` when set). */
  input: I;
  step: Step;
  runId: string;
  /** Workflow-level attempt, from 1. */
  attempt: number;
  /** Quiet while the handler replays finished steps, so each line is logged once. */
  logger: Logger;
  /** The run's workspace (tenant). */
  workspace: string;
  /**
   * The store, for integrations built on the engine (agent sessions and memory). Reads and writes
   * made through it are not checkpoints: make them inside a step, idempotently.
   */
  journal: Journal;
}

export type WorkflowHandler<I, O> = (ctx: WorkflowContext<I>) => Promise<O>;

export interface WorkflowOptions<I> {
  /** Validates input at the edge (`start`, `cairn run --input`). */
  input?: InputSchema<I>;
  /**
   * Workflow-level retries: when the handler throws (outside a failed step's own retries), the
   * run starts over from its journal: finished steps are served from it, failed steps run again.
   * Default 0.
   */
  retries?: number;
  backoff?: BackoffOptions;
  /** Events that start a run of this workflow; the run's input is the event's data. */
  triggers?: { event: string }[];
  /** At most `limit` runs with the same key execute at once (others stay queued). */
  concurrency?: { limit: number; key?(input: I): string };
  /**
   * One run per key at a time: a new run cancels the active one ("cancel"), is not started
   * ("skip"), or waits until every earlier run of the key has ended, in start order ("queue"). A
   * run that waits (sleep, event, approval, child run, retry, needs-attention) keeps its turn.
   */
  singleton?: { key(input: I): string; mode: "cancel" | "skip" | "queue" };
  /** Default step options for every `step.run` in this workflow. */
  steps?: { retries?: number; backoff?: BackoffOptions; timeout?: Duration };
  /**
   * How long a worker's hold on a run lasts between heartbeats, when longer than the workers'
   * own (`leaseTtlMs`, 30 s by default): for steps that compute for long without awaiting, which
   * keeps the heartbeat from running. E.g. "5m".
   */
  leaseTtl?: Duration;
  /**
   * The version of this code, recorded on each run it starts (see docs/versioning.md). Set it to
   * keep runs on the code they started with: a worker executes such a run only with the same
   * version of the workflow, which it may hold beside newer ones (list both in the config).
   * Unset, the version is a hash of the definition, for information and `cairn check-replay`: a
   * changed definition still executes older runs, and `step.patched` keeps their path.
   */
  version?: string;
  /** @internal What the version hash covers instead of the handler's source (an agent's definition). */
  fingerprint?: unknown;
}

/** A durable function: give it to `defineConfig` (or an Engine) and start runs of it by id. */
export interface Workflow<I = unknown, O = unknown> {
  readonly id: string;
  // Method syntax keeps a Workflow<{ id: number }> assignable to Workflow (as a list of them needs).
  handler(ctx: WorkflowContext<I>): Promise<O>;
  readonly options: WorkflowOptions<I>;
  /** `options.version`, or `hash:<12 hex>` of the definition. */
  readonly version: string;
  readonly [WORKFLOW]: true;
}

/**
 * Defines a durable workflow. Every `step.*` call in `handler` is a checkpoint: after a crash or
 * restart the handler replays from the top and finished steps return their recorded result.
 * Code outside steps runs again on every replay, so keep it free of side effects.
 *
 * @example
 * const greet = workflow("greet", async ({ input, step }) => {
 *   const user = await step.run("load-user", () => db.users.find(input.id));
 *   await step.sleep("pause", "10m");
 *   return { hello: user.name };
 * });
 */
export function workflow<I = unknown, O = unknown>(
  id: string,
  handler: WorkflowHandler<I, O>,
  options: WorkflowOptions<I> = {},
): Workflow<I, O> {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(id)) {
    throw new ConfigError(
      `workflow id ${JSON.stringify(id)} is not valid: use letters, digits, ".", "_", ":" or "-"`,
    );
  }
  if (typeof handler !== "function")
    throw new ConfigError(`workflow "${id}": the handler must be a function`);
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    throw new ConfigError(`workflow "${id}": retries must be a whole number >= 0`);
  }
  if (
    options.concurrency !== undefined &&
    (!Number.isInteger(options.concurrency.limit) || options.concurrency.limit < 1)
  ) {
    throw new ConfigError(`workflow "${id}": concurrency.limit must be a whole number >= 1`);
  }
  try {
    checkBackoff(options.backoff, `workflow "${id}"`);
    checkBackoff(options.steps?.backoff, `workflow "${id}" steps`);
    if (options.steps?.timeout !== undefined)
      toMs(options.steps.timeout, `workflow "${id}" steps.timeout`, MAX_TIMER_MS);
    if (options.leaseTtl !== undefined) toMs(options.leaseTtl, `workflow "${id}" leaseTtl`);
  } catch (cause) {
    throw new ConfigError((cause as Error).message, { cause });
  }
  if (
    options.version !== undefined &&
    (typeof options.version !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(options.version))
  ) {
    throw new ConfigError(
      `workflow "${id}": version ${JSON.stringify(options.version)} is not valid: use up to 64 letters, digits, ".", "_" or "-", e.g. "2" or "2026-03-01"`,
    );
  }
  const version = options.version ?? definitionHash(handler, options);
  return Object.freeze({ id, handler, options, version, [WORKFLOW]: true as const });
}

/** True for a version its author set (a worker runs such a run only with that version). */
export function isPinnedVersion(version: string | null | undefined): version is string {
  return typeof version === "string" && !version.startsWith("hash:");
}

/**
 * A hash of what decides a workflow's path: its handler's source (or an agent's definition) and
 * the options that shape execution. A change outside them (a helper the handler calls) goes
 * unseen; set `version` to be exact.
 */
function definitionHash(
  handler: unknown,
  options: Pick<WorkflowOptions<unknown>, "retries" | "backoff" | "steps" | "triggers" | "fingerprint">,
): string {
  const { retries, backoff, steps, triggers, fingerprint } = options;
  const text = JSON.stringify(
    {
      handler: fingerprint === undefined ? String(handler) : undefined,
      fingerprint,
      retries,
      backoff,
      steps,
      triggers,
    },
    (_key, v: unknown) => (typeof v === "function" ? String(v) : v),
  );
  return `hash:${createHash("sha256").update(text).digest("hex").slice(0, 12)}`;
}

export function isWorkflow(value: unknown): value is Workflow {
  return typeof value === "object" && value !== null && WORKFLOW in value;
}
