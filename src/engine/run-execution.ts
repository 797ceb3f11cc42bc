import { CairnError, ErrorCode } from "../shared/errors.js";
import type { LeaseLostError } from "../shared/errors.js";
import { asReplayed, encodePayload } from "../shared/payload.js";
import { isRetriable, serializeError } from "../shared/serialized-error.js";
import type { RunRecord, StepRecord } from "../store/records.js";
import { backoffDelay } from "./backoff.js";
import type { ExecutionEnv, ExecutionOutcome } from "./execution-env.js";
import type { Settled } from "./execution-scope.js";
import { ExecutionScope, never } from "./execution-scope.js";
import { InstantSteps } from "./instant-steps.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import { RunSteps } from "./run-step.js";
import type { Step, WaitForEventOptions } from "./step.js";
import { WaitSteps } from "./wait-steps.js";
import type { Workflow } from "./workflow.js";

export type { ExecutionEnv, ExecutionOutcome } from "./execution-env.js";

/**
 * One pass of a run's handler on this worker: replay what the journal holds, execute what it
 * does not, and stop when the run completes, fails, or can go no further without waiting.
 */
export class RunExecution {
  private readonly scope: ExecutionScope;
  private readonly runs: RunSteps;
  private readonly waits: WaitSteps;
  private readonly instants: InstantSteps;

  constructor(
    private readonly env: ExecutionEnv,
    private readonly workflow: Workflow,
    private readonly run: RunRecord,
    history: StepRecord[],
    private readonly keeper: LeaseKeeper,
    /** Aborted when the worker shuts down: no new step starts, and the run is handed back. */
    shutdown?: AbortSignal,
  ) {
    this.scope = new ExecutionScope(env, workflow, run, history, keeper, shutdown);
    this.runs = new RunSteps(this.scope);
    this.waits = new WaitSteps(this.scope);
    this.instants = new InstantSteps(this.scope);
  }

  /** The step whose body ran longest since `since` (performance.now()), if any. */
  busiestBodySince(since: number): string | undefined {
    return this.scope.busiestBodySince(since);
  }

  /** Whether this execution moved the run forward in the journal (see ExecutionScope). */
  get progressed(): boolean {
    return this.scope.progressed;
  }

  async execute(): Promise<ExecutionOutcome> {
    const logger = this.scope.replayAwareLogger();
    const step = this.stepApi();
    this.keeper.signal.addEventListener(
      "abort",
      () => this.scope.finish({ type: "halt", outcome: "lease-lost" }),
      { once: true },
    );
    Promise.resolve()
      .then(() =>
        this.workflow.handler({
          input: this.run.input,
          step,
          runId: this.run.id,
          attempt: this.run.attempt,
          logger,
          workspace: this.scope.ws,
          journal: this.env.journal,
        }),
      )
      .then(
        (value) => this.scope.finish({ type: "returned", value }),
        (error: unknown) => this.scope.finish({ type: "threw", error }),
      );
    const result = await this.scope.settled;
    try {
      return await this.conclude(result);
    } catch (err) {
      if (CairnError.is(err, ErrorCode.LeaseLost)) return this.leaseLost(err);
      throw err;
    }
  }

