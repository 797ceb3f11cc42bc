import type { Engine } from "./engine.js";
import type { ExecutionOutcome } from "./run-execution.js";

export interface WorkerOptions {
  /** Runs executed at once. Default 10. */
  concurrency?: number;
  /** Longest pause between looks for work when idle (ms). Default 250. */
  pollIntervalMs?: number;
}

export interface DrainResult {
  executions: number;
  outcomes: Partial<Record<ExecutionOutcome, number>>;
}

/**
 * Claims runnable runs and executes them, up to `concurrency` at a time. `drain()` does all
 * work runnable now and returns (`cairn worker --once`); `start()` keeps going until `stop()`.
 */
export class Worker {
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly active = new Set<Promise<void>>();
  private stopping = false;
  private loop: Promise<DrainResult> | undefined;
  private wakeUp: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private shutdown = new AbortController();

  constructor(
    private readonly engine: Engine,
    options: WorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 10;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
  }

  /** Executes everything runnable now, including runs whose worker died, then returns. */
  drain(): Promise<DrainResult> {
    return this.work(true);
  }

  start(): void {
    this.stopping = false;
    if (this.shutdown.signal.aborted) this.shutdown = new AbortController();
    // Work made runnable in this process (a start, an event, a decision) is claimed at once.
    this.unsubscribe ??= this.engine.onRunnable(() => this.wakeUp?.());
    this.loop ??= this.work(false);
  }

  /**
   * Stops claiming; the runs in hand finish the steps they are in, then are handed back (their
   * leases released, runnable at once by another worker).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.shutdown.abort();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.wakeUp?.();
    await this.loop;
    this.loop = undefined;
  }

  private async work(once: boolean): Promise<DrainResult> {
    const result: DrainResult = { executions: 0, outcomes: {} };
    while (!this.stopping) {
      const room = this.concurrency - this.active.size;
      const leases = room > 0 ? await this.engine.claim(room) : [];
      for (const lease of leases) {
        const p: Promise<void> = this.engine
          .execute(lease, { shutdown: this.shutdown.signal })
          .then((outcome) => {
            result.executions++;
            result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
            this.active.delete(p);
            this.wakeUp?.();
          });
        this.active.add(p);
      }
      if (leases.length > 0 && leases.length === room) continue;
      if (once && this.active.size === 0 && leases.length === 0) break;
      await this.idle(once);
    }
    await Promise.all(this.active);
    return result;
  }

  /** Waits for a run in hand to finish, the next timer, or the poll interval. */
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
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, once && this.active.size > 0 ? 60_000 : delay);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = undefined;
  }
}
