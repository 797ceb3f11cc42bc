import { ErrorCode, NotFoundError } from "../shared/errors.js";
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
}

/**
 * Yields a run's log entries as they are written, by whichever process executes the run (they
 * are read from the store), and returns the run's final status once it has ended and every
 * entry has been yielded. The store is read at `pollMs` while nothing new is there.
 */
export async function* followRunLog(
  journal: Journal,
  workspace: string,
  runId: string,
  options: FollowOptions = {},
): AsyncGenerator<JournalEntry, RunStatus | undefined> {
  let seq = options.afterSeq ?? 0;
  const pollMs = options.pollMs ?? 250;
  for (;;) {
    if (options.signal?.aborted) return undefined;
    // The status first: entries written before it ended are then all in the read that follows.
    const run = await journal.getRunSummary(workspace, runId);
    if (run === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
    const entries = await journal.readEntries(workspace, runId, seq);
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
