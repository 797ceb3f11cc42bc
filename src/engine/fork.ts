import { ErrorCode, InputError, NotFoundError } from "../shared/errors.js";
import type { EncodedPayload } from "../shared/payload.js";
import { encodePayload } from "../shared/payload.js";
import type { Journal } from "../store/journal.js";
import type { ForkOrigin, NewRun, RunSummary } from "../store/records.js";
import type { Workflow } from "./workflow.js";

/** What changes in a fork: the run re-executes from `from` with these. */
export interface ForkOptions {
  /** The step to execute again (and everything after it); the steps before it are reused. */
  from: string;
  /** A new input for the run (default: the original's). Steps before `from` keep their results. */
  input?: unknown;
  /**
   * Results to record instead of the original's, by step id: for steps before `from`, or for
   * `from` itself (then it is not executed; the run goes on after it with this result).
   */
  stepOutputs?: Record<string, unknown>;
  /**
   * Restores what lives beside the journal (a sandboxed workspace's files) as it was before the
   * fork step, before the fork can run. The CLI and the server pass `workspaceForkRestore` (tools).
   */
  restore?: ForkRestore;
}

/** Restores for the fork about to be created; may return how to undo that if it is not created. */
export type ForkRestore = (fork: {
  runId: string;
  forkedFrom: ForkOrigin;
}) => Promise<void | (() => Promise<void>)>;

/** What the engine lends a fork: its journal and how it builds runs. */
export interface ForkEnv {
  journal: Journal;
  workspace: string;
  maxPayloadBytes: number;
  workflow(id: string): Workflow;
  newRun(workflow: Workflow, input: unknown, extra: Partial<NewRun>): NewRun;
}

/**
 * Creates a new run of `runId`'s workflow that reuses its journal up to step `options.from` and
 * executes from there: nothing before it runs or is paid for again, payloads are shared, and the
 * original run is left as it was. The new run is queued; it records where it came from.
 * Throws NotFoundError for an unknown run or step, InputError for an output of a later step.
 */
export async function forkRun(env: ForkEnv, runId: string, options: ForkOptions): Promise<RunSummary> {
  if (typeof options?.from !== "string" || options.from === "")
    throw new InputError(ErrorCode.InvalidInput, "a fork needs the step to execute from (from)");
  const original = await env.journal.getRun(env.workspace, runId);
  if (original === undefined)
    throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${env.workspace}`);
  const wf = env.workflow(original.workflow);
  const forkedFrom = { runId, stepId: options.from };
  const input = options.input !== undefined ? options.input : original.input;
  // A fork is its own run: not a child of the original's parent, not bound by its idempotency key.
  const run = { ...env.newRun(wf, input, { forkedFrom }), forkedFrom };
  const outputs: Record<string, EncodedPayload> = {};
  for (const [stepId, value] of Object.entries(options.stepOutputs ?? {})) {
    outputs[stepId] = encodePayload(value, `the output given for step "${stepId}"`, env.maxPayloadBytes);
  }
  const undo = await options.restore?.({ runId: run.id, forkedFrom });
  try {
    return await env.journal.forkRun(run, outputs);
  } catch (err) {
    // Nothing is left for a fork that was refused (a bad output, an unknown step): the refusal
    // is what the caller hears, so a failing undo is left to garbage collection.
    if (typeof undo === "function") await undo().catch(() => undefined);
    throw err;
  }
}
