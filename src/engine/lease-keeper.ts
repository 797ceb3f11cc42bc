import { performance } from "node:perf_hooks";
import { CairnError, ErrorCode, LeaseLostError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { Lease } from "../store/records.js";

/**
 * Called once when the lease lapsed because this process's event loop was blocked: the
 * heartbeat timer could not fire from `since` (performance.now()) for `blockedMs`.
 */
export type StarvedListener = (blockedMs: number, since: number) => void;

/**
 * Called once when the lease lapsed while this process did not run at all (stopped with
 * SIGSTOP, suspended, its machine paused) for `frozenMs`: no code of the run held it up.
 */
export type FrozenListener = (frozenMs: number) => void;

/**
 * Keeps one run's lease alive with heartbeats while this worker executes it. Validity is tracked
 * on this process's monotonic clock from the moment each renewal was *sent*, so a worker that
 * cannot reach the store stops starting steps before the store could hand the run to another.
 *
 * It also notices a lease starved by a blocked event loop (a step that computes without ever
 * awaiting): the heartbeat comes so late that the lease has lapsed. Another worker may then have
 * taken the run, and would be starved the same way; `onStarved` is told, once.
 */
export class LeaseKeeper {
  private lease: Lease;
  /** What the next renewal asks for. */
  private ttl: number;
  /** What the last claim or renewal got: validity is reckoned with it until the next one. */
  private granted: number;
  private validUntil: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly controller = new AbortController();
  private renewing: Promise<void> | undefined;
  private every: number;
  /** When the heartbeat timer last fired (or the keeper started), and the event loop's use then. */
  private lastBeat = performance.now();
  private lastLoop = performance.eventLoopUtilization();
  private starvedSeen = false;
  onStarved: StarvedListener | undefined;
  onFrozen: FrozenListener | undefined;

  constructor(
    private readonly journal: Journal,
    lease: Lease,
    ttlMs: number,
    private readonly logger: Logger,
    claimedAt: number = performance.now(),
  ) {
    this.lease = lease;
    this.ttl = ttlMs;
    this.granted = ttlMs;
    this.every = Math.max(50, Math.floor(ttlMs / 3));
    this.validUntil = claimedAt + ttlMs;
  }

  get current(): Lease {
    return this.lease;
  }

  /** The lease's length: what each renewal extends it by. */
  get ttlMs(): number {
    return this.ttl;
  }

  /** Aborted when the lease is known lost; everything the run does listens to it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    this.lastBeat = performance.now();
    this.lastLoop = performance.eventLoopUtilization();
    this.timer = setInterval(() => {
      const now = performance.now();
      const gap = now - this.lastBeat;
      const loopSince = this.lastLoop;
      this.lastBeat = now;
      this.lastLoop = performance.eventLoopUtilization();
      this.checkStarved(now, gap, loopSince);
      this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    }, this.every);
    this.timer.unref();
  }

  /**
   * Makes the lease at least `ttlMs` long from its next renewal on (a workflow that asks for a
   * longer lease, a run found to need one). Returns whether it grew.
   */
  lengthen(ttlMs: number): boolean {
    if (ttlMs <= this.ttl) return false;
    this.ttl = ttlMs;
    return true;
  }

  /** Renews the lease now (after `lengthen`, so the longer lease holds at once). */
  async renewNow(): Promise<void> {
    await this.renewing;
    this.renewing = this.renew().finally(() => (this.renewing = undefined));
    await this.renewing;
  }

  /** A step may start only while at least a third of the lease is left. */
  canStartStep(): boolean {
    return !this.signal.aborted && performance.now() < this.validUntil - this.granted / 3;
  }

  /** Whether the lease is held with at least two thirds of it left: no renewal is due. */
  isFresh(): boolean {
    return !this.signal.aborted && performance.now() < this.validUntil - (this.granted * 2) / 3;
  }

  /**
   * Renews now if a heartbeat is overdue (a run whose steps never wait on I/O starves the
   * timer), then says whether a step may start. Costs nothing while the lease is fresh.
   */
  async ensureFresh(): Promise<boolean> {
    if (this.isFresh()) return true;
    if (this.signal.aborted) return false;
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    await this.renewing;
    return this.canStartStep();
  }

  /** The lease is gone (taken over, ended, or handed back): everything the run does stops. */
  markLost(reason: string | Error): void {
    if (this.controller.signal.aborted) return;
    this.checkStarved(performance.now());
    this.controller.abort(typeof reason === "string" ? new LeaseLostError(reason) : reason);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.checkStarved(performance.now());
    await this.renewing;
  }

  /**
   * The heartbeat could not fire for far longer than its period, and the lease lapsed
   * meanwhile: the event loop was blocked past the lease (a store that does not answer delays
   * renewals, not the timer, and is not this).
   */
  private checkStarved(now: number, gap = now - this.lastBeat, loopSince = this.lastLoop): void {
    if (this.starvedSeen || gap <= this.every * 2 || now <= this.validUntil) return;
    this.starvedSeen = true;
    // Code that blocks the loop keeps it busy; a process that is not running at all leaves it
    // waiting for I/O the whole time (stopped there, it wakes there).
    if (performance.eventLoopUtilization(loopSince).idle >= gap / 2) this.onFrozen?.(gap);
    else this.onStarved?.(gap, now - gap);
  }

  private async renew(): Promise<void> {
    if (this.signal.aborted) return;
    const sentAt = performance.now();
    // A renewal asked for by a step right after the loop was blocked comes before the timer.
    this.checkStarved(sentAt);
    const ttl = this.ttl;
    try {
      this.lease = await this.journal.renewLease(this.lease, ttl);
      this.validUntil = sentAt + ttl;
      this.granted = ttl;
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
