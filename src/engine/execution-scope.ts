import { CairnError, ErrorCode } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { formatBytes } from "../shared/payload.js";
import type { CommitOutcome } from "../store/journal.js";
import type { RunRecord, StepKind, StepRecord } from "../store/records.js";
import type { ExecutionEnv, ExecutionOutcome } from "./execution-env.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import { ReplayHistory } from "./replay-history.js";
import type { Workflow } from "./workflow.js";

export type Settled =
  | { type: "returned"; value: unknown }
  | { type: "threw"; error: unknown }
  | { type: "halt"; outcome: ExecutionOutcome }
  /** The store failed under a step's bookkeeping: the run is handed back, never failed. */
  | { type: "store-error"; error: unknown }
  | { type: "suspend" };

/**
 * A promise that never settles: a step that cannot finish in this execution. A fresh one each
 * time, so nothing keeps a suspended handler's closures reachable once the execution is over.
 */
export const never = (): Promise<never> => new Promise<never>(() => {});

/**
 * What every step kind shares within one execution of a run: how and when the execution ends,
 * what step work is in flight, whether a new step may start, and how a failed journal write
 * ends the execution.
 */
export class ExecutionScope {
  readonly history: ReplayHistory;
  readonly ws: string;
  /** True until the first step executes rather than replays: logs are quiet while replaying. */
  replaying = true;
  private active = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private blocked = 0;
  private cancelRequested: boolean;
  private settle!: (s: Settled) => void;
  /** How the execution ended; settles once. */
  readonly settled: Promise<Settled>;
  private ended = false;
  private storedBytes: number;
  private readonly bodies = new Map<string, { began: number; ended?: number }>();
  /**
   * Whether this execution moved the run forward in the journal (a step committed, a retry or a
   * wait recorded): a run handed back after progress is not going round in circles.
   */
  progressed = false;

  constructor(
    readonly env: ExecutionEnv,
    readonly workflow: Workflow,
    readonly run: RunRecord,
    history: StepRecord[],
    readonly keeper: LeaseKeeper,
    /** Aborted when the worker shuts down: no new step starts, and the run is handed back. */
    private readonly shutdown?: AbortSignal,
  ) {
    this.ws = run.workspace;
    this.cancelRequested = run.cancelRequested;
    this.storedBytes = run.storedBytes;
    this.history = new ReplayHistory(run, workflow, history);
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  /** Whether the execution has ended: step calls from now on never settle. */
  get done(): boolean {
    return this.ended;
  }

  finish(s: Settled): void {
    if (this.ended) return;
    this.ended = true;
    this.settle(s);
  }

  replayAwareLogger(): Logger {
    const base = this.env.logger;
    const gate =
      (level: keyof Logger) =>
      (message: string, fields?: Record<string, unknown>): void => {
        if (!this.replaying) base[level](message, { runId: this.run.id, ...fields });
      };
    return { debug: gate("debug"), info: gate("info"), warn: gate("warn"), error: gate("error") };
  }

  /** Names a step call and places it in the journal's order; a mismatch ends the execution. */
  enter(name: string, kind: StepKind): { id: string; seq: number; rec: StepRecord | undefined } {
    const id = this.history.stepId(name);
    try {
      return { id, ...this.history.place(id, kind) };
    } catch (err) {
      this.finish({ type: "threw", error: err });
      throw err;
    }
  }

  replayed(id: string, kind: StepKind): void {
    this.env.emit({ type: "step.replayed", runId: this.run.id, stepId: id, kind });
  }

  /** Reports a step with no body (a wait, a start, a send) as completed, in no time. */
  endedAtOnce(id: string, kind: StepKind, result: { output?: unknown } = {}): void {
    this.env.emit({
      type: "step.ended",
      runId: this.run.id,
      stepId: id,
      kind,
      attempt: 1,
      status: "completed",
      durationMs: 0,
      ...result,
    });
  }

  // ── step work in flight ──────────────────────────────────────────────────────────────────

  /** Marks a step's body as running (performance.now() times); returns what marks it done. */
  bodyRunning(id: string): () => void {
    if (this.bodies.size > 64) {
      for (const [key, b] of this.bodies) if (b.ended !== undefined) this.bodies.delete(key);
    }
    const body: { began: number; ended?: number } = { began: performance.now() };
    this.bodies.set(id, body);
    return () => (body.ended = performance.now());
  }

  /** The step whose body ran longest between `since` and now, if any ran then. */
  busiestBodySince(since: number): string | undefined {
    const now = performance.now();
    let busiest: string | undefined;
    let most = 0;
    for (const [id, b] of this.bodies) {
      const overlap = (b.ended ?? now) - Math.max(b.began, since);
      if (overlap > most) [busiest, most] = [id, overlap];
    }
    return busiest;
  }

  /**
   * Tracks a step's async work so the run is suspended only once nothing is in flight. The work
   * gets a `release` to call when it blocks (it will never settle in this execution).
   */
  track<T>(work: (release: () => void) => Promise<T>): Promise<T> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.active--;
      this.checkQuiescent();
    };
    this.active++;
    let p: Promise<T>;
    try {
      p = work(release);
    } catch (err) {
      // Bad arguments found before the work's first await must not leave it counted in flight.
      p = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    p.then(release, release);
    return p;
  }

