import { performance } from "node:perf_hooks";
import { CairnError, ErrorCode, LeaseLostError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { Lease } from "../store/records.js";

/**
 * Keeps one run's lease alive with heartbeats while this worker executes it. Validity is tracked
 * on this process's monotonic clock from the moment each renewal was *sent*, so a worker that
 * cannot reach the store stops starting steps before the store could hand the run to another.
 */
export class LeaseKeeper {
  private lease: Lease;
  private validUntil: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly controller = new AbortController();
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly journal: Journal,
    lease: Lease,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    claimedAt: number = performance.now(),
  ) {
    this.lease = lease;
    this.validUntil = claimedAt + ttlMs;
  }

  get current(): Lease {
    return this.lease;
  }

  /** Aborted when the lease is known lost; everything the run does listens to it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    const every = Math.max(50, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    }, every);
    this.timer.unref();
  }

  /** A step may start only while at least a third of the lease is left. */
  canStartStep(): boolean {
    return !this.signal.aborted && performance.now() < this.validUntil - this.ttlMs / 3;
  }

  /**
   * Renews now if a heartbeat is overdue (a run whose steps never wait on I/O starves the
   * timer), then says whether a step may start. Costs nothing while the lease is fresh.
   */
  async ensureFresh(): Promise<boolean> {
    if (this.signal.aborted) return false;
    if (performance.now() < this.validUntil - (this.ttlMs * 2) / 3) return true;
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    await this.renewing;
    return this.canStartStep();
  }

  /** The lease is gone (taken over, ended, or handed back): everything the run does stops. */
  markLost(reason: string | Error): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(typeof reason === "string" ? new LeaseLostError(reason) : reason);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  private async renew(): Promise<void> {
    if (this.signal.aborted) return;
    const sentAt = performance.now();
    try {
      this.lease = await this.journal.renewLease(this.lease, this.ttlMs);
      this.validUntil = sentAt + this.ttlMs;
    } catch (err) {
      if (CairnError.is(err, ErrorCode.LeaseLost)) {
        this.markLost(err);
        return;
      }
      // The store is unreachable: keep trying; canStartStep() turns false as validity runs out.
      this.logger.warn("lease renewal failed; will retry", {
        runId: this.lease.runId,
        error: (err as Error).message,
      });
    }
  }
}
