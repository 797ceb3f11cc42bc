import { CairnError, ErrorCode, NotFoundError } from "../shared/errors.js";
import { toMs } from "../shared/duration.js";
import type { Logger } from "../shared/logger.js";
import { serializeError } from "../shared/serialized-error.js";
import type { ClaimRequest, HandBack, Journal } from "../store/journal.js";
import type { Lease } from "../store/records.js";
import { isTerminal } from "../store/records.js";
import type { ExecutionEnv, ExecutionOutcome } from "./execution-env.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { longerLease, starvationMessage, storeStallMessage } from "./lease-starvation.js";
import { hostPrefix, isOwnerDead } from "./owner.js";
import { RunExecution } from "./run-execution.js";
import type { Workflow } from "./workflow.js";

/** How often a run stopped by a store error tries to hand its lease back. */
const HAND_BACK_RETRY_MS = 250;
/** After this many hand-backs in a row without progress, a run is reported as stalled. */
const STALLED_AFTER = 3;
const HAND_BACK_DELAY_MS = 500;
const HAND_BACK_DELAY_MAX_MS = 5 * 60_000;

/**
 * How long a run handed back `handBacks` times in a row without progress waits before its next
 * claim: at once the first time (a passing fault), then 0.5 s, 1 s, 2 s… up to 5 minutes.
 */
export function handBackDelay(handBacks: number): number {
  if (handBacks <= 1) return 0;
  return Math.min(HAND_BACK_DELAY_MAX_MS, HAND_BACK_DELAY_MS * 2 ** Math.min(30, handBacks - 2));
}

/** What the executor needs from its engine. */
export interface ExecutorOptions {
  journal: Journal;
  workspace: string;
  owner: string;
  logger: Logger;
  leaseTtlMs: number;
  env: ExecutionEnv;
  /** Ids of the workflows this engine runs: only their runs are claimed. */
  workflowIds(): readonly string[];
  /** The pinned versions this engine has (see WorkflowRegistry.pinnedKeys). */
  versions(): ClaimRequest["versions"];
  /** The definition a run executes on, or the error saying this engine lacks its version. */
  codeFor(run: { workflow: string; version: string | null }): Workflow | Error;
}

/**
 * Claims runs and executes them: the part of the engine that holds leases. A run stopped by a
 * store error (or anything that is not its own failure) is handed back, never failed.
 */
export class RunExecutor {
  constructor(private readonly o: ExecutorOptions) {}

  private async deadOwners(): Promise<string[]> {
    const owners = await this.o.journal.listLeaseOwners(this.o.workspace, hostPrefix());
    return owners.filter(isOwnerDead);
  }

  private async request(limit: number) {
    return {
      workspace: this.o.workspace,
      owner: this.o.owner,
      ttlMs: this.o.leaseTtlMs,
      limit,
      workflows: this.o.workflowIds(),
      versions: this.o.versions(),
      deadOwners: await this.deadOwners(),
    };
  }

  /** Claims up to `limit` runnable runs: due ones, and those whose worker died or lost its lease. */
  async claim(limit: number): Promise<Lease[]> {
    return this.o.journal.claimRuns(await this.request(limit));
  }

  /** Claims one given run if it is runnable now. */
  async claimRun(runId: string): Promise<Lease | undefined> {
    return this.o.journal.claimRun(await this.request(1), runId);
  }

  /**
   * Executes a claimed run until it completes, fails, or must wait. Never throws: the run's own
   * failures are recorded; a store failure stops the execution and hands the run back.
   */
  async execute(lease: Lease, options: { shutdown?: AbortSignal } = {}): Promise<ExecutionOutcome> {
    const { journal, logger, env } = this.o;
    const keeper = new LeaseKeeper(journal, lease, lease.ttlMs ?? this.o.leaseTtlMs, logger);
    let execution: RunExecution | undefined;
    let workflow: Workflow | undefined;
    let starved: Promise<void> | undefined;
    keeper.onStarved = (blockedMs, since) => {
      starved = this.starved(keeper, workflow?.id, execution?.busiestBodySince(since), blockedMs, since);
    };
    keeper.onFrozen = (frozenMs) => {
      // Not the run's doing: its lease stays as it is.
      logger.warn(
        `run ${lease.runId}: this worker did not run at all for ${Math.round(frozenMs / 100) / 10} s ` +
          `(stopped, suspended, or its machine paused), past the run's ${keeper.ttlMs / 1000} s lease: another ` +
          `worker may have taken the run over. No step is at fault.`,
        { runId: lease.runId, frozenMs: Math.round(frozenMs) },
      );
    };
    keeper.start();
    try {
      let run, history;
      try {
        run = await journal.getRun(this.o.workspace, lease.runId);
        if (run === undefined)
          throw new NotFoundError(ErrorCode.RunNotFound, `run ${lease.runId} vanished while claimed`);
        history = await journal.loadSteps(this.o.workspace, lease.runId);
      } catch (err) {
        if (!CairnError.is(err, ErrorCode.CorruptPayload)) throw err;
        // A row that cannot be read fails its own run and nothing else.
        await journal.failRun(keeper.current, serializeError(err));
        env.emit({ type: "run.ended", runId: lease.runId, status: "failed", error: serializeError(err) });
        return "failed";
      }
      const code = this.o.codeFor(run);
      if (code instanceof Error) {
        // Claimed without the version filter (see claim): left for a worker that has the version.
        logger.error(`${code.message}; run ${run.id} is handed back`, { runId: run.id });
        await journal.releaseRun(keeper.current);
        return "released";
      }
      env.emit({ type: "run.started", runId: run.id, workflow: run.workflow, epoch: lease.epoch });
      workflow = code;
      // A workflow that asks for a longer lease than workers take holds it from the start.
      const wanted = workflow.options.leaseTtl;
      if (wanted !== undefined && keeper.lengthen(toMs(wanted, `workflow "${workflow.id}" leaseTtl`)))
        await keeper.renewNow();
      execution = new RunExecution(env, workflow, run, history, keeper, options.shutdown);
      return await execution.execute();
    } catch (err) {
      if (CairnError.is(err, ErrorCode.LeaseLost)) return "lease-lost";
      return this.stopped(keeper, err, execution?.progressed ?? false);
    } finally {
      await keeper.stop();
      await starved;
    }
  }

