import { LeaseLostError } from "../shared/errors.js";
import type { Lease } from "./records.js";

/**
 * The error for a write whose lease is no longer the run's current one, saying why when the run
 * itself tells: it was cancelled (a second cancel ends a running run at once), or another
 * worker holds it now.
 */
export function leaseLostError(
  lease: Lease,
  run: { status: string; reason: string | null } | undefined,
): LeaseLostError {
  if (run?.status === "cancelled") {
    return new LeaseLostError(
      `run ${lease.runId} was cancelled${run.reason ? ` (${run.reason})` : ""}; its execution stops here`,
      { cancelled: true },
    );
  }
  return new LeaseLostError(
    `run ${lease.runId}: lease epoch ${lease.epoch} held by ${lease.owner} is no longer current; another worker owns the run`,
  );
}
