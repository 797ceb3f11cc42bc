import { CairnError, ErrorCode, NotFoundError } from "../shared/errors.js";
import { deserializeError } from "../shared/serialized-error.js";
import type { Journal } from "../store/journal.js";
import type { RunRecord } from "../store/records.js";
import { isTerminal } from "../store/records.js";

export interface WaitOptions {
  /** Give up after this long (ms): `waitForRunEnd` returns undefined, `result()` throws. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Look at the run at least this often even without a log notification (ms). Default 1,000. */
  pollMs?: number;
}

/**
 * Waits until a run has ended, whichever process executes it, and returns it with its output;
 * undefined when `timeoutMs` passed or `signal` aborted first. Woken by the store's log
 * notifications (see Journal.watchLog), so it holds no poll loop of its own beyond `pollMs`.
 */
export async function waitForRunEnd(
  journal: Journal,
  workspace: string,
  runId: string,
  options: WaitOptions = {},
): Promise<RunRecord | undefined> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let wake: (() => void) | undefined;
  let woken = false;
  const unwatch = journal.watchLog(workspace, (id, stepsOnly) => {
    // A step's result leaves the run's state as it was: only other entries can end it.
    if ((id !== undefined && id !== runId) || stepsOnly === true) return;
    woken = true;
    wake?.();
  });
  try {
    for (;;) {
      woken = false;
      const run = await journal.getRunSummary(workspace, runId);
      if (run === undefined)
        throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
      if (isTerminal(run.status)) return await journal.getRun(workspace, runId);
      const left = deadline - Date.now();
      if (left <= 0 || options.signal?.aborted) return undefined;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, options.pollMs ?? 1_000));
        options.signal?.addEventListener("abort", done, { once: true });
        wake = done;
        function done() {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", done);
          resolve();
        }
      });
      wake = undefined;
    }
  } finally {
    unwatch();
  }
}

/** A run's outcome as a value: its output, or its error thrown. */
export function runOutcome<T>(run: RunRecord): T {
  if (run.status === "completed") return run.output as T;
  if (run.status === "cancelled")
    throw new CairnError(
      ErrorCode.RunCancelled,
      `run ${run.id} was cancelled: ${run.reason ?? "no reason given"}`,
    );
  throw run.error ? deserializeError(run.error) : new Error(`run ${run.id} failed`);
}

/** A started run: its id, and a way to wait for its result. */
export class RunHandle {
  readonly #journal: Journal;
  readonly #workspace: string;

  constructor(
    journal: Journal,
    workspace: string,
    readonly runId: string,
    /** False when an idempotency key or a skip-singleton returned an existing run. */
    readonly created: boolean,
    readonly status: RunRecord["status"],
  ) {
    this.#journal = journal;
    this.#workspace = workspace;
  }

  /**
   * Waits for the run to end (executed by any worker) and returns its output; throws its error
   * when it failed, CAIRN_RUN_CANCELLED when cancelled, CAIRN_WAIT_TIMEOUT after `timeoutMs`.
   *
   * @example
   * const run = await engine.start("greet", { name: "Ada" });
   * const output = await run.result({ timeoutMs: 60_000 });
   */
  async result<T = unknown>(options: WaitOptions = {}): Promise<T> {
    const run = await waitForRunEnd(this.#journal, this.#workspace, this.runId, options);
    if (run === undefined) {
      throw new CairnError(
        ErrorCode.WaitTimeout,
        `run ${this.runId} had not ended after ${options.timeoutMs ?? 0} ms; it goes on (wait again, or cancel it)`,
      );
    }
    return runOutcome<T>(run);
  }
}
