import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import { Entry } from "../entry-types.js";
import type { ActiveRunGroup, RunSummary } from "../records.js";
import type { RunRow } from "../sqlite/rows.js";
import { toRunSummary } from "../sqlite/rows.js";
import { refuseMigration } from "../sqlite/sqlite-deploys.js";
import { log } from "./log.js";
import type { PgTransactions } from "./transactions.js";

/** Deploys on the PostgreSQL journal: which versions runs need, notes on runs no worker can take, moving a run to a version. */
export class PgDeploys {
  constructor(private readonly db: PgTransactions) {}

  countActive(workspace: string): Promise<ActiveRunGroup[]> {
    return this.db.read(async (sql) => {
      const rows = await sql.rows<{ workflow: string; version: string | null; runs: number; oldest: string }>(
        `SELECT workflow, version, COUNT(*) AS runs, MIN(id COLLATE "C") AS oldest FROM runs
         WHERE workspace = $1 AND status IN ('queued', 'running', 'waiting', 'needs-attention')
         GROUP BY workflow, version ORDER BY workflow, version`,
        [workspace],
      );
      return rows.map((r) => ({
        workflow: r.workflow,
        version: r.version,
        runs: r.runs,
        oldestRunId: r.oldest,
      }));
    });
  }

  note(workspace: string, target: { workflow: string; version?: string }, note: string): Promise<number> {
    return this.db.tx((t) =>
      t.sql.run(
        `UPDATE runs SET reason = REPLACE($1, '{id}', id)
         WHERE workspace = $2 AND workflow = $3 AND ($4::text IS NULL OR version = $4)
           AND (status IN ('queued', 'waiting') OR (status = 'running' AND lease_expires_at <= $5))`,
        [note, workspace, target.workflow, target.version ?? null, t.now],
      ),
    );
  }

  migrate(workspace: string, runId: string, version: string): Promise<RunSummary> {
    return this.db.tx(async (t) => {
      const row = await t.sql.one<RunRow>("SELECT * FROM runs WHERE workspace = $1 AND id = $2 FOR UPDATE", [
        workspace,
        runId,
      ]);
      if (row === undefined)
        throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
      refuseMigration(row, t.now);
      // Setting wake_at (to itself) tells listening workers: the run may be theirs now.
      await t.sql.run(
        "UPDATE runs SET version = $1, reason = NULL, updated_at = $2, wake_at = wake_at WHERE workspace = $3 AND id = $4",
        [version, t.now, workspace, runId],
      );
      await log(t.sql, workspace, runId, Entry.RunMigrated, null, t.now, { from: row.version, to: version });
      return toRunSummary({ ...row, version, reason: null, updated_at: t.now });
    });
  }
}
