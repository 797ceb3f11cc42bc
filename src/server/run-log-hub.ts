import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import { isTerminal } from "../store/records.js";
import type { JournalEntry, RunStatus, StepRecord } from "../store/records.js";
import type { PublicError } from "./schemas.js";
import { publicError } from "./schemas.js";

/** One event of a run's stream: a log entry, with the output of a step or run that ended. */
export interface StreamEvent {
  /** The entry's position in the run's log, from 1: the SSE `id`. */
  seq: number;
  type: string;
  runId: string;
  stepId: string | null;
  at: number;
  data: Record<string, unknown>;
  /** step.ended and run.ended: the result (left out above MAX_INLINE_OUTPUT bytes of JSON). */
  output?: unknown;
  outputOmitted?: true;
  /** run.ended: the status and error (as responses show errors: no stack). */
  status?: RunStatus;
  error?: PublicError | null;
}

/** Outputs above this many bytes of JSON are left out of stream events (GET the run for them). */
export const MAX_INLINE_OUTPUT = 256 * 1024;

export interface RunSubscriber {
  /** Events after this seq are delivered (0: the whole log). */
  afterSeq: number;
  /** Called with each new batch, in order, each event once. */
  onEvents(events: StreamEvent[]): void;
  /**
   * After the run.ended event was delivered, or at once when the run had ended at or before
   * `afterSeq` (nothing more will come), or when the hub closed.
   */
  onEnd(reason: "ended" | "closed"): void;
}

export interface Subscription {
  close(): void;
}

interface Sub {
  s: RunSubscriber;
  delivered: number;
  catchingUp: boolean;
  queue: StreamEvent[];
  closed: boolean;
}

/**
 * Live run logs for many subscribers: one store reader per run however many subscribe (1,000
 * browsers on one run are one reader), woken by the store's log notifications (Journal.watchLog)
 * and, in case one is lost, a slow poll. A subscriber joining late reads what it missed from the
 * store itself, then takes the shared feed; events are numbered, so none is missed or repeated.
 */
export class RunLogHub {
  private readonly tails = new Map<string, RunTail>();
  private readonly unwatch = new Map<string, () => void>();
  private readonly fallback: NodeJS.Timeout;

  constructor(
    private readonly journal: Journal,
    private readonly logger: Logger,
    fallbackPollMs = 1_000,
  ) {
    this.fallback = setInterval(() => {
      for (const t of this.tails.values()) t.poke();
    }, fallbackPollMs);
    this.fallback.unref();
  }

  /** How many runs are being read, and by how many subscribers in all. */
  get stats(): { runs: number; subscribers: number } {
    let subscribers = 0;
    for (const t of this.tails.values()) subscribers += t.subs.size;
    return { runs: this.tails.size, subscribers };
  }

  subscribe(workspace: string, runId: string, subscriber: RunSubscriber): Subscription {
    const key = `${workspace}\u0000${runId}`;
    let tail = this.tails.get(key);
    if (tail === undefined) {
      tail = new RunTail(this.journal, workspace, runId, this.logger);
      this.tails.set(key, tail);
      this.watch(workspace);
    }
    const t = tail;
    const sub: Sub = {
      s: subscriber,
      delivered: subscriber.afterSeq,
      catchingUp: true,
      queue: [],
      closed: false,
    };
    t.subs.add(sub);
    void t.catchUp(sub);
    return {
      // Closing twice is harmless: a later tail of the same run is not dropped by it.
      close: () => {
        sub.closed = true;
        if (t.subs.delete(sub) && t.subs.size === 0) this.drop(key, t);
      },
    };
  }

  /** Ends every subscription (server shutdown). */
  close(): void {
    clearInterval(this.fallback);
    for (const [key, t] of this.tails) {
      for (const sub of t.subs) end(sub, "closed");
      this.drop(key, t);
    }
  }

  private watch(workspace: string): void {
    if (this.unwatch.has(workspace)) return;
    const off = this.journal.watchLog(workspace, (runId) => {
      if (runId !== undefined) {
        this.tails.get(`${workspace}\u0000${runId}`)?.poke();
        return;
      }
      for (const t of this.tails.values()) if (t.workspace === workspace) t.poke();
    });
    this.unwatch.set(workspace, off);
  }

  private drop(key: string, tail: RunTail): void {
    if (this.tails.get(key) !== tail) return;
    this.tails.delete(key);
    if (![...this.tails.values()].some((t) => t.workspace === tail.workspace)) {
      this.unwatch.get(tail.workspace)?.();
      this.unwatch.delete(tail.workspace);
    }
  }
}

