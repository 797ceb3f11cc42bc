import { CairnError, ErrorCode } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { Lease } from "../store/records.js";
import type { StreamChunkBatch } from "../store/service-records.js";

/** How long a reported part may wait before it is stored, and how many are stored at most at once. */
export const STREAM_FLUSH_MS = 50;
export const STREAM_BATCH_PARTS = 256;

/**
 * Stores what a running step reports (`ctx.progress`, a model's text deltas) so any process can
 * stream it: parts are buffered and written as one batch every STREAM_FLUSH_MS (or every
 * STREAM_BATCH_PARTS parts), never a write per token. A failed write only loses live progress:
 * it never fails the step, whose result is the durable record.
 */
export class StreamWriter {
  private parts: Record<string, unknown>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;
  private warned = false;

  constructor(
    private readonly journal: Journal,
    private readonly lease: () => Lease,
    private readonly stepId: string,
    private readonly attempt: number,
    private readonly logger: Logger,
  ) {}

  push(part: Record<string, unknown>): void {
    if (this.stopped) return;
    this.parts.push(part);
    if (this.parts.length >= STREAM_BATCH_PARTS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), STREAM_FLUSH_MS);
  }

  /** Writes what is buffered; resolves once every earlier batch is written (or given up). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.parts.length === 0 || this.stopped) return this.writing;
    const parts = this.parts.splice(0);
    this.writing = this.writing.then(() =>
      this.journal
        .appendStreamChunks(this.lease(), { stepId: this.stepId, attempt: this.attempt, parts })
        .catch((err: unknown) => this.failed(err)),
    );
    return this.writing;
  }

  /** Flushes and stops: the step is about to be committed, after every part it streamed. */
  async close(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  /**
   * Stops, and gives back what is not stored yet, once every earlier batch is: for the step's
   * commit to store in its own transaction (one commit, not two, at the end of a streamed step).
   */
  async takeRest(): Promise<StreamChunkBatch | undefined> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const parts = this.stopped ? [] : this.parts.splice(0);
    this.stopped = true;
    await this.writing;
    return parts.length > 0 ? { stepId: this.stepId, attempt: this.attempt, parts } : undefined;
  }

  private failed(err: unknown): void {
    if (CairnError.is(err, ErrorCode.LeaseLost)) {
      this.stopped = true;
      return;
    }
    if (this.warned) return;
    this.warned = true;
    this.logger.warn("streamed progress of a step could not be stored; its result still will be", {
      stepId: this.stepId,
      error: (err as Error).message,
    });
  }
}
