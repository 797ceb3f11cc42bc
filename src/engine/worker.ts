import type { Engine } from "./engine.js";
import type { ExecutionOutcome } from "./run-execution.js";
import type { RetentionPolicy } from "./retention.js";
import { RetentionSweeper } from "./retention.js";
import { reportUnrunnable } from "./unrunnable.js";

export interface WorkerOptions {
  /** Runs executed at once. Default 10. */
  concurrency?: number;
  /**
   * Longest pause between looks for work when idle (ms). Default 250; 2,000 on a store that
   * notifies (PostgreSQL), where the poll only catches expired leases of dead workers.
   */
  pollIntervalMs?: number;
  /**
   * While started, hourly (or every `every` ms): deletes ended runs older than the policy keeps
   * them, and payload blobs no run refers to (see retention.ts). Default: no run is deleted,
   * unreferenced blobs are. false: neither.
   */
  retention?: (RetentionPolicy & { every?: number }) | false;
  /**
   * At start, report the runs this worker cannot execute (a workflow or version it does not have)
   * in the log and on the runs themselves (see reportUnrunnable). Default true.
   */
  reportUnrunnable?: boolean;
}

export interface DrainResult {
  executions: number;
  outcomes: Partial<Record<ExecutionOutcome, number>>;
}

/** Longest pause between tries while the store is out of reach. */
const STORE_RETRY_MAX_MS = 5_000;

/**
 * Claims runnable runs and executes them, up to `concurrency` at a time. `drain()` does all
 * work runnable now and returns (`cairn worker --once`); `start()` keeps going until `stop()`,
 * and pauses while the store is out of reach: the runs in hand stop at their next step and are
 * handed back when the store answers (or their leases lapse), and claiming resumes then.
 */
export class Worker {
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly active = new Set<Promise<void>>();
  private stopping = false;
  private loop: Promise<DrainResult> | undefined;
  private wakeUp: (() => void) | undefined;
  /** A wake that came while not idle: the next idle returns at once instead of missing it. */
  private woken = false;
  private unsubscribe: (() => void)[] = [];
  private shutdown = new AbortController();
  private storeDownSince: number | undefined;
  private readonly sweeper: RetentionSweeper | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly options: WorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 10;
    this.pollIntervalMs = options.pollIntervalMs ?? (engine.journal.watch ? 2_000 : 250);
    if (options.retention !== false) {
      const { every, ...policy } = options.retention ?? {};
      this.sweeper = new RetentionSweeper(engine.journal, engine.workspace, policy, engine.logger, every);
    }
  }

  /** Executes everything runnable now, including runs whose worker died, then returns. */
  drain(): Promise<DrainResult> {
    return this.work(true);
  }

  /** True while the store is out of reach and the worker waits for it. */
  get paused(): boolean {
    return this.storeDownSince !== undefined;
  }

  start(): void {
    this.stopping = false;
    if (this.shutdown.signal.aborted) this.shutdown = new AbortController();
    if (this.unsubscribe.length === 0) {
      const wake = () => this.wake();
      // Work made runnable in this process (a start, an event, a decision) is claimed at once,
      // and so is work other processes make runnable, on a store that notifies.
      this.unsubscribe.push(this.engine.onRunnable(wake));
      const unwatch = this.engine.journal.watch?.(this.engine.workspace, wake);
      if (unwatch) this.unsubscribe.push(unwatch);
    }
    if (this.loop === undefined && this.options.reportUnrunnable !== false) {
      reportUnrunnable(this.engine).catch((err: unknown) =>
        this.engine.logger.warn("could not check for runs this worker cannot execute", {
          error: (err as Error).message,
        }),
      );
    }
    this.loop ??= this.work(false);
    this.sweeper?.start();
  }

  /**
   * Stops claiming; the runs in hand finish the steps they are in, then are handed back (their
   * leases released, runnable at once by another worker).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.shutdown.abort();
    await this.sweeper?.stop();
    for (const off of this.unsubscribe.splice(0)) off();
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  private wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  private async work(once: boolean): Promise<DrainResult> {
    const result: DrainResult = { executions: 0, outcomes: {} };
    let retryMs = this.pollIntervalMs;
    while (!this.stopping) {
      let leases;
      try {
        const room = this.concurrency - this.active.size;
        this.woken = false;
        leases = room > 0 ? await this.engine.claim(room) : [];
        this.storeReachable();
        for (const lease of leases) {
          const p: Promise<void> = this.engine
            .execute(lease, { shutdown: this.shutdown.signal })
            .then((outcome) => {
              result.executions++;
              result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
              this.active.delete(p);
              this.wake();
            });
          this.active.add(p);
        }
        if (leases.length > 0 && leases.length === room) continue;
        if (once && this.active.size === 0 && leases.length === 0) break;
        await this.idle(once);
        retryMs = this.pollIntervalMs;
      } catch (err) {
        // A one-off drain reports the failure; a long-running worker waits for the store.
        if (once) {
          await Promise.all(this.active);
          throw err;
        }
        this.storeUnreachable(err, retryMs);
        await this.pause(retryMs);
        retryMs = Math.min(retryMs * 2, STORE_RETRY_MAX_MS);
      }
    }
    await Promise.all(this.active);
    return result;
  }

  /** Waits for a run in hand to finish, a wake-up, the next timer, or the poll interval. */
  private async idle(once: boolean): Promise<void> {
    let delay = this.pollIntervalMs;
    if (!once) {
      const next = await this.engine.journal.nextWakeAt(
        this.engine.workspace,
        this.engine.workflows.map((w) => w.id),
      );
      const now = await this.engine.journal.now();
      // A due time already past belongs to a run we could not claim (at its concurrency limit): poll.
      if (next !== undefined && next > now) delay = Math.min(delay, next - now);
    }
    await this.pause(once && this.active.size > 0 ? 60_000 : delay);
  }

  private async pause(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  private storeUnreachable(err: unknown, retryMs: number): void {
    if (this.storeDownSince !== undefined) return;
    this.storeDownSince = Date.now();
    if ((err as { fileGone?: unknown }).fileGone === true) {
      // Its message says what happened and what to do; retrying helps only if the file comes back.
      this.engine.logger.error(`worker paused: ${(err as Error).message}`);
      return;
    }
    this.engine.logger.warn("the store is out of reach: worker paused, retrying until it answers", {
      error: (err as Error).message,
      retryMs,
    });
  }

  private storeReachable(): void {
    if (this.storeDownSince === undefined) return;
    const downMs = Date.now() - this.storeDownSince;
    this.storeDownSince = undefined;
    this.engine.logger.warn("the store answers again: worker resumed", { downMs });
  }
}