/** The reader of one run's log. */
class RunTail {
  readonly subs = new Set<Sub>();
  private reading = false;
  private dirty = false;

  constructor(
    private readonly journal: Journal,
    readonly workspace: string,
    private readonly runId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * The subscriber reads what it missed from the store; live batches wait in its queue meanwhile.
   * A subscriber starting at or after the run.ended of a run that has ended is ended at once: no
   * fresh run.ended will ever come to end it.
   */
  async catchUp(sub: Sub): Promise<void> {
    try {
      // Read before the log: a run seen ended has its run.ended in the log (one transaction).
      const run = await this.journal.getRunSummary(this.workspace, this.runId);
      const missed = await readEvents(this.journal, this.workspace, this.runId, sub.delivered);
      if (sub.closed) return;
      deliver(sub, missed);
      const queued = sub.queue.splice(0);
      sub.catchingUp = false;
      if (run === undefined || isTerminal(run.status)) {
        end(sub, run === undefined ? "closed" : "ended");
        return;
      }
      deliver(sub, queued);
      this.poke();
    } catch (err) {
      this.logger.warn("could not read a run's log for a stream", { runId: this.runId, error: String(err) });
      end(sub, "closed");
    }
  }

  poke(): void {
    if (this.reading) {
      this.dirty = true;
      return;
    }
    this.reading = true;
    void this.read().finally(() => {
      this.reading = false;
    });
  }

  /**
   * Reads after the least any live subscriber has been given (they are all given every batch at
   * once, so normally one number) and hands the batch to all; each takes what it has not seen.
   */
  private async read(): Promise<void> {
    do {
      this.dirty = false;
      let from = Infinity;
      for (const sub of this.subs) if (!sub.catchingUp && sub.delivered < from) from = sub.delivered;
      if (from === Infinity) return;
      try {
        const events = await readEvents(this.journal, this.workspace, this.runId, from);
        if (events.length === 0) continue;
        for (const sub of [...this.subs]) {
          if (sub.catchingUp) sub.queue.push(...events);
          else deliver(sub, events);
        }
      } catch (err) {
        // The store is out of reach: the fallback poll tries again.
        this.logger.warn("could not read a run's log for a stream", {
          runId: this.runId,
          error: String(err),
        });
        return;
      }
    } while (this.dirty);
  }
}

function deliver(sub: Sub, events: StreamEvent[]): void {
  if (sub.closed) return;
  const fresh = events.filter((e) => e.seq > sub.delivered);
  if (fresh.length === 0) return;
  sub.delivered = fresh.at(-1)!.seq;
  sub.s.onEvents(fresh);
  if (fresh.some((e) => e.type === "run.ended")) end(sub, "ended");
}

function end(sub: Sub, reason: "ended" | "closed"): void {
  if (sub.closed) return;
  sub.closed = true;
  sub.s.onEnd(reason);
}

/** A run's log after `afterSeq`, with the outputs of the steps and the run that ended in it. */
export async function readEvents(
  journal: Journal,
  workspace: string,
  runId: string,
  afterSeq: number,
): Promise<StreamEvent[]> {
  const entries = await journal.readEntries(workspace, runId, afterSeq);
  if (entries.length === 0) return [];
  let steps: Map<string, StepRecord> | undefined;
  if (entries.some((e) => e.type === "step.ended")) {
    steps = new Map((await journal.loadSteps(workspace, runId)).map((s) => [s.stepId, s]));
  }
  const run = entries.some((e) => e.type === "run.ended")
    ? await journal.getRun(workspace, runId)
    : undefined;
  return entries.map((e) => toEvent(e, runId, steps, run));
}

function toEvent(
  e: JournalEntry,
  runId: string,
  steps: Map<string, StepRecord> | undefined,
  run: Awaited<ReturnType<Journal["getRun"]>>,
): StreamEvent {
  const event: StreamEvent = { seq: e.seq, type: e.type, runId, stepId: e.stepId, at: e.at, data: e.data };
  if (e.type === "step.ended" && e.stepId !== null) {
    const step = steps?.get(e.stepId);
    if (step?.status === "completed") withOutput(event, step.output);
  } else if (e.type === "run.ended" && run !== undefined) {
    event.status = run.status;
    event.error = publicError(run.error);
    if (run.status === "completed") withOutput(event, run.output);
  }
  return event;
}

function withOutput(event: StreamEvent, output: unknown): void {
  const size = output === undefined ? 0 : (JSON.stringify(output)?.length ?? 0);
  if (size > MAX_INLINE_OUTPUT) event.outputOmitted = true;
  else event.output = output;
}
