import { Entry } from "../entry-types.js";
import type { ClaimRequest, LeaseStarved } from "../journal.js";
import type { Lease } from "../records.js";
import type { RunRow } from "../sqlite/rows.js";
import { PAYLOAD_FORMAT } from "../sqlite/rows.js";
import type { Sql } from "./database.js";
import { LockSpace } from "./database.js";
import { log } from "./log.js";
import { fence } from "./run-locks.js";
import type { Tx } from "./transactions.js";

/**
 * A queued run with a singleton key waits while another run of its key is active and started, or
 * queued before it: the runs of a key take turns in creation order (see Journal.claimRuns).
 */
const TAKES_ITS_TURN = `AND (status <> 'queued' OR singleton_key IS NULL OR NOT EXISTS (
  SELECT 1 FROM runs AS s WHERE s.workspace = runs.workspace AND s.workflow = runs.workflow
    AND s.singleton_key = runs.singleton_key AND s.id <> runs.id
    AND s.status IN ('queued', 'running', 'waiting', 'needs-attention')
    AND (s.status <> 'queued' OR s.created_at < runs.created_at
      OR (s.created_at = runs.created_at AND s.id COLLATE "C" < runs.id COLLATE "C"))))`;

/**
 * Claims and leases on the PostgreSQL journal: taking due and orphaned runs, renewing a lease,
 * and when the next claim may find work. The journal delegates to this inside its transactions.
 */
