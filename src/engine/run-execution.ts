import { createHash } from "node:crypto";
import {
  CairnError,
  ErrorCode,
  NonDeterminismError,
  NonRetriableError,
  StepTimeoutError,
} from "../shared/errors.js";
import type { Duration } from "../shared/duration.js";
import { toMs } from "../shared/duration.js";
import type { Logger } from "../shared/logger.js";
import { encodePayload, formatBytes } from "../shared/payload.js";
import type { SerializedError } from "../shared/serialized-error.js";
import { deserializeError, isRetriable, serializeError } from "../shared/serialized-error.js";
import type { Journal, StepCommit, StepStart, WaitOutcome } from "../store/journal.js";
import type {
  ApprovalRecord,
  ApprovalTimeoutPolicy,
  NewRun,
  RunRecord,
  StepKind,
  StepRecord,
} from "../store/records.js";
import { backoffDelay } from "./backoff.js";
import { ChildRunError } from "./child-run-error.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import type { ProgressListener } from "./progress.js";
import type {
  ApprovalResult,
  EventToSend,
  ReceivedEvent,
  Step,
  StepRunContext,
  StepRunOptions,
  WaitForApprovalOptions,
  WaitForEventOptions,
} from "./step.js";
import type { Workflow } from "./workflow.js";

/** How one execution of a run ended. */
export type ExecutionOutcome =
  | "completed"
  | "failed"
  | "cancelled"
  | "waiting"
  | "retrying"
  | "needs-attention"
  | "lease-lost"
  /** The worker is shutting down: the run was handed back after its current steps. */
  | "released";

/** What a run execution needs from the engine around it. */
export interface ExecutionEnv {
  journal: Journal;
  logger: Logger;
  emit: ProgressListener;
  maxPayloadBytes: number;
  /** A run that stores more payload bytes than this gets one `run.storage_warning`. */
  runStorageBudgetBytes: number;
  resolveWorkflow(id: string): Workflow;
  /** A NewRun for `workflow` with its concurrency and singleton keys computed. */
  newRun(workflow: Workflow, input: unknown, extra: Partial<NewRun>): NewRun;
  triggersFor(eventName: string, data: unknown, eventId: string): NewRun[];
}

type Settled =
  | { type: "returned"; value: unknown }
  | { type: "threw"; error: unknown }
  | { type: "halt"; outcome: ExecutionOutcome }
  | { type: "suspend" };

/**
 * A promise that never settles: a step that cannot finish in this execution. A fresh one each
 * time, so nothing keeps a suspended handler's closures reachable once the execution is over.
 */
const never = (): Promise<never> => new Promise<never>(() => {});

/**
 * One pass of a run's handler on this worker: replay what the journal holds, execute what it
 * does not, and stop when the run completes, fails, or can go no further without waiting.
 */
export class RunExecution {
  private readonly bySeq = new Map<number, StepRecord>();
  private readonly byId = new Map<string, StepRecord>();
  private readonly visited = new Set<number>();
  private readonly occurrences = new Map<string, number>();
  private active = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private nextSeq = 0;
  private blocked = 0;
  private replaying = true;
  private cancelRequested: boolean;
  private settle!: (s: Settled) => void;
  private readonly settled: Promise<Settled>;
  private done = false;
  private storedBytes: number;
  private readonly ws: string;

