import type { Duration } from "../shared/duration.js";
import { toMs } from "../shared/duration.js";
import { CairnError, ErrorCode } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { RunStatus } from "../store/records.js";

/** How long ended runs are kept, by how they ended; a status left out is kept forever. */
export interface RetentionPolicy {
  completed?: Duration;
  failed?: Duration;
  cancelled?: Duration;
}

export interface RetentionOutcome {
  /** Runs deleted (child runs deleted with their parent count too). */
  deleted: number;
  blobs: number;
  bytes: number;
}

/**
 * Blobs written within this long are never collected: a transaction in flight may be about to
 * refer to one it found already stored.
 */
export const BLOB_GRACE_MS = 3_600_000;

/**
 * Blobs stored before this time may be collected. PostgreSQL spares those of the last
 * BLOB_GRACE_MS; SQLite runs one write transaction at a time, so no writer can be about to refer
 * to a blob there, and every unreferenced blob goes at once.
 */
export function collectableBefore(journal: Journal, now: number): number {
  return journal.dialect === "sqlite" ? now + 1 : now - BLOB_GRACE_MS;
}

/** Runs deleted per status per sweep, so one sweep never holds the store for long. */
const BATCH = 500;

/** Checks a policy, naming the field that is not a duration. */
export function retentionMs(policy: RetentionPolicy, where = "retention"): [RunStatus, number][] {
  const out: [RunStatus, number][] = [];
  for (const status of ["completed", "failed", "cancelled"] as const) {
    const age = policy[status];
    if (age !== undefined) out.push([status, toMs(age, `${where}.${status}`)]);
  }
  return out;
}

/**
 * One sweep: deletes runs that ended longer ago than the policy keeps them (up to a batch per
 * status), then the payload blobs no run refers to any more.
 */
export async function applyRetention(
  journal: Journal,
  workspace: string,
  policy: RetentionPolicy,
): Promise<RetentionOutcome> {
  const now = await journal.now();
  let deleted = 0;
  for (const [status, ms] of retentionMs(policy)) {
    const old = await journal.listRuns(workspace, { status, endedBefore: now - ms, limit: BATCH });
    for (const run of old) {
      try {
        deleted += (await journal.deleteRun(workspace, run.id)).length;
      } catch (err) {
        // Gone with its parent, or a child that has not ended yet: next sweep.
        if (!CairnError.is(err, ErrorCode.RunNotFound) && !CairnError.is(err, ErrorCode.Conflict)) throw err;
      }
    }
  }
  const gc = await journal.collectGarbage(workspace, collectableBefore(journal, now));
  return { deleted, ...gc };
}

/**
 * Applies a retention policy now and then (a worker runs one): at start, then every
 * `intervalMs`. A sweep that fails (the store out of reach) is logged and tried at the next.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly workspace: string,
    private readonly policy: RetentionPolicy,
    private readonly logger: Logger,
    private readonly intervalMs = 3_600_000,
  ) {
    retentionMs(policy);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.sweep(), this.intervalMs).unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep now (none when one is under way); resolves when it is done. */
  sweep(): Promise<void> {
    this.running ??= applyRetention(this.journal, this.workspace, this.policy)
      .then((outcome) => {
        if (outcome.deleted > 0 || outcome.blobs > 0)
          this.logger.info("retention: old runs deleted", { ...outcome, workspace: this.workspace });
      })
      .catch((err: unknown) => {
        this.logger.warn("retention sweep failed; trying again at the next", {
          error: (err as Error).message,
        });
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