export class PgClaims {
  /**
   * Candidates are locked with SKIP LOCKED: a run another worker is claiming (or writing) is
   * left to it, never waited for. Runs with a concurrency key are then counted under an advisory
   * lock per key (taken in one order by every claimer), so two workers cannot both take the
   * last free place of a key.
   */
  async claim(t: Tx, req: ClaimRequest, onlyRunId: string | undefined): Promise<Lease[]> {
    if (req.workflows.length === 0 || req.limit <= 0) return [];
    const { sql, now } = t;
    // Lock no more candidates than can be taken: a locked row another claimer skips is a run it
    // could have had. Runs over their concurrency limit are filtered out in SQL, not here.
    const args: unknown[] = [req.workspace, now, [...req.workflows], req.limit];
    let only = "";
    if (onlyRunId !== undefined) {
      args.push(onlyRunId);
      only = `AND id = $${args.length}`;
    }
    // A run on a version its author set waits for a worker that has that version.
    let pinned = "";
    if (req.versions !== undefined) {
      args.push([...req.versions]);
      pinned = `AND (version IS NULL OR version LIKE 'hash:%' OR (workflow || '@' || version) = ANY($${args.length}::text[]))`;
    }
    // Runs whose concurrency key is at its limit are left out of the scan, or they would fill it
    // and hold back runnable runs behind them.
    const free = `AND (concurrency_key IS NULL OR concurrency_limit IS NULL OR concurrency_limit > (
      SELECT COUNT(*) FROM runs AS r WHERE r.workspace = runs.workspace AND r.concurrency_key = runs.concurrency_key
        AND r.status = 'running' AND r.id <> runs.id)) AND format <= ${PAYLOAD_FORMAT} ${TAKES_ITS_TURN} ${pinned}`;
    // One given run is waited for if another transaction holds it (it may be about to free it).
    const lock = onlyRunId === undefined ? "FOR UPDATE SKIP LOCKED" : "FOR UPDATE";
    const orphaned = await sql.rows<RunRow>(
      `SELECT * FROM runs WHERE workspace = $1 AND status = 'running' AND lease_expires_at <= $2
         AND workflow = ANY($3::text[]) ${only} ${free} ORDER BY lease_expires_at LIMIT $4 ${lock}`,
      args,
    );
    const dead = req.deadOwners ?? [];
    if (dead.length > 0) {
      const seen = new Set(orphaned.map((r) => r.id));
      const ofDead = await sql.rows<RunRow>(
        `SELECT * FROM runs WHERE workspace = $1 AND status = 'running' AND lease_owner = ANY($${args.length + 1}::text[])
           AND lease_expires_at > $2 AND workflow = ANY($3::text[]) ${only} ${free} LIMIT $4 ${lock}`,
        [...args, [...dead]],
      );
      orphaned.push(...ofDead.filter((r) => !seen.has(r.id)));
    }
    const room = req.limit - orphaned.length;
    const due =
      room <= 0
        ? []
        : await sql.rows<RunRow>(
            `SELECT * FROM runs WHERE workspace = $1 AND status IN ('queued', 'waiting') AND wake_at <= $2
               AND workflow = ANY($3::text[]) ${only} ${free} ORDER BY wake_at LIMIT $4 ${lock}`,
            [...args.slice(0, 3), room, ...args.slice(4)],
          );
    const candidates = [...orphaned, ...due];
    if (candidates.length === 0) return [];

    const keys = [
      ...new Set(
        candidates.flatMap((r) =>
          r.concurrency_key !== null && r.concurrency_limit !== null ? [r.concurrency_key] : [],
        ),
      ),
    ];
    const running = new Map<string, number>();
    if (keys.length > 0) {
      await sql.rows(
        `SELECT pg_advisory_xact_lock($1, h) FROM (
           SELECT DISTINCT hashtext($2::text || '/' || k) AS h FROM unnest($3::text[]) AS k ORDER BY h) AS locks`,
        [LockSpace.ConcurrencyKey, req.workspace, keys],
      );
      // Counted after the locks, so runs other claimers committed meanwhile are seen.
      const counts = await sql.rows<{ key: string; n: number }>(
        `SELECT concurrency_key AS key, COUNT(*) AS n FROM runs
         WHERE workspace = $1 AND concurrency_key = ANY($2::text[]) AND status = 'running' GROUP BY concurrency_key`,
        [req.workspace, keys],
      );
      for (const c of counts) running.set(c.key, c.n);
    }

    const taken: RunRow[] = [];
    for (const row of candidates) {
      if (taken.length >= req.limit) break;
      if (row.concurrency_key !== null && row.concurrency_limit !== null) {
        const n = running.get(row.concurrency_key) ?? 0;
        const others = row.status === "running" ? n - 1 : n;
        if (others >= row.concurrency_limit) continue;
        if (row.status !== "running") running.set(row.concurrency_key, n + 1);
      }
      taken.push(row);
    }
    if (taken.length === 0) return [];
    // A run that needs a longer lease than asked for (see noteLeaseStarved) gets it.
    await sql.run(
      `UPDATE runs SET status = 'running', lease_owner = $1, lease_epoch = lease_epoch + 1,
         lease_expires_at = $2::bigint + GREATEST($3::bigint, COALESCE(lease_ttl_ms, 0)),
         wake_at = NULL, started_at = COALESCE(started_at, $2), updated_at = $2, reason = NULL
       WHERE workspace = $4 AND id = ANY($5::text[])`,
      [req.owner, now, req.ttlMs, req.workspace, taken.map((r) => r.id)],
    );
    const leases: Lease[] = [];
    for (const row of taken) {
      const epoch = row.lease_epoch + 1;
      const ttlMs = Math.max(req.ttlMs, row.lease_ttl_ms ?? 0);
      const expiresAt = now + ttlMs;
      await log(sql, req.workspace, row.id, Entry.RunStarted, null, now, {
        owner: req.owner,
        epoch,
        ...(row.status === "running" ? { recoveredFrom: row.lease_owner } : {}),
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

  async leaseOwners(sql: Sql, workspace: string, prefix: string): Promise<string[]> {
    const rows = await sql.rows<{ lease_owner: string }>(
      `SELECT DISTINCT lease_owner FROM runs WHERE workspace = $1 AND status = 'running'
           AND starts_with(lease_owner, $2) ORDER BY lease_owner`,
      [workspace, prefix],
    );
    return rows.map((r) => r.lease_owner);
  }

  async renew(t: Tx, lease: Lease, ttlMs: number): Promise<Lease> {
    await fence(t, lease);
    const expiresAt = t.now + ttlMs;
    await t.sql.run("UPDATE runs SET lease_expires_at = $1 WHERE workspace = $2 AND id = $3", [
      expiresAt,
      lease.workspace,
      lease.runId,
    ]);
    return { ...lease, expiresAt };
  }

  async noteLeaseStarved(t: Tx, workspace: string, runId: string, note: LeaseStarved): Promise<void> {
    const changed = await t.sql.run(
      `UPDATE runs SET lease_ttl_ms = GREATEST(COALESCE(lease_ttl_ms, 0), $1::bigint), updated_at = $2
         WHERE workspace = $3 AND id = $4`,
      [note.leaseTtlMs, t.now, workspace, runId],
    );
    if (changed === 0) return;
    await log(t.sql, workspace, runId, Entry.RunLeaseStarved, note.stepIds[0] ?? null, t.now, { ...note });
  }

  async nextWakeAt(sql: Sql, workspace: string, workflows: readonly string[]): Promise<number | undefined> {
    if (workflows.length === 0) return undefined;
    const row = await sql.one<{ t: number | null }>(NEXT_WAKE_SQL, [workspace, [...workflows]]);
    return row?.t ?? undefined;
  }
}

/**
 * The earliest due runnable run and the earliest lease to lapse. Each is the first row of an
 * ordered index scan, not MIN(): a generic plan made while the table was small reads MIN() by
 * scanning every waiting run, and a worker's connections keep that plan until refreshPlans
 * has them plan again.
 */
export const NEXT_WAKE_SQL = `SELECT LEAST(
    (SELECT wake_at FROM runs WHERE workspace = $1 AND status IN ('queued', 'waiting') AND workflow = ANY($2::text[])
       AND wake_at IS NOT NULL ORDER BY wake_at LIMIT 1),
    (SELECT lease_expires_at FROM runs WHERE workspace = $1 AND status = 'running' AND workflow = ANY($2::text[])
       AND lease_expires_at IS NOT NULL ORDER BY lease_expires_at LIMIT 1)
  ) AS t`;
