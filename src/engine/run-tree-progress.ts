import { Entry } from "../store/entry-types.js";
import type { Journal } from "../store/journal.js";
import type { JournalEntry, StepRecord } from "../store/records.js";
import type { RunLogState } from "./log-progress.js";
import { progressOf } from "./log-progress.js";
import type { Progress, ProgressListener } from "./progress.js";

export interface RunTreeProgressOptions {
  /**
   * Report the root's log from its first entry (a run just started), or only what is written
   * from now on (a run that was already going). Child runs found later are reported whole.
   */
  fromStart?: boolean;
  /** How often the logs are read again in case a store notification was missed (ms). Default 250. */
  pollMs?: number;
}

interface Tail extends RunLogState {
  /** The last log entry read. */
  cursor: number;
}

/**
 * A run and the child runs it starts, reported as Progress read from their logs in the store: the
 * steps, a model's tokens (`step.progress`), waits and ends, whichever process executes them. The
 * same entries `/v1/runs/:id/stream` serves. Woken by the store's log notifications
 * (`Journal.watchLog`) with a slow poll behind them; a store that does not answer is read again
 * at the next wake, and nothing is reported twice.
 */
export class RunTreeProgress {
  private readonly tails = new Map<string, Tail>();
  /** Runs to start reading, each with whether to report only what is written from now on. */
  private readonly pending = new Map<string, boolean>();
  private reading: Promise<void> | undefined;
  private dirty = false;
  /** Steps this process started, to report once the entries written before them are. */
  private readonly local: Extract<Progress, { type: "step.started" }>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly workspace: string,
    private readonly rootId: string,
    private readonly listener: ProgressListener,
    private readonly options: RunTreeProgressOptions = {},
  ) {
    this.pending.set(rootId, options.fromStart === false);
  }

  /** Starts following: what is in the logs is reported at once, then what is appended. */
  start(): void {
    this.unwatch = this.journal.watchLog(this.workspace, (runId) => {
      if (runId === undefined || this.tails.has(runId)) this.poke();
    });
    this.timer = setInterval(() => this.poke(), this.options.pollMs ?? 250);
    this.timer.unref();
    this.poke();
  }

  /**
   * A step that this process's engine started (its in-process `step.started`). A step with no side
   * effect records no start in the log, only its result: without this it would show as started
   * only once it ended. Reported after what the logs hold now, once.
   */
  started(p: Extract<Progress, { type: "step.started" }>): void {
    this.local.push(p);
    this.poke();
  }

  /** Reports everything the logs hold now; resolves once it has (or the store did not answer). */
  async catchUp(): Promise<void> {
    await this.idle();
    this.poke();
    await this.idle();
  }

  /** Reports what the logs hold now (waiting at most `ms`), then stops following. */
  async stop(ms = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.catchUp(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    clearInterval(this.timer);
    this.unwatch?.();
  }

  private async idle(): Promise<void> {
    while (this.reading !== undefined) await this.reading;
  }

  private poke(): void {
    if (this.reading !== undefined) {
      this.dirty = true;
      return;
    }
    this.reading = (async () => {
      do {
        this.dirty = false;
        try {
          await this.read();
        } catch {
          // The store is out of reach: what was not reported is read again at the next wake.
          return;
        }
      } while (this.dirty);
    })().finally(() => {
      this.reading = undefined;
    });
  }

  private async read(): Promise<void> {
    for (let next = first(this.pending); next !== undefined; next = first(this.pending))
      await this.add(...next);
    const batches: { tail: Tail; entries: JournalEntry[] }[] = [];
    for (const tail of this.tails.values()) {
      const entries = await this.journal.readEntries(this.workspace, tail.runId, tail.cursor);
      if (entries.length > 0) batches.push({ tail, entries });
    }
    const steps = new Map<string, Map<string, StepRecord>>();
    for (const { tail, entries } of batches) {
      if (entries.some((e) => e.type === Entry.StepEnded || e.type === Entry.RunStarted))
        steps.set(tail.runId, await this.loadSteps(tail.runId));
    }
    const parents = new Set<string>();
    // In the order they were written across the runs, each run's own entries in its log's order.
    for (;;) {
      let next: { tail: Tail; entries: JournalEntry[] } | undefined;
      for (const b of batches)
        if (b.entries.length > 0 && (next === undefined || b.entries[0]!.at < next.entries[0]!.at)) next = b;
      if (next === undefined) break;
      const e = next.entries.shift()!;
      next.tail.cursor = e.seq;
      if (startsChild(e)) parents.add(next.tail.runId);
      for (const p of progressOf(next.tail, e, steps.get(next.tail.runId) ?? new Map())) this.listener(p);
    }
    for (const p of this.local.splice(0)) {
      const running = this.tails.get(p.runId)?.running;
      if (running?.has(p.stepId)) continue;
      running?.add(p.stepId);
      this.listener(p);
    }
    for (const id of parents) {
      for (const child of await this.journal.listRuns(this.workspace, { parentRunId: id }))
        if (!this.tails.has(child.id) && !this.pending.has(child.id)) {
          this.pending.set(child.id, false);
          this.dirty = true;
        }
    }
  }

  /** Starts reading a run's log, from its start or from now on. */
  private async add(runId: string, fromNow: boolean): Promise<void> {
    const run = await this.journal.getRunSummary(this.workspace, runId);
    const tail: Tail = {
      runId,
      workflow: run?.workflow ?? "",
      ended: new Set(),
      running: new Set(),
      cursor: 0,
    };
    if (fromNow) {
      // Read what is there for what it says of the steps, without reporting it.
      const steps = await this.loadSteps(runId);
      for (const e of await this.journal.readEntries(this.workspace, runId, 0)) {
        progressOf(tail, e, steps);
        tail.cursor = e.seq;
      }
      // Child runs already going are followed from now on too, like their parent.
      for (const child of await this.journal.listRuns(this.workspace, { parentRunId: runId }))
        if (!this.tails.has(child.id)) this.pending.set(child.id, true);
    }
    this.pending.delete(runId);
    this.tails.set(runId, tail);
  }

  private async loadSteps(runId: string): Promise<Map<string, StepRecord>> {
    return new Map((await this.journal.loadSteps(this.workspace, runId)).map((s) => [s.stepId, s]));
  }
}

function first<K, V>(map: Map<K, V>): [K, V] | undefined {
  return map.entries().next().value;
}

/** An entry after which the run may have a new child run: a started one, or one it waits for. */
function startsChild(e: JournalEntry): boolean {
  if (e.type === Entry.StepWaiting) return e.data.kind === "child";
  return e.type === Entry.StepEnded && (e.data.kind === "start" || e.data.kind === "invoke");
}