  private async conclude(result: Settled): Promise<ExecutionOutcome> {
    const j = this.env.journal;
    const lease = () => this.keeper.current;
    switch (result.type) {
      case "halt":
        if (result.outcome === "cancelled") {
          await j.cancelRun(lease(), "cancelled by request");
          this.env.emit({ type: "run.ended", runId: this.run.id, status: "cancelled" });
        }
        if (result.outcome === "released") {
          await this.scope.whenIdle();
          await j.releaseRun(lease());
        }
        if (result.outcome === "lease-lost") return this.leaseLost(this.keeper.signal.reason);
        return result.outcome;
      case "store-error":
        // Not the run's failure: the executor hands it back once the store answers.
        throw result.error;
      case "suspend":
        await j.suspendRun(lease());
        this.env.emit({ type: "run.waiting", runId: this.run.id });
        return "waiting";
      case "returned": {
        await this.scope.whenIdle();
        if (this.scope.done && this.keeper.signal.aborted) return this.leaseLost(this.keeper.signal.reason);
        const missing = this.scope.history.skipped();
        if (missing) return this.fail(missing);
        let output;
        try {
          output = encodePayload(result.value, `run ${this.run.id} result`, this.env.maxPayloadBytes);
        } catch (err) {
          return this.fail(err);
        }
        await j.completeRun(lease(), output);
        const value = asReplayed(result.value, output, `run ${this.run.id} result`);
        this.env.emit({ type: "run.ended", runId: this.run.id, status: "completed", output: value });
        return "completed";
      }
      case "threw": {
        await this.scope.whenIdle();
        const error = result.error;
        const retries = this.workflow.options.retries ?? 0;
        if (isRetriable(error) && this.run.attempt <= retries) {
          let delay;
          try {
            delay = backoffDelay(this.run.attempt, this.workflow.options.backoff);
          } catch (bad) {
            return this.fail(bad);
          }
          const runAt = (await j.now()) + delay;
          const serialized = serializeError(error);
          await j.retryRun(lease(), serialized, runAt);
          this.env.emit({ type: "run.retrying", runId: this.run.id, runAt, error: serialized });
          return "retrying";
        }
        return this.fail(error);
      }
    }
  }

  private async fail(error: unknown): Promise<ExecutionOutcome> {
    const serialized = serializeError(error);
    await this.env.journal.failRun(this.keeper.current, serialized);
    this.env.emit({ type: "run.ended", runId: this.run.id, status: "failed", error: serialized });
    return "failed";
  }

  /** The lease is gone: the run was cancelled meanwhile, or another worker took it. */
  private leaseLost(cause: unknown): ExecutionOutcome {
    const reason = cause instanceof Error ? cause.message : "lease lost";
    if ((cause as LeaseLostError | undefined)?.cancelled === true) {
      this.env.logger.info("stopped executing a run: it was cancelled", { runId: this.run.id, reason });
      this.env.emit({ type: "run.ended", runId: this.run.id, status: "cancelled" });
      return "cancelled";
    }
    this.env.logger.warn("stopped executing a run: its lease is no longer ours", {
      runId: this.run.id,
      reason,
    });
    this.env.emit({ type: "run.lease_lost", runId: this.run.id, reason });
    return "lease-lost";
  }

  // ── the step API ─────────────────────────────────────────────────────────────────────────

  private stepApi(): Step {
    return {
      run: (name, fn, options) => this.guard(() => this.runs.run(name, fn, options ?? {})),
      sleep: (name, duration) => this.guard(() => this.waits.sleep(name, { duration })),
      sleepUntil: (name, until) => this.guard(() => this.waits.sleep(name, { until })),
      waitForEvent: <T>(name: string, options: WaitForEventOptions) =>
        this.guard(() => this.waits.waitForEvent<T>(name, options)),
      sendEvent: (name, event) => this.guard(() => this.instants.send(name, event)),
      waitForApproval: (name, options) => this.guard(() => this.waits.approval(name, options)),
      patched: (name) => this.guard(() => this.instants.patched(name)),
      start: (name, wf, input, options) =>
        this.guard(() => this.instants.start(name, wf, input, options?.runAt)),
      invoke: <I, O>(name: string, wf: Workflow<I, O> | string, input: I) =>
        this.guard(() => this.waits.invoke<O>(name, wf, input)),
    };
  }

  /** Step calls after the execution ended never settle; bookkeeping errors end it. */
  private guard<T>(body: () => Promise<T>): Promise<T> {
    if (this.scope.done) return never();
    try {
      return body();
    } catch (err) {
      if (CairnError.is(err, ErrorCode.NonDeterminism)) return never();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
