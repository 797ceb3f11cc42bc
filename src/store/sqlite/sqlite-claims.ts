import { Entry } from "../entry-types.js";
import type { ClaimRequest, LeaseStarved } from "../journal.js";
import type { Lease } from "../records.js";
import type { SqliteStore } from "./sqlite-store.js";
import type { SqliteRuns } from "./sqlite-runs.js";
import type { RunRow } from "./rows.js";
import { PAYLOAD_FORMAT } from "./rows.js";

/**
 * A queued run with a singleton key waits while another run of its key is active and started, or
 * queued before it: the runs of a key take turns in creation order (see Journal.claimRuns).
 */
const TAKES_ITS_TURN = `AND (status != 'queued' OR singleton_key IS NULL OR NOT EXISTS (
  SELECT 1 FROM runs AS s WHERE s.workspace = runs.workspace AND s.workflow = runs.workflow
    AND s.singleton_key = runs.singleton_key AND s.id != runs.id
    AND s.status IN ('queued', 'running', 'waiting', 'needs-attention')
    AND (s.status != 'queued' OR s.created_at < runs.created_at OR (s.created_at = runs.created_at AND s.id < runs.id))))`;

/**
 * Claims on the SQLite journal: which runs are due, the leases workers take on them and renew,
 * and when the next one falls due.
 */
export class SqliteClaims {
  constructor(
    private readonly store: SqliteStore,
    private readonly runs: SqliteRuns,
  ) {}

  claim(req: ClaimRequest, onlyRunId: string | undefined): Lease[] {
    if (req.workflows.length === 0 || req.limit <= 0) return [];
    const now = this.store.clock.now();
    const wf = req.workflows.map(() => "?").join(", ");
    const dead = req.deadOwners ?? [];
    const only = onlyRunId === undefined ? "" : "AND id = ?";
    const onlyArgs = onlyRunId === undefined ? [] : [onlyRunId];
    const scan = req.limit * 4;
    // A run on a version its author set waits for a worker that has that version.
    const versions = req.versions === undefined ? [] : [...req.versions];
    const pinned =
      req.versions === undefined
        ? ""
        : `AND (version IS NULL OR version LIKE 'hash:%' OR (workflow || '@' || version) IN (${versions.map(() => "?").join(", ")}))`;
    // Runs whose concurrency key is at its limit are left out of the scan, or they would fill it
    // and hold back runnable runs behind them.
    const free = `AND (concurrency_key IS NULL OR concurrency_limit IS NULL OR concurrency_limit > (
      SELECT COUNT(*) FROM runs AS r WHERE r.workspace = runs.workspace AND r.concurrency_key = runs.concurrency_key
        AND r.status = 'running' AND r.id != runs.id)) AND format <= ${PAYLOAD_FORMAT} ${TAKES_ITS_TURN} ${pinned}`;
    const due = this.store
      .sql(
        `SELECT * FROM runs WHERE workspace = ? AND status IN ('queued', 'waiting') AND wake_at <= ?
         AND workflow IN (${wf}) ${only} ${free} ORDER BY wake_at LIMIT ?`,
      )
      .all(req.workspace, now, ...req.workflows, ...onlyArgs, ...versions, scan) as RunRow[];
    const deadList = dead.length === 0 ? "" : `OR lease_owner IN (${dead.map(() => "?").join(", ")})`;
    const orphaned = this.store
      .sql(
        `SELECT * FROM runs WHERE workspace = ? AND status = 'running' AND (lease_expires_at <= ? ${deadList})
         AND workflow IN (${wf}) ${only} ${free} LIMIT ?`,
      )
      .all(req.workspace, now, ...dead, ...req.workflows, ...onlyArgs, ...versions, scan) as RunRow[];

    const leases: Lease[] = [];
    for (const row of [...orphaned, ...due]) {
      if (leases.length >= req.limit) break;
      if (row.concurrency_key !== null && row.concurrency_limit !== null) {
        const running = this.store
          .sql(
            "SELECT COUNT(*) AS n FROM runs WHERE workspace = ? AND concurrency_key = ? AND status = 'running' AND id != ?",
          )
          .get(req.workspace, row.concurrency_key, row.id) as { n: number };
        if (running.n >= row.concurrency_limit) continue;
      }
      const epoch = row.lease_epoch + 1;
      const ttlMs = Math.max(req.ttlMs, row.lease_ttl_ms ?? 0);
      const expiresAt = now + ttlMs;
      this.store
        .sql(
          `UPDATE runs SET status = 'running', lease_owner = ?, lease_epoch = ?, lease_expires_at = ?, wake_at = NULL,
           started_at = COALESCE(started_at, ?), updated_at = ?, reason = NULL
         WHERE workspace = ? AND id = ?`,
        )
        .run(req.owner, epoch, expiresAt, now, now, req.workspace, row.id);
      const recovered = row.status === "running";
      this.store.log.append(req.workspace, row.id, Entry.RunStarted, null, now, {
        owner: req.owner,
        epoch,
        ...(recovered ? { recoveredFrom: row.lease_owner } : {}),
      });
      leases.push({
        workspace: req.workspace,
        runId: row.id,
        owner: req.owner,
        epoch,
        expiresAt,
        handBacks: row.hand_backs,
        ttlMs,
      });
    }
    return leases;
  }

  leaseOwners(workspace: string, prefix: string): string[] {
    const rows = this.store
      .sql(
        "SELECT DISTINCT lease_owner FROM runs WHERE workspace = ? AND status = 'running' AND substr(lease_owner, 1, ?) = ?",
      )
      .all(workspace, prefix.length, prefix) as { lease_owner: string }[];
    return rows.map((r) => r.lease_owner);
  }

  renew(lease: Lease, ttlMs: number): Lease {
    const now = this.store.clock.now();
    this.runs.fence(lease);
    const expiresAt = now + ttlMs;
    this.store
      .sql("UPDATE runs SET lease_expires_at = ? WHERE workspace = ? AND id = ?")
      .run(expiresAt, lease.workspace, lease.runId);
    return { ...lease, expiresAt };
  }

  noteLeaseStarved(workspace: string, runId: string, note: LeaseStarved): void {
    const now = this.store.clock.now();
    const changed = this.store
      .sql(
        "UPDATE runs SET lease_ttl_ms = MAX(COALESCE(lease_ttl_ms, 0), ?), updated_at = ? WHERE workspace = ? AND id = ?",
      )
      .run(note.leaseTtlMs, now, workspace, runId);
    if (changed.changes === 0) return;
    this.store.log.append(workspace, runId, Entry.RunLeaseStarved, note.stepIds[0] ?? null, now, { ...note });
  }

  nextWakeAt(workspace: string, workflows: readonly string[]): number | undefined {
    if (workflows.length === 0) return undefined;
    const wf = workflows.map(() => "?").join(", ");
    const row = this.store
      .sql(
        `SELECT MIN(t) AS t FROM (
         SELECT MIN(wake_at) AS t FROM runs WHERE workspace = ? AND status IN ('queued', 'waiting') AND workflow IN (${wf})
         UNION ALL SELECT MIN(lease_expires_at) AS t FROM runs WHERE workspace = ? AND status = 'running' AND workflow IN (${wf}))`,
      )
      .get(workspace, ...workflows, workspace, ...workflows) as { t: number | null };
    return row.t ?? undefined;
  }
}