  /**
   * This worker's event loop was blocked past the run's lease (see LeaseKeeper): says which
   * step and what to do, and records a longer lease for the run's next claims, so workers stop
   * taking the run from each other.
   */
  private async starved(
    keeper: LeaseKeeper,
    workflow: string | undefined,
    stepId: string | undefined,
    blockedMs: number,
    since: number,
  ): Promise<void> {
    const { runId, workspace } = keeper.current;
    const ttlMs = keeper.ttlMs;
    const nextTtlMs = longerLease(ttlMs, blockedMs);
    // SQLite waiting out another process's write lock blocks the loop too: then no step is to blame.
    const storeMs = this.o.journal.stalledMs?.(since) ?? 0;
    const byStore = storeMs >= blockedMs / 2;
    // Another worker may have finished the run while this one was held: then no claim follows.
    const status = await this.o.journal
      .getRunSummary(workspace, runId)
      .then((run) => run?.status)
      .catch(() => undefined);
    const ended = status !== undefined && isTerminal(status) ? status : undefined;
    const message = byStore
      ? storeStallMessage({ storeMs, blockedMs, ttlMs, nextTtlMs, ended })
      : starvationMessage({ workflow, stepId, blockedMs, ttlMs, nextTtlMs, ended });
    if (byStore) stepId = undefined;
    this.o.logger.warn(`run ${runId}: ${message}`, { runId, stepId, blockedMs, leaseTtlMs: nextTtlMs });
    keeper.lengthen(nextTtlMs);
    const note = {
      leaseTtlMs: nextTtlMs,
      message,
      stepIds: stepId ? [stepId] : [],
      blockedMs: Math.round(blockedMs),
    };
    return this.o.journal.noteLeaseStarved(workspace, runId, note).catch((err: unknown) => {
      this.o.logger.warn("could not record the run's longer lease", { runId, error: (err as Error).message });
    });
  }

  /**
   * An error that is not the run's own (the store's, above all) stopped its execution: the run
   * is handed back. One that keeps being stopped without progress is handed back with a
   * growing delay, and after a few times it is reported, so it cannot keep a worker busy.
   */
  private stopped(keeper: LeaseKeeper, err: unknown, progressed: boolean): ExecutionOutcome {
    const lease = keeper.current;
    const error = serializeError(err);
    const handBacks = progressed ? 1 : (lease.handBacks ?? 0) + 1;
    const delayMs = handBackDelay(handBacks);
    const fields = { runId: lease.runId, error: error.message, handBacks, retryInMs: delayMs };
    this.o.logger.error(
      CairnError.is(err, ErrorCode.Store)
        ? "run execution stopped by a store error; the run is handed back when the store answers, or recovered when its lease expires"
        : "run execution stopped by an error that is not the run's own; the run is handed back",
      fields,
    );
    let stalled: string | undefined;
    if (handBacks >= STALLED_AFTER) {
      stalled =
        `stopped ${handBacks} times in a row, without progress, by: ${error.message}; ` +
        `tried again in ${Math.ceil(delayMs / 1000)} s, then less and less often. ` +
        `Fix the cause, or cancel the run: cairn runs cancel ${lease.runId}`;
      this.o.logger.error(`run ${lease.runId} keeps being stopped by the same error: ${stalled}`, fields);
    }
    // Steps still in flight stop here: their results are no longer this worker's to record.
    keeper.markLost("the run is being handed back after an error that is not its own");
    void this.handBack(lease, { error, handBacks, delayMs, ...(stalled ? { stalled } : {}) });
    return "store-error";
  }

  /**
   * After a store error stopped a run's execution: releases its lease as soon as the store
   * answers, so any worker goes on at once instead of when the lease expires. Gives up when the
   * lease has lapsed anyway or was taken over (the release is fenced by its epoch).
   */
  private async handBack(lease: Lease, handBack: HandBack): Promise<void> {
    const until = Date.now() + this.o.leaseTtlMs;
    while (Date.now() < until) {
      try {
        await this.o.journal.releaseRun(lease, handBack);
        this.o.logger.warn("run handed back after the store answered again", { runId: lease.runId });
        return;
      } catch (err) {
        if (CairnError.is(err, ErrorCode.LeaseLost)) return;
        // Unref'd: a process shutting down does not wait for this.
        await new Promise((r) => setTimeout(r, HAND_BACK_RETRY_MS).unref());
      }
    }
  }
}
