import type { LeaseLostError } from "../../shared/errors.js";
import { leaseLostError } from "../lease-lost.js";
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
  if (row === undefined) throw await leaseLost(t.sql, lease);
  return { cancelRequested: row.cancel_requested === 1 };
}

/** The error for a write whose lease is gone, saying why (see leaseLostError). */
export async function leaseLost(sql: Sql, lease: Lease): Promise<LeaseLostError> {
  const run = await sql.one<{ status: string; reason: string | null }>(
    "SELECT status, reason FROM runs WHERE workspace = $1 AND id = $2",
    [lease.workspace, lease.runId],
  );
  return leaseLostError(lease, run);
}
