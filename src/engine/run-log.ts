import { CairnError, ErrorCode, NotFoundError } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import type { JournalEntry, RunStatus } from "../store/records.js";
import { TERMINAL_STATUSES } from "../store/records.js";

export interface FollowOptions {
  /** Entries after this seq (0: the whole log). Default 0. */
  afterSeq?: number;
  /** How often to look for new entries while there are none (ms). Default 250. */
  pollMs?: number;
  /** Stops following; the generator returns undefined. */
  signal?: AbortSignal;
  /**
   * Told of each failed read of the store (unreachable, restarting): following goes on, reading
   * again after `retryMs`, as the run itself does. Default: nothing is told.
   */
  onStoreError?: (err: CairnError, retryMs: number) => void;
}

/** Longest wait between reads of a store that fails. */
const MAX_RETRY_MS = 5_000;

/** The wait before reading a failing store again, after waiting `ms` the last time. */
export function nextRetryMs(ms: number): number {
  return Math.min(MAX_RETRY_MS, ms * 2);
}

/**
 * Yields a run's log entries as they are written, by whichever process executes the run (they
 * are read from the store), and returns the run's final status once it has ended and every
 * entry has been yielded. The store is read at `pollMs` while nothing new is there; a store that
 * fails is read again, less often, until it answers (a fault is not the run's end).
 */
export async function* followRunLog(
  journal: Journal,
  workspace: string,
  runId: string,
  options: FollowOptions = {},
): AsyncGenerator<JournalEntry, RunStatus | undefined> {
  let seq = options.afterSeq ?? 0;
  const pollMs = options.pollMs ?? 250;
  let retryMs = pollMs;
  for (;;) {
    if (options.signal?.aborted) return undefined;
    let run;
    let entries: JournalEntry[];
    try {
      // The status first: entries written before it ended are then all in the read that follows.
      run = await journal.getRunSummary(workspace, runId);
      entries = run === undefined ? [] : await journal.readEntries(workspace, runId, seq);
    } catch (err) {
      if (!CairnError.is(err, ErrorCode.Store)) throw err;
      retryMs = nextRetryMs(retryMs);
      options.onStoreError?.(err, retryMs);
      await pause(retryMs, options.signal);
      continue;
    }
    retryMs = pollMs;
    if (run === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
    for (const entry of entries) {
      yield entry;
      seq = entry.seq;
    }
    if (TERMINAL_STATUSES.includes(run.status)) return run.status;
    if (entries.length === 0) await pause(pollMs, options.signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