  constructor(
    private readonly env: ExecutionEnv,
    private readonly workflow: Workflow,
    private readonly run: RunRecord,
    history: StepRecord[],
    private readonly keeper: LeaseKeeper,
    /** Aborted when the worker shuts down: no new step starts, and the run is handed back. */
    private readonly shutdown?: AbortSignal,
  ) {
    this.ws = run.workspace;
    this.cancelRequested = run.cancelRequested;
    this.storedBytes = run.storedBytes;
    for (const rec of history) {
      this.bySeq.set(rec.seq, rec);
      this.byId.set(rec.stepId, rec);
    }
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  async execute(): Promise<ExecutionOutcome> {
    const logger = this.replayAwareLogger();
    const step = this.stepApi();
    this.keeper.signal.addEventListener("abort", () => this.finish({ type: "halt", outcome: "lease-lost" }), {
      once: true,
    });
    Promise.resolve()
      .then(() =>
        this.workflow.handler({
          input: this.run.input,
          step,
          runId: this.run.id,
          attempt: this.run.attempt,
          logger,
          workspace: this.ws,
          journal: this.env.journal,
        }),
      )
      .then(
        (value) => this.finish({ type: "returned", value }),
        (error: unknown) => this.finish({ type: "threw", error }),
      );
    const result = await this.settled;
    try {
      return await this.conclude(result);
    } catch (err) {
      if (CairnError.is(err, ErrorCode.LeaseLost)) return this.leaseLost((err as Error).message);
      throw err;
    }
  }

  private finish(s: Settled): void {
    if (this.done) return;
    this.done = true;
    this.settle(s);
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
          await this.whenIdle();
          await j.releaseRun(lease());
        }
        if (result.outcome === "lease-lost")
          return this.leaseLost(
            String((this.keeper.signal.reason as Error | undefined)?.message ?? "lease lost"),
          );
        return result.outcome;
      case "suspend":
        await j.suspendRun(lease());
        this.env.emit({ type: "run.waiting", runId: this.run.id });
        return "waiting";
      case "returned": {
        await this.whenIdle();
        if (this.done && this.keeper.signal.aborted) return this.leaseLost("lease lost while finishing");
        const missing = [...this.bySeq.values()].find((r) => !this.visited.has(r.seq));
        if (missing) {
          return this.fail(
            new NonDeterminismError(
              `run ${this.run.id}: the journal has step "${missing.stepId}" at position ${missing.seq + 1}, but the workflow ` +
                `"${this.workflow.id}" now returns without calling it. The code changed under an in-flight run; ` +
                `deploy changes under a new workflow id (see docs/versioning.md).`,
            ),
          );
        }
        let output;
        try {
          output = encodePayload(result.value, `run ${this.run.id} result`, this.env.maxPayloadBytes);
        } catch (err) {
          return this.fail(err);
        }
        await j.completeRun(lease(), output);
        this.env.emit({ type: "run.ended", runId: this.run.id, status: "completed", output: result.value });
        return "completed";
      }
      case "threw": {
        await this.whenIdle();
        const error = result.error;
        const retries = this.workflow.options.retries ?? 0;
        if (isRetriable(error) && this.run.attempt <= retries) {
          const delay = backoffDelay(this.run.attempt, this.workflow.options.backoff);
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

  private leaseLost(reason: string): ExecutionOutcome {
    this.env.logger.warn("stopped executing a run: its lease is no longer ours", {
      runId: this.run.id,
      reason,
    });
    this.env.emit({ type: "run.lease_lost", runId: this.run.id, reason });
    return "lease-lost";
  }

  // ── bookkeeping shared by every step kind ────────────────────────────────────────────────

  private replayAwareLogger(): Logger {
    const base = this.env.logger;
    const gate =
      (level: keyof Logger) =>
      (message: string, fields?: Record<string, unknown>): void => {
        if (!this.replaying) base[level](message, { runId: this.run.id, ...fields });
      };
    return { debug: gate("debug"), info: gate("info"), warn: gate("warn"), error: gate("error") };
  }

  private stepId(name: string): string {
    if (typeof name !== "string" || name === "") {
      throw new CairnError(ErrorCode.InvalidInput, `run ${this.run.id}: every step needs a non-empty name`);
    }
    const n = (this.occurrences.get(name) ?? 0) + 1;
    this.occurrences.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  }

  /** Places a step call at its position and checks it against the journal. */
  private place(id: string, kind: StepKind): { seq: number; rec: StepRecord | undefined } {
    const seq = this.nextSeq++;
    const rec = this.bySeq.get(seq);
    if (rec && (rec.stepId !== id || rec.kind !== kind)) {
      throw this.mismatch(
        `at position ${seq + 1} the journal has step "${rec.stepId}" (${rec.kind}) but the code now calls "${id}" (${kind})`,
      );
    }
    if (!rec && this.byId.has(id)) {
      const other = this.byId.get(id)!;
      throw this.mismatch(
        `the journal has step "${id}" at position ${other.seq + 1} but the code now calls it at position ${seq + 1}`,
      );
    }
    this.visited.add(seq);
    return { seq, rec };
  }

  private mismatch(detail: string): NonDeterminismError {
    const err = new NonDeterminismError(
      `run ${this.run.id} of workflow "${this.workflow.id}": ${detail}. The code changed under an in-flight run; ` +
        `deploy changes under a new workflow id (see docs/versioning.md).`,
    );
    this.finish({ type: "threw", error: err });
    return err;
  }

  /**
   * Tracks a step's async work so the run is suspended only once nothing is in flight. The work
   * gets a `release` to call when it blocks (it will never settle in this execution).
   */
  private track<T>(work: (release: () => void) => Promise<T>): Promise<T> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.active--;
      this.checkQuiescent();
    };
    this.active++;
    const p = work(release);
    p.then(release, release);
    return p;
  }

  /** The execution is ending: this step's work stops here and never settles. */
  private stop(release: () => void): Promise<never> {
    release();
    return never();
  }

  /** The step cannot finish in this execution: it waits for time, an event or a child. */
  private block(release: () => void): Promise<never> {
    this.blocked++;
    release();
    return never();
  }

  private checkQuiescent(): void {
    if (this.active === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    if (this.done || this.blocked === 0 || this.active > 0) return;
    // Let the handler react to what just settled before deciding it is stuck.
    setImmediate(() => {
      if (!this.done && this.blocked > 0 && this.active === 0) this.finish({ type: "suspend" });
    });
  }

  /** Resolves once no step work is in flight (a handler may return without awaiting a step). */
  private whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Converts a store failure inside a step into the end of this execution. */
  private halted(err: unknown, release: () => void): Promise<never> {
    release();
    if (CairnError.is(err, ErrorCode.LeaseLost)) {
      this.keeper.markLost((err as Error).message);
      return never();
    }
    if (CairnError.is(err, ErrorCode.NonDeterminism) || CairnError.is(err, ErrorCode.CorruptPayload)) {
      this.finish({ type: "threw", error: err });
      return never();
    }
    throw err;
  }

  /** Whether a new step may begin; otherwise ends the execution for the right reason. */
  private async mayStart(): Promise<boolean> {
    if (this.done) return false;
    if (this.shutdown?.aborted) {
      this.finish({ type: "halt", outcome: "released" });
      return false;
    }
    if (this.cancelRequested) {
      this.finish({ type: "halt", outcome: "cancelled" });
      return false;
    }
    if (!(await this.keeper.ensureFresh())) {
      this.keeper.markLost("the lease could not be renewed in time; stopped starting steps");
      return false;
    }
    return true;
  }

  /** Adds a commit's bytes to the run's total; the commit that crosses the budget carries a warning. */
  private countStored(bytes: number): {
    storageWarning?: { storedBytes: number; budgetBytes: number; message: string };
  } {
    const before = this.storedBytes;
    this.storedBytes += bytes;
    const budget = this.env.runStorageBudgetBytes;
    if (before > budget || this.storedBytes <= budget) return {};
    const message = `run has stored ${formatBytes(this.storedBytes)}, over its ${formatBytes(budget)} budget`;
    this.env.logger.warn(message, { runId: this.run.id });
    return { storageWarning: { storedBytes: this.storedBytes, budgetBytes: budget, message } };
  }

  private replayed(id: string, kind: StepKind): void {
    this.env.emit({ type: "step.replayed", runId: this.run.id, stepId: id, kind });
  }

  // ── the step API ─────────────────────────────────────────────────────────────────────────

  private stepApi(): Step {
    return {
      run: (name, fn, options) => this.guard(() => this.runStep(name, fn, options ?? {})),
      sleep: (name, duration) => this.guard(() => this.sleepStep(name, { duration })),
      sleepUntil: (name, until) => this.guard(() => this.sleepStep(name, { until })),
      waitForEvent: <T>(name: string, options: WaitForEventOptions) =>
        this.guard(() => this.waitStep<T>(name, options)),
      sendEvent: (name, event) => this.guard(() => this.sendStep(name, event)),
      waitForApproval: (name, options) => this.guard(() => this.approvalStep(name, options)),
      start: (name, wf, input, options) => this.guard(() => this.startStep(name, wf, input, options?.runAt)),
      invoke: <I, O>(name: string, wf: Workflow<I, O> | string, input: I) =>
        this.guard(() => this.invokeStep<O>(name, wf, input)),
    };
  }

  /** Step calls after the execution ended never settle; bookkeeping errors end it. */
  private guard<T>(body: () => Promise<T>): Promise<T> {
    if (this.done) return never();
    try {
      return body();
    } catch (err) {
      if (CairnError.is(err, ErrorCode.NonDeterminism)) return never();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private runStep<T>(
    name: string,
    fn: (ctx: StepRunContext) => T | Promise<T>,
    options: StepRunOptions,
  ): Promise<T> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "run");
    if (rec?.status === "completed") {
      this.replayed(id, "run");
      return Promise.resolve(rec.output as T);
    }
    if (rec?.status === "failed") {
      this.replayed(id, "run");
      return Promise.reject(deserializeError(rec.error ?? { name: "Error", message: "step failed" }));
    }
    return this.track((release) => this.executeRunStep(id, seq, rec, fn, options, release));
  }

  private async executeRunStep<T>(
    id: string,
    seq: number,
    rec: StepRecord | undefined,
    fn: (ctx: StepRunContext) => T | Promise<T>,
    options: StepRunOptions,
    release: () => void,
  ): Promise<T> {
    const j = this.env.journal;
    const defaults = this.workflow.options.steps ?? {};
    const sideEffect = options.sideEffect === true;
    let attempt = 1;
    const interrupted = rec?.status === "started";
    if (rec?.status === "retrying") {
      if ((rec.retryAt ?? 0) > (await j.now())) return this.block(release);
      attempt = rec.attempt + 1;
    } else if (rec?.status === "started") {
      // A side-effecting attempt began and never reported back: the process died mid-step.
      if (!options.idempotent) {
        const reason =
          `step "${id}" was interrupted mid-way (attempt ${rec.attempt}) and may or may not have taken effect; ` +
          `it is not marked idempotent, so a person must decide: cairn runs retry-step ${this.run.id} ${id} ` +
          `or cairn runs skip-step ${this.run.id} ${id}`;
        await j
          .markNeedsAttention(this.keeper.current, id, reason)
          .catch((e: unknown) => this.halted(e, release));
        this.env.emit({ type: "run.needs_attention", runId: this.run.id, stepId: id, reason });
        this.finish({ type: "halt", outcome: "needs-attention" });
        return this.stop(release);
      }
      attempt = rec.attempt + 1;
    }
    if (!(await this.mayStart())) return this.stop(release);
    this.replaying = false;
    const start: StepStart = { stepId: id, seq, kind: "run", attempt, startedAt: await j.now(), sideEffect };
    try {
      if (sideEffect) await j.recordIntent(this.keeper.current, start);
    } catch (err) {
      return this.halted(err, release);
    }
    this.env.emit({ type: "step.started", runId: this.run.id, stepId: id, kind: "run", attempt });
    const began = performance.now();
    let value: T;
    try {
      value = await this.callBody(id, attempt, interrupted, fn, options.timeout ?? defaults.timeout);
    } catch (err) {
      if (this.keeper.signal.aborted) return this.stop(release);
      return this.stepFailed(start, err, began, options, release);
    }
    if (this.keeper.signal.aborted) return this.stop(release);
    let encoded;
    try {
      encoded = encodePayload(value, `step "${id}" result`, this.env.maxPayloadBytes);
    } catch (err) {
      return this.stepFailed(start, err, began, options, release);
    }
    try {
      const outcome = await j.commitStep(this.keeper.current, {
        ...start,
        status: "completed",
        output: encoded,
        endedAt: await j.now(),
        ...this.countStored(encoded.bytes),
      });
      this.cancelRequested ||= outcome.cancelRequested;
    } catch (err) {
      return this.halted(err, release);
    }
    this.env.emit({
      type: "step.ended",
      runId: this.run.id,
      stepId: id,
      kind: "run",
      attempt,
      status: "completed",
      durationMs: performance.now() - began,
      output: value,
    });
    return value;
  }

  private async callBody<T>(
    id: string,
    attempt: number,
    interrupted: boolean,
    fn: (ctx: StepRunContext) => T | Promise<T>,
    timeout: Duration | undefined,
  ): Promise<T> {
    const ctx: StepRunContext = {
      runId: this.run.id,
      stepId: id,
      attempt,
      idempotencyKey: `${this.run.id}:${id}`,
      signal: this.keeper.signal,
      logger: this.env.logger,
      interrupted,
      progress: (data) => this.env.emit({ type: "step.progress", runId: this.run.id, stepId: id, data }),
    };
    if (timeout === undefined) return fn(ctx);
    // With a timeout, the body gets its own signal that aborts on timeout or on a lost lease.
    const ms = toMs(timeout, `step "${id}" timeout`);
    const controller = new AbortController();
    const onLost = () => controller.abort(this.keeper.signal.reason);
    this.keeper.signal.addEventListener("abort", onLost, { once: true });
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
      this.keeper.signal.removeEventListener("abort", onLost);
    }
  }

  private async stepFailed<T>(
    start: StepStart,
    err: unknown,
    began: number,
    options: StepRunOptions,
    release: () => void,
  ): Promise<T> {
    const j = this.env.journal;
    const defaults = this.workflow.options.steps ?? {};
    const retries = options.retries ?? defaults.retries ?? 3;
    const error = serializeError(err);
    try {
      if (isRetriable(err) && start.attempt <= retries) {
        const now = await j.now();
        const delay = retryDelay(err, start.attempt, options, defaults.backoff, now);
        const retryAt = now + delay;
        const outcome = await j.recordRetry(this.keeper.current, { ...start, error, endedAt: now, retryAt });
        this.cancelRequested ||= outcome.cancelRequested;
        this.env.emit({
          type: "step.retrying",
          runId: this.run.id,
          stepId: start.stepId,
          attempt: start.attempt,
          retryAt,
          error,
        });
        return this.block(release);
      }
      const outcome = await j.commitStep(this.keeper.current, {
        ...start,
        status: "failed",
        error,
        endedAt: await j.now(),
      });
      this.cancelRequested ||= outcome.cancelRequested;
    } catch (storeErr) {
      return this.halted(storeErr, release);
    }
    this.env.emit({
      type: "step.ended",
      runId: this.run.id,
      stepId: start.stepId,
      kind: start.kind,
      attempt: start.attempt,
      status: "failed",
      durationMs: performance.now() - began,
      error,
    });
    throw err;
  }

  private sleepStep(
    name: string,
    when: { duration?: Duration; until?: Date | number | string },
  ): Promise<void> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "sleep");
    if (rec?.status === "completed") {
      this.replayed(id, "sleep");
      return Promise.resolve();
    }
    return this.track((release) =>
      this.awaitWait(id, seq, rec, "sleep", release, async (now) => ({
        kind: "sleep",
        dueAt:
          when.until !== undefined
            ? toTime(when.until, `step "${id}" sleepUntil`)
            : now + toMs(when.duration ?? 0, `step "${id}" duration`),
      })).then(() => undefined),
    );
  }

  private waitStep<T>(name: string, options: WaitForEventOptions): Promise<ReceivedEvent<T> | null> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "event");
    if (rec?.status === "completed") {
      this.replayed(id, "event");
      return Promise.resolve(rec.output as ReceivedEvent<T> | null);
    }
    if (typeof options?.event !== "string" || options.event === "") {
      return Promise.reject(
        new CairnError(ErrorCode.InvalidInput, `step "${id}": waitForEvent needs an event name`),
      );
    }
    return this.track((release) =>
      this.awaitWait(id, seq, rec, "event", release, async (now) => ({
        kind: "event",
        eventName: options.event,
        ...(options.match ? { match: options.match } : {}),
        ...(options.timeout !== undefined
          ? { dueAt: now + toMs(options.timeout, `step "${id}" timeout`) }
          : {}),
      })).then((o) =>
        o.status === "event"
          ? { id: o.event.id, name: o.event.name, data: o.event.data as T, at: o.event.at }
          : null,
      ),
    );
  }

  private invokeStep<O>(name: string, target: Workflow | string, input: unknown): Promise<O> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "invoke");
    if (rec?.status === "completed") {
      this.replayed(id, "invoke");
      return childResult<O>(rec.output as StoredChild);
    }
    const wf =
      typeof target === "string" ? this.env.resolveWorkflow(target) : this.env.resolveWorkflow(target.id);
    return this.track((release) =>
      this.awaitWait(id, seq, rec, "invoke", release, async () => ({
        kind: "child",
        child: this.env.newRun(wf, input, {
          workspace: this.ws,
          parentRunId: this.run.id,
          parentStepId: id,
          idempotencyKey: `${this.run.id}:${id}`,
        }),
      })),
    ).then((o) => {
      if (o.status !== "child")
        throw new CairnError(ErrorCode.Internal, `step "${id}": expected a child run result`);
      return childResult<O>({
        childRunId: o.childRunId,
        status: o.childStatus,
        output: o.output,
        error: o.error,
      });
    });
  }

  private approvalStep(name: string, options: WaitForApprovalOptions): Promise<ApprovalResult> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "approval");
    const toResult = (a: ApprovalRecord): ApprovalResult => {
      if (a.status === "expired" && a.onTimeout?.action === "fail") {
        throw new NonRetriableError(`approval ${a.id} ("${a.title}") expired without a decision`);
      }
      return {
        approvalId: a.id,
        status: a.status === "approved" ? "approved" : a.status === "rejected" ? "rejected" : "expired",
        by: a.decidedBy,
        at: a.decidedAt,
        reason: a.reason,
        editedArgs: a.editedArgs ?? null,
      };
    };
    if (rec?.status === "completed") {
      this.replayed(id, "approval");
      return Promise.resolve(rec.output as ApprovalRecord).then(toResult);
    }
    if (typeof options?.title !== "string" || options.title === "") {
      return Promise.reject(
        new CairnError(ErrorCode.InvalidInput, `step "${id}": waitForApproval needs a title`),
      );
    }
    const approvalId = `apr_${createHash("sha256").update(`${this.run.id}:${id}`).digest("hex").slice(0, 16)}`;
    return this.track((release) =>
      this.awaitWait(id, seq, rec, "approval", release, async (now) => {
        const timeoutMs =
          options.timeout === undefined ? undefined : toMs(options.timeout, `step "${id}" timeout`);
        const request = encodePayload(
          options.details ?? null,
          `step "${id}" approval details`,
          this.env.maxPayloadBytes,
        );
        const data = {
          event: "approval.requested",
          approvalId,
          runId: this.run.id,
          stepId: id,
          title: options.title,
          details: options.details ?? null,
          approvers: options.approvers ?? null,
          dueAt: timeoutMs === undefined ? null : now + timeoutMs,
        };
        return {
          kind: "approval" as const,
          ...(timeoutMs !== undefined ? { dueAt: now + timeoutMs } : {}),
          approval: {
            id: approvalId,
            title: options.title,
            request,
            ...(options.argsHash !== undefined ? { argsHash: options.argsHash } : {}),
            ...(options.approvers !== undefined ? { approvers: options.approvers } : {}),
            ...(options.batch !== undefined ? { batchId: options.batch } : {}),
            ...(options.onTimeout !== undefined ? { onTimeout: timeoutPolicy(options.onTimeout, id) } : {}),
          },
          notify: {
            event: {
              id: `${approvalId}:requested`,
              name: "approval.requested",
              data: encodePayload(data, "approval.requested"),
            },
            triggers: this.env.triggersFor("approval.requested", data, `${approvalId}:requested`),
          },
        };
      }),
    ).then((o) => {
      if (o.status !== "approval")
        throw new CairnError(ErrorCode.Internal, `step "${id}": expected an approval decision`);
      return toResult(o.approval);
    });
  }

  /** Registers a wait the first time, then settles it if it can be, or blocks. */
  private async awaitWait(
    id: string,
    seq: number,
    rec: StepRecord | undefined,
    kind: StepKind,
    release: () => void,
    describe: (
      now: number,
    ) => Promise<Omit<Parameters<Journal["registerWait"]>[1], "stepId" | "seq" | "startedAt">>,
  ): Promise<WaitOutcome> {
    const j = this.env.journal;
    try {
      if (rec === undefined) {
        if (!(await this.mayStart())) return this.stop(release);
        this.replaying = false;
        const now = await j.now();
        const wait = await describe(now);
        const outcome = await j.registerWait(this.keeper.current, {
          ...wait,
          stepId: id,
          seq,
          startedAt: now,
        });
        this.cancelRequested ||= outcome.cancelRequested;
        this.env.emit({
          type: "step.waiting",
          runId: this.run.id,
          stepId: id,
          kind,
          ...(wait.dueAt !== undefined ? { until: wait.dueAt } : {}),
          ...(wait.eventName !== undefined ? { event: wait.eventName } : {}),
        });
      }
      const outcome = await j.settleWait(this.keeper.current, this.run.id, id);
      if (outcome.status === "pending") return this.block(release);
      this.env.emit({
        type: "step.ended",
        runId: this.run.id,
        stepId: id,
        kind,
        attempt: 1,
        status: "completed",
        durationMs: 0,
      });
      return outcome;
    } catch (err) {
      return this.halted(err, release);
    }
  }

  private startStep(
    name: string,
    target: { id: string } | string,
    input: unknown,
    runAt: Date | number | undefined,
  ): Promise<{ runId: string }> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "start");
    if (rec?.status === "completed") {
      this.replayed(id, "start");
      return Promise.resolve(rec.output as { runId: string });
    }
    const wf = this.env.resolveWorkflow(typeof target === "string" ? target : target.id);
    const child = this.env.newRun(wf, input, {
      workspace: this.ws,
      parentRunId: this.run.id,
      parentStepId: id,
      idempotencyKey: `${this.run.id}:${id}`,
      ...(runAt !== undefined ? { runAt: runAt instanceof Date ? runAt.getTime() : runAt } : {}),
    });
    return this.track((release) =>
      this.commitInstantStep(id, seq, "start", { runId: child.id }, release, { startRuns: [child] }),
    );
  }

  private sendStep(name: string, event: EventToSend): Promise<{ eventId: string }> {
    const id = this.stepId(name);
    const { seq, rec } = this.place(id, "send");
    if (rec?.status === "completed") {
      this.replayed(id, "send");
      return Promise.resolve(rec.output as { eventId: string });
    }
    return this.track((release) => this.executeSend(id, seq, event, release));
  }

  private executeSend(
    id: string,
    seq: number,
    event: EventToSend,
    release: () => void,
  ): Promise<{ eventId: string }> {
    if (typeof event?.name !== "string" || event.name === "") {
      throw new CairnError(ErrorCode.InvalidInput, `step "${id}": sendEvent needs an event with a name`);
    }
    const eventId = event.id ?? `${this.run.id}:${id}`;
    const data = encodePayload(event.data ?? null, `step "${id}" event data`, this.env.maxPayloadBytes);
    return this.commitInstantStep(id, seq, "send", { eventId }, release, {
      event: {
        event: { id: eventId, name: event.name, data },
        triggers: this.env.triggersFor(event.name, event.data ?? null, eventId),
      },
    });
  }

  /** A step with no body: its effect (an event, a child run) commits with its result, atomically. */
  private async commitInstantStep<T>(
    id: string,
    seq: number,
    kind: StepKind,
    output: T,
    release: () => void,
    effect: Pick<StepCommit, "event" | "startRuns">,
  ): Promise<T> {
    const j = this.env.journal;
    if (!(await this.mayStart())) return this.stop(release);
    this.replaying = false;
    const now = await j.now();
    try {
      const outcome = await j.commitStep(this.keeper.current, {
        stepId: id,
        seq,
        kind,
        attempt: 1,
        startedAt: now,
        sideEffect: false,
        status: "completed",
        output: encodePayload(output, `step "${id}" result`),
        endedAt: now,
        ...effect,
      });
      this.cancelRequested ||= outcome.cancelRequested;
    } catch (err) {
      return this.halted(err, release);
    }
    this.env.emit({
      type: "step.ended",
      runId: this.run.id,
      stepId: id,
      kind,
      attempt: 1,
      status: "completed",
      durationMs: 0,
      output,
    });
    return output;
  }
}

