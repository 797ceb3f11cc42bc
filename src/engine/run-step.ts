import { CairnError, ErrorCode, StepTimeoutError } from "../shared/errors.js";
import type { Duration } from "../shared/duration.js";
import { MAX_TIMER_MS, toMs, toTime } from "../shared/duration.js";
import { asReplayed, encodePayload } from "../shared/payload.js";
import { deserializeError, isRetriable, serializeError } from "../shared/serialized-error.js";
import type { StepStart } from "../store/journal.js";
import type { StepRecord } from "../store/records.js";
import type { StreamChunkBatch } from "../store/service-records.js";
import { backoffDelay, checkBackoff } from "./backoff.js";
import type { ExecutionScope } from "./execution-scope.js";
import type { StepRunContext, StepRunOptions } from "./step.js";
import { StreamWriter } from "./stream-writer.js";
import type { WorkflowOptions } from "./workflow.js";

/**
 * Where a step's reported progress is stored: a StreamWriter made when the body first reports
 * something (most steps never do), closed with the step.
 */
class Progress {
  private stream: StreamWriter | undefined;
  private closed = false;

  constructor(private readonly make: () => StreamWriter) {}

  push(data: Record<string, unknown>): void {
    if (!this.closed) (this.stream ??= this.make()).push(data);
  }

  /** Stores what is buffered; nothing reported from now on is stored. */
  close(): Promise<void> | undefined {
    this.closed = true;
    return this.stream?.close();
  }

  /** Nothing reported from now on is stored; what is not stored yet is for the step's commit. */
  takeRest(): Promise<StreamChunkBatch | undefined> | undefined {
    this.closed = true;
    return this.stream?.takeRest();
  }
}

/**
 * `step.run`: a body that executes at most once to completion per step, with retries and
 * timeouts; a side-effecting body records its intent first, so a crash mid-way is noticed.
 */
export class RunSteps {
  constructor(private readonly scope: ExecutionScope) {}

  /** The workflow's defaults for its steps' options. */
  private get defaults(): NonNullable<WorkflowOptions<unknown>["steps"]> {
    return this.scope.workflow.options.steps ?? {};
  }

