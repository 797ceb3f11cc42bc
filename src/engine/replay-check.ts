import { silentLogger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { RunRecord, RunStatus, StepRecord } from "../store/records.js";
import { isTerminal } from "../store/records.js";
import { HOW_TO_SHIP, ReplayHistory } from "./replay-history.js";
import { ReplaySteps } from "./replay-steps.js";
import type { Workflow } from "./workflow.js";
import type { WorkflowRegistry } from "./workflow-registry.js";

/** A run whose journal the current code no longer follows. */
export interface ReplayDivergence {
  runId: string;
  workflow: string;
  status: RunStatus;
  version: string | null;
  /** The step where code and journal part ways (null when the run cannot be replayed at all). */
  stepId: string | null;
  /** Its position in the run, from 1. */
  position: number | null;
  /** What the journal holds there. */
  expected: string;
  /** What the code does there now. */
  found: string;
  /** The whole story, for a person. */
  message: string;
}

export interface ReplayCheckResult {
  /** Runs replayed to the end of their journal without a difference. */
  passed: string[];
  diverged: ReplayDivergence[];
  /** Runs not checked, and why (nothing journaled yet, a workflow removed after its runs ended…). */
  skipped: { runId: string; why: string }[];
}

export interface ReplayCheckOptions {
  journal: Journal;
  workspace: string;
  /** The code to check against. */
  registry: WorkflowRegistry;
  runIds: readonly string[];
  /** Replay every run against this definition instead of the one its version names (`cairn runs migrate`). */
  code?: Workflow;
  /** Longest a handler may take to replay, ms (it runs no step: only its own code). Default 10 s. */
  timeoutMs?: number;
}

/**
 * Replays stored journals against the current code without executing anything: each handler
 * runs with a step API that answers from the journal (see ReplaySteps), so a changed order, a
 * renamed, inserted or removed step shows as the step where the code and the journal part ways.
 */
export async function checkReplay(options: ReplayCheckOptions): Promise<ReplayCheckResult> {
  const result: ReplayCheckResult = { passed: [], diverged: [], skipped: [] };
  for (const runId of options.runIds) {
    const run = await options.journal.getRun(options.workspace, runId);
    if (run === undefined) {
      result.skipped.push({ runId, why: "no such run" });
      continue;
    }
    const history = await options.journal.loadSteps(options.workspace, runId);
    const outcome = await replayRun(options, run, history);
    if ("passed" in outcome) result.passed.push(runId);
    else if ("skipped" in outcome) result.skipped.push({ runId, why: outcome.skipped });
    else result.diverged.push(outcome);
  }
  return result;
}

async function replayRun(
  options: ReplayCheckOptions,
  run: RunRecord,
  history: StepRecord[],
): Promise<{ passed: true } | { skipped: string } | ReplayDivergence> {
  const diverge = (d: Omit<ReplayDivergence, "runId" | "workflow" | "status" | "version">) => ({
    runId: run.id,
    workflow: run.workflow,
    status: run.status,
    version: run.version,
    ...d,
  });
  if (history.length === 0) return { skipped: "nothing journaled yet" };
  let wf;
  try {
    wf = options.code ?? options.registry.forRun(run);
  } catch (err) {
    if (isTerminal(run.status))
      return { skipped: `it ended, and this code no longer has its code (${(err as Error).message})` };
    return diverge({
      stepId: null,
      position: null,
      expected: `workflow "${run.workflow}"${run.version ? ` version "${run.version}"` : ""}`,
      found: "not in this code",
      message: `${(err as Error).message}: this run (${run.status}) would be left to a worker that has it`,
    });
  }
  const replay = new ReplayHistory(run, wf, history);
  const steps = new ReplaySteps(replay);
  let settled: { ok: true } | { ok: false; error: unknown } | undefined;
  Promise.resolve()
    .then(() =>
      wf.handler({
        input: run.input,
        step: steps.api(),
        runId: run.id,
        attempt: run.attempt,
        logger: silentLogger,
        workspace: run.workspace,
        journal: options.journal,
      }),
    )
    .then(
      () => (settled = { ok: true }),
      (error: unknown) => (settled = { ok: false, error }),
    );
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let idle = 0;
  let seen = -1;
  // The handler runs only its own code between step calls: it is done when it settles, when it
  // diverges, or when it waits at the end of the journal and makes no more calls.
  while (settled === undefined && steps.diverged === undefined) {
    if (steps.calls !== seen) [seen, idle] = [steps.calls, 0];
    else if (steps.blocked > 0 && ++idle >= 5) break;
    if (Date.now() > deadline)
      return {
        skipped: `its handler did not reach its next step within ${options.timeoutMs ?? 10_000} ms (does it wait on something outside steps?)`,
      };
    await new Promise<void>((r) => (idle < 3 ? setImmediate(r) : setTimeout(r, 2)));
  }
  if (steps.diverged !== undefined || (settled?.ok === true && replay.skipped() !== undefined)) {
    const p = replay.divergence;
    return diverge({
      stepId: p?.stepId ?? null,
      position: p?.position ?? null,
      expected: p?.expected ?? "the journal's steps",
      found: p?.found ?? "other steps",
      message: (steps.diverged ?? replay.skipped())!.message,
    });
  }
  if (settled?.ok === false && run.status === "completed") {
    // Every step matched, yet the code now throws where the run completed.
    return diverge({
      stepId: null,
      position: null,
      expected: "the run to complete, as it did",
      found: `the workflow throws: ${(settled.error as Error).message}`,
      message: `run ${run.id} of workflow "${run.workflow}" completed, but its code now throws after its last step. ${HOW_TO_SHIP}`,
    });
  }
  return { passed: true };
}