  /** The execution is ending: this step's work stops here and never settles. */
  stop(release: () => void): Promise<never> {
    release();
    return never();
  }

  /** The step cannot finish in this execution: it waits for time, an event or a child. */
  block(release: () => void): Promise<never> {
    this.blocked++;
    release();
    return never();
  }

  private checkQuiescent(): void {
    if (this.active === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
    if (this.ended || this.blocked === 0 || this.active > 0) return;
    // Let the handler react to what just settled before deciding it is stuck.
    setImmediate(() => {
      if (!this.ended && this.blocked > 0 && this.active === 0) this.finish({ type: "suspend" });
    });
  }

  /** Resolves once no step work is in flight (a handler may return without awaiting a step). */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ── the journal under a step ─────────────────────────────────────────────────────────────

  /**
   * Whether a new step may begin, answered without waiting when it plainly may (the common
   * case: nothing stops the run and the lease is fresh); otherwise see `mayStart`.
   */
  mayStartNow(): boolean {
    return !this.ended && this.shutdown?.aborted !== true && !this.cancelRequested && this.keeper.isFresh();
  }

  /** Whether a new step may begin; otherwise ends the execution for the right reason. */
  async mayStart(): Promise<boolean> {
    if (this.mayStartNow()) return true;
    if (this.ended) return false;
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

  /**
   * Runs a step's bookkeeping against the store. A failure of the store, a lost lease or a
   * journal that no longer matches the code ends this execution (see `halted`): the returned
   * promise then never settles. Any other error is the workflow's own and rejects it.
   */
  async halting<T>(release: () => void, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      return this.halted(err, release);
    }
  }

  /** A step's commit, under `halting`: a cancel request it reports stops the next step starting. */
  async commit(release: () => void, write: () => Promise<CommitOutcome>): Promise<void> {
    try {
      this.noteCancel(await write());
    } catch (err) {
      return this.halted(err, release);
    }
  }

  /** Takes in what a commit that moved the run forward reports back (a cancel request). */
  noteCancel(outcome: CommitOutcome): void {
    this.progressed = true;
    this.cancelRequested ||= outcome.cancelRequested;
  }

  /** Adds a commit's bytes to the run's total; the commit that crosses the budget carries a warning. */
  countStored(bytes: number): {
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

  /**
   * Ends the execution as stopped by the store when `err` is the store's failure (a step
   * body's own calls to the journal included), so the run is handed back. Returns whether it was.
   */
  stoppedByStore(err: unknown): boolean {
    if (!CairnError.is(err, ErrorCode.Store)) return false;
    this.finish({ type: "store-error", error: err });
    return true;
  }

  /** Converts a store failure inside a step into the end of this execution. */
  private halted(err: unknown, release: () => void): Promise<never> {
    release();
    if (CairnError.is(err, ErrorCode.LeaseLost)) {
      this.keeper.markLost(err);
      return never();
    }
    if (this.stoppedByStore(err)) return never();
    if (CairnError.is(err, ErrorCode.NonDeterminism) || CairnError.is(err, ErrorCode.CorruptPayload)) {
      this.finish({ type: "threw", error: err });
      return never();
    }
    throw err;
  }
}
