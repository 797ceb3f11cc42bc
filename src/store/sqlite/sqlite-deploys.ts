import { ConflictError, ErrorCode, NotFoundError } from "../../shared/errors.js";
import { Entry } from "../entry-types.js";
import type { ActiveRunGroup, RunSummary } from "../records.js";
import { isTerminal } from "../records.js";
import type { RunStatus } from "../records.js";
import type { RunRow } from "./rows.js";
import { toRunSummary } from "./rows.js";
import type { SqliteStore } from "./sqlite-store.js";

/** Runs no live worker holds: queued or waiting, or running under a lease that has lapsed. */
export const UNHELD = `(status IN ('queued', 'waiting') OR (status = 'running' AND lease_expires_at <= ?))`;

/** Deploys on the SQLite journal: which versions runs need, notes on runs no worker can take, moving a run to a version. */
export class SqliteDeploys {
  constructor(private readonly store: SqliteStore) {}

  countActive(workspace: string): ActiveRunGroup[] {
    const rows = this.store
      .sql(
        `SELECT workflow, version, COUNT(*) AS runs, MIN(id) AS oldest FROM runs
         WHERE workspace = ? AND status IN ('queued', 'running', 'waiting', 'needs-attention')
         GROUP BY workflow, version ORDER BY workflow, version`,
      )
      .all(workspace) as { workflow: string; version: string | null; runs: number; oldest: string }[];
    return rows.map((r) => ({
      workflow: r.workflow,
      version: r.version,
      runs: r.runs,
      oldestRunId: r.oldest,
    }));
  }

  note(workspace: string, target: { workflow: string; version?: string }, note: string): number {
    const now = this.store.clock.now();
    const version = target.version === undefined ? "" : "AND version = ?";
    const args = target.version === undefined ? [] : [target.version];
    return this.store
      .sql(
        `UPDATE runs SET reason = REPLACE(?, '{id}', id)
         WHERE workspace = ? AND workflow = ? ${version} AND ${UNHELD}`,
      )
      .run(note, workspace, target.workflow, ...args, now).changes;
  }

  migrate(workspace: string, runId: string, version: string): RunSummary {
    const now = this.store.clock.now();
    const row = this.store.sql("SELECT * FROM runs WHERE workspace = ? AND id = ?").get(workspace, runId) as
      RunRow | undefined;
    if (row === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
    refuseMigration(row, now);
    this.store
      .sql("UPDATE runs SET version = ?, reason = NULL, updated_at = ? WHERE workspace = ? AND id = ?")
      .run(version, now, workspace, runId);
    this.store.log.append(workspace, runId, Entry.RunMigrated, null, now, { from: row.version, to: version });
    return toRunSummary({ ...row, version, reason: null, updated_at: now });
  }
}

/** A run that ended, or that a live worker is executing, is not moved. */
export function refuseMigration(row: RunRow, now: number): void {
  if (isTerminal(row.status as RunStatus))
    throw new ConflictError(
      `run ${row.id} has ended (${row.status}); only a run that has not ended can be migrated`,
    );
  if (row.status === "running" && (row.lease_expires_at ?? 0) > now)
    throw new ConflictError(
      `run ${row.id} is running on ${row.lease_owner ?? "a worker"}; migrate it once it waits or after that worker stops`,
    );
}
