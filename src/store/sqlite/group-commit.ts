import type { Transaction } from "better-sqlite3";
import { StallMeter } from "../stall-meter.js";

/** better-sqlite3's transaction wrapper, built once over "run this function". */
export type JournalTransaction = Transaction<(fn: () => unknown) => unknown>;

/**
 * How the SQLite journal's writes reach the database: each alone in an IMMEDIATE transaction, or
 * grouped with the others of the same turn of the event loop.
 */
export class GroupCommit {
  private readonly batch: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: Error) => void }[] =
    [];

  /**
   * The journal's transaction wrapper is read at each write, not kept here: the write benchmarks
   * reach into the journal and wrap it in place to time the transactions.
   */
  constructor(
    private readonly transaction: () => JournalTransaction,
    /** What a failure becomes for the caller: the store's failures, named as such. */
    private readonly failure: (err: unknown) => Error,
    /** Times each transaction: one that waited long on another process's lock is remembered. */
    private readonly meter: StallMeter = new StallMeter(),
  ) {}

  tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.meter.time(() => this.transaction().immediate(fn)) as T);
    } catch (err) {
      return Promise.reject(this.failure(err));
    }
  }

  /**
   * Group commit: step commits requested in the same turn of the event loop (concurrent runs)
   * share one transaction and one fsync. Each runs in its own savepoint, so one that fails (a
   * lost lease) is rolled back alone; every caller's promise settles only after the commit.
   */
  grouped<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.batch.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const items = this.batch.splice(0);
    if (items.length === 1) {
      // One commit alone (a single run's steps): its own transaction, settled straight from it.
      const [item] = items as [(typeof items)[number]];
      let value: unknown;
      try {
        value = this.meter.time(() => this.transaction().immediate(item.fn));
      } catch (err) {
        item.reject(this.failure(err));
        return;
      }
      item.resolve(value);
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.meter.time(() =>
        this.transaction().immediate(() => {
          for (const item of items) {
            try {
              outcomes.push({ ok: true, value: this.transaction()(item.fn) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        }),
      );
    } catch (err) {
      for (const item of items) item.reject(this.failure(err));
      return;
    }
    items.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(this.failure(o.error));
    });
  }
}