  run<T>(name: string, fn: (ctx: StepRunContext) => T | Promise<T>, options: StepRunOptions): Promise<T> {
    const { id, seq, rec } = this.scope.enter(name, "run");
    if (rec?.status === "completed") {
      this.scope.replayed(id, "run");
      return Promise.resolve(rec.output as T);
    }
    if (rec?.status === "failed") {
      this.scope.replayed(id, "run");
      return Promise.reject(deserializeError(rec.error ?? { name: "Error", message: "step failed" }));
    }
    try {
      // Options no timer or store can follow are the caller's error, found when the step is called.
      if (options.timeout !== undefined) toMs(options.timeout, `step "${id}" timeout`, MAX_TIMER_MS);
      checkBackoff(options.backoff, `step "${id}"`);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.scope.track((release) => this.execute(id, seq, rec, fn, options, release));
  }

  private async execute<T>(
    id: string,
    seq: number,
    rec: StepRecord | undefined,
    fn: (ctx: StepRunContext) => T | Promise<T>,
    options: StepRunOptions,
    release: () => void,
  ): Promise<T> {
    const { env, keeper, run } = this.scope;
    const j = env.journal;
    const interrupted = rec?.status === "started";
    const start =
      rec === undefined && options.sideEffect !== true && this.scope.mayStartNow()
        ? await this.scope.halting(release, () => this.firstAttempt(id, seq))
        : await this.scope.halting(release, () => this.begin(id, seq, rec, options, release));
    env.emit({ type: "step.started", runId: run.id, stepId: id, kind: "run", attempt: start.attempt });
    const began = performance.now();
    const ended = this.scope.bodyRunning(id);
    // What the body reports is stored as it runs, and all of it before the step's result.
    const progress = new Progress(
      () => new StreamWriter(j, () => keeper.current, id, start.attempt, env.logger),
    );
    let value: T;
    try {
      value = await this.callBody(
        id,
        start.attempt,
        interrupted,
        fn,
        options.timeout ?? this.defaults.timeout,
        progress,
      );
    } catch (err) {
      ended();
      const closing = progress.close();
      if (closing) await closing;
      if (keeper.signal.aborted) return this.scope.stop(release);
      // The store failing under the body's own journal calls is not the step's failure either.
      if (this.scope.stoppedByStore(err)) return this.scope.stop(release);
      return this.failed(start, err, began, options, release);
    }
    ended();
    const taking = progress.takeRest();
    const rest = taking ? await taking : undefined;
    if (keeper.signal.aborted) return this.scope.stop(release);
    let encoded;
    try {
      encoded = encodePayload(value, `step "${id}" result`, env.maxPayloadBytes);
      // What a replay will return (a Date as its ISO string), so the first pass sees the same.
      value = asReplayed(value, encoded, `step "${id}" result`);
    } catch (err) {
      return this.failed(start, err, began, options, release);
    }
    await this.scope.commit(release, async () => {
      const endedAt = await j.now();
      return await j.commitStep(keeper.current, {
        ...start,
        status: "completed",
        output: encoded,
        endedAt,
        ...this.scope.countStored(encoded.bytes),
        ...(rest ? { progress: rest } : {}),
      });
    });
    env.emit({
      type: "step.ended",
      runId: run.id,
      stepId: id,
      kind: "run",
      attempt: start.attempt,
      status: "completed",
      durationMs: performance.now() - began,
      output: value,
    });
    return value;
  }

  /** The first attempt of a step with no intent to record, when nothing stops it starting. */
  private async firstAttempt(id: string, seq: number): Promise<StepStart> {
    const startedAt = await this.scope.env.journal.now();
    this.scope.replaying = false;
    return { stepId: id, seq, kind: "run", attempt: 1, startedAt, sideEffect: false };
  }

  /**
   * The bookkeeping before a body runs, all against the store (so a store failure hands the run
   * back): whether the attempt is due, whether an interrupted side effect needs a person, and
   * for a side-effecting step its intent. Never settles when the step cannot start now.
   */
  private async begin(
    id: string,
    seq: number,
    rec: StepRecord | undefined,
    options: StepRunOptions,
    release: () => void,
  ): Promise<StepStart> {
    const { env, keeper, run } = this.scope;
    const j = env.journal;
    let attempt = 1;
    if (rec?.status === "retrying") {
      if ((rec.retryAt ?? 0) > (await j.now())) return this.scope.block(release);
      attempt = rec.attempt + 1;
    } else if (rec?.status === "started") {
      // A side-effecting attempt began and never reported back: the process died mid-step, or
      // the store failed before its result was recorded.
      if (!options.idempotent) {
        const reason =
          `step "${id}" was interrupted mid-way (attempt ${rec.attempt}) and may or may not have taken effect; ` +
          `it is not marked idempotent, so a person must decide: cairn runs retry-step ${run.id} ${id} ` +
          `or cairn runs skip-step ${run.id} ${id}`;
        await j.markNeedsAttention(keeper.current, id, reason);
        env.emit({ type: "run.needs_attention", runId: run.id, stepId: id, reason });
        this.scope.finish({ type: "halt", outcome: "needs-attention" });
        return this.scope.stop(release);
      }
      attempt = rec.attempt + 1;
    }
    if (!(await this.scope.mayStart())) return this.scope.stop(release);
    this.scope.replaying = false;
    const sideEffect = options.sideEffect === true;
    const start: StepStart = { stepId: id, seq, kind: "run", attempt, startedAt: await j.now(), sideEffect };
    if (sideEffect) await j.recordIntent(keeper.current, start);
    return start;
  }

  /** Calls the body (its own errors thrown or rejected alike), with its timeout if it has one. */
  private callBody<T>(
    id: string,
    attempt: number,
    interrupted: boolean,
    fn: (ctx: StepRunContext) => T | Promise<T>,
    timeout: Duration | undefined,
    progress: Progress,
  ): T | Promise<T> {
    const { env, keeper, run } = this.scope;
    const ctx: StepRunContext = {
      runId: run.id,
      stepId: id,
      attempt,
      idempotencyKey: `${run.id}:${id}`,
      signal: keeper.signal,
      logger: env.logger,
      interrupted,
      progress: (data) => {
        env.emit({ type: "step.progress", runId: run.id, stepId: id, data });
        progress.push(data);
      },
    };
    if (timeout === undefined) return fn(ctx);
    return this.callWithTimeout(id, attempt, fn, ctx, timeout);
  }

  private async callWithTimeout<T>(
    id: string,
    attempt: number,
    fn: (ctx: StepRunContext) => T | Promise<T>,
    ctx: StepRunContext,
    timeout: Duration,
  ): Promise<T> {
    const { keeper } = this.scope;
    // With a timeout, the body gets its own signal that aborts on timeout or on a lost lease.
    const ms = toMs(timeout, `step "${id}" timeout`, MAX_TIMER_MS);
    const controller = new AbortController();
    const onLost = () => controller.abort(keeper.signal.reason);
    keeper.signal.addEventListener("abort", onLost, { once: true });
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    const timer = setTimeout(
      () =>
        controller.abort(new StepTimeoutError(`step "${id}" timed out after ${ms} ms (attempt ${attempt})`)),
      ms,
    );
    try {
      return await Promise.race([
        Promise.resolve().then(() => fn({ ...ctx, signal: controller.signal })),
        aborted,
      ]);
    } finally {
      clearTimeout(timer);
      keeper.signal.removeEventListener("abort", onLost);
    }
  }

  private async failed<T>(
    start: StepStart,
    err: unknown,
    began: number,
    options: StepRunOptions,
    release: () => void,
  ): Promise<T> {
    const { env, keeper, run } = this.scope;
    const j = env.journal;
    const retries = options.retries ?? this.defaults.retries ?? 3;
    if (isRetriable(err) && start.attempt <= retries) {
      const now = await this.scope.halting(release, () => j.now());
      let delay: number | undefined;
      try {
        delay = retryDelay(start.stepId, err, start.attempt, options, this.defaults.backoff, now);
      } catch (bad) {
        // A retry delay no store can hold (a RetryAfterError years away) fails the step instead.
        err = bad;
      }
      if (delay !== undefined) return this.retry(start, err, now, now + delay, release);
    }
    const error = serializeError(err);
    await this.scope.commit(release, async () =>
      j.commitStep(keeper.current, {
        ...start,
        status: "failed",
        error,
        endedAt: await j.now(),
      }),
    );
    env.emit({
      type: "step.ended",
      runId: run.id,
      stepId: start.stepId,
      kind: start.kind,
      attempt: start.attempt,
      status: "failed",
      durationMs: performance.now() - began,
      error,
    });
    throw err;
  }

  /** Records a failed attempt, to be tried again at `retryAt`; the step blocks until then. */
  private retry(
    start: StepStart,
    err: unknown,
    now: number,
    retryAt: number,
    release: () => void,
  ): Promise<never> {
    const { env, keeper, run } = this.scope;
    const j = env.journal;
    const error = serializeError(err);
    return this.scope.halting(release, async () => {
      this.scope.noteCancel(await j.recordRetry(keeper.current, { ...start, error, endedAt: now, retryAt }));
      env.emit({
        type: "step.retrying",
        runId: run.id,
        stepId: start.stepId,
        attempt: start.attempt,
        retryAt,
        error,
      });
      return this.scope.block(release);
    });
  }
}

/** The delay before the next attempt; an InputError naming the step when none can be kept. */
function retryDelay(
  stepId: string,
  err: unknown,
  attempt: number,
  options: StepRunOptions,
  fallback: StepRunOptions["backoff"],
  now: number,
): number {
  if (CairnError.is(err, ErrorCode.RetryAfter)) {
    const after = (err as unknown as { retryAfter: number | string | Date }).retryAfter;
    const what = `step "${stepId}" RetryAfterError delay`;
    if (!(after instanceof Date)) return toMs(after, what);
    return Math.max(0, toTime(after, what) - now);
  }
  return backoffDelay(attempt, options.backoff ?? fallback);
}
