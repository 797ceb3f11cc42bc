import { LeaseLostError } from "../shared/errors.js";
import type { ClaimRequest, Journal } from "../store/journal.js";
import type { Lease } from "../store/records.js";

/** Where a simulated crash strikes: while a step runs (its result is lost), or right after it. */
export interface CrashPoint {
  stepId: string;
  /** False (default): the step's body runs, and the process dies before its result is recorded. */
  after: boolean;
}

/** Journal writes that carry a step and can be where a crash strikes. */
const STEP_WRITES = new Set(["commitStep", "recordRetry", "registerWait"]);

function isLease(value: unknown): value is Lease {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Lease).runId === "string" &&
    typeof (value as Lease).epoch === "number" &&
    typeof (value as Lease).owner === "string"
  );
}

/**
 * Simulates a process that dies at a chosen step of a run: from that write on, every write the
 * process makes under the run's lease is refused as a lost lease, so nothing more is recorded and
 * the run stays `running` under a lease nobody renews, exactly as a killed worker leaves it.
 */
export class CrashSwitch {
  private readonly armed = new Map<string, CrashPoint>();
  /** Run id → the lease epoch its crashed execution held. */
  private readonly crashed = new Map<string, number>();
  private readonly crashes: { runId: string; stepId: string }[] = [];
  /** Lease owners whose process is gone: their runs are taken over at once, as on one host. */
  private readonly deadOwners = new Set<string>();

  arm(runId: string, point: CrashPoint): void {
    this.armed.set(runId, point);
  }

  /** The process with this lease owner id is gone: a claim takes its runs over at once. */
  markDead(owner: string): void {
    this.deadOwners.add(owner);
  }

  /** The crashes that happened, in order. */
  get history(): readonly { runId: string; stepId: string }[] {
    return this.crashes;
  }

  isArmed(runId: string): boolean {
    return this.armed.has(runId);
  }

  /** Wraps a journal so its writes go through this switch. */
  wrap(journal: Journal): Journal {
    return new Proxy(journal, {
      get: (target, key, receiver) => {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        const method = value as (...args: unknown[]) => unknown;
        const name = String(key);
        return (...args: unknown[]) => this.call(target, name, method, args);
      },
    });
  }

  private call(
    target: Journal,
    name: string,
    method: (...a: unknown[]) => unknown,
    args: unknown[],
  ): unknown {
    const lease = args[0];
    if ((name === "claimRuns" || name === "claimRun") && this.deadOwners.size > 0) {
      const request = args[0] as ClaimRequest;
      const dead = [...(request.deadOwners ?? []), ...this.deadOwners];
      return method.apply(target, [{ ...request, deadOwners: dead }, ...args.slice(1)]);
    }
    if (!isLease(lease)) return method.apply(target, args);
    if (this.crashed.get(lease.runId) === lease.epoch) return Promise.reject(this.dead(lease));
    const point = this.armed.get(lease.runId);
    const stepId = (args[1] as { stepId?: unknown } | undefined)?.stepId;
    if (point === undefined || !STEP_WRITES.has(name) || stepId !== point.stepId)
      return method.apply(target, args);
    this.armed.delete(lease.runId);
    this.crashes.push({ runId: lease.runId, stepId: point.stepId });
    if (!point.after) {
      this.crashed.set(lease.runId, lease.epoch);
      return Promise.reject(this.dead(lease));
    }
    // The write is stored, and the process dies before it hears back: nothing runs after it.
    return (method.apply(target, args) as Promise<unknown>).then(() => {
      this.crashed.set(lease.runId, lease.epoch);
      throw this.dead(lease);
    });
  }

  private dead(lease: Lease): LeaseLostError {
    return new LeaseLostError(`run ${lease.runId}: this process crashed (simulated by the test)`);
  }
}
