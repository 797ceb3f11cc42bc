import { LeaseLostError } from "../../shared/errors.js";
import type { CommitOutcome } from "../journal.js";
import type { Lease } from "../records.js";
import type { Sql } from "./database.js";
import type { Tx } from "./transactions.js";

/** Locks runs' rows, in id order so that two transactions locking several never deadlock. */
export async function lockRuns(sql: Sql, workspace: string, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  if (runIds.length === 1) {
    await sql.rows("SELECT 1 FROM runs WHERE workspace = $1 AND id = $2 FOR UPDATE", [workspace, runIds[0]]);
    return;
  }
  await sql.rows(
    `SELECT 1 FROM runs WHERE workspace = $1 AND id = ANY($2::text[]) ORDER BY id COLLATE "C" FOR UPDATE`,
    [workspace, [...new Set(runIds)]],
  );
}

/**
 * The fence: locks the run's row and checks, in the writing transaction, that the lease is
 * still the run's current one. Nothing is written before it, so a lost lease writes nothing.
 */
export async function fence(t: Tx, lease: Lease): Promise<CommitOutcome> {
  const row = await t.sql.one<{ cancel_requested: number }>(
    `SELECT cancel_requested FROM runs
       WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'
       FOR UPDATE`,
    [lease.workspace, lease.runId, lease.epoch, lease.owner],
  );
  if (row === undefined) throw leaseLost(lease);
  return { cancelRequested: row.cancel_requested === 1 };
}

export function leaseLost(lease: Lease): LeaseLostError {
  return new LeaseLostError(
    `run ${lease.runId}: lease epoch ${lease.epoch} held by ${lease.owner} is no longer current; another worker owns the run`,
  );
}