interface StoredChild {
  childRunId: string;
  status: string;
  output: unknown;
  error: SerializedError | null;
}

function childResult<O>(c: StoredChild): Promise<O> {
  if (c.status === "completed") return Promise.resolve(c.output as O);
  return Promise.reject(new ChildRunError(c.childRunId, c.status, c.error));
}

function retryDelay(
  err: unknown,
  attempt: number,
  options: StepRunOptions,
  fallback: StepRunOptions["backoff"],
  now: number,
): number {
  if (CairnError.is(err, ErrorCode.RetryAfter)) {
    const after = (err as unknown as { retryAfter: number | string | Date }).retryAfter;
    return after instanceof Date ? Math.max(0, after.getTime() - now) : toMs(after, "RetryAfterError delay");
  }
  return backoffDelay(attempt, options.backoff ?? fallback);
}

function timeoutPolicy(
  p: NonNullable<WaitForApprovalOptions["onTimeout"]>,
  id: string,
): ApprovalTimeoutPolicy {
  if (p === "reject" || p === "fail") return { action: p };
  if ("approve" in p) return { action: "approve", args: p.approve };
  return {
    action: "escalate",
    approvers: p.escalate,
    timeoutMs: toMs(p.timeout, `step "${id}" escalation timeout`),
  };
}

function toTime(value: Date | number | string, what: string): number {
  const t = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(t))
    throw new CairnError(ErrorCode.InvalidInput, `${what}: ${String(value)} is not a date`);
  return t;
}
