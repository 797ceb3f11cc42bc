import { leaseLost } from "./run-locks.js";
import { MIGRATIONS } from "../migrations.js";
import type { Lease } from "../records.js";
import type { FeedItem, SchemaState, StreamChunkBatch } from "../service-records.js";
import type { FeedRow } from "../service-rows.js";
import { progressEntry, toFeedItem } from "../service-rows.js";
import type { Sql } from "./database.js";
import { log } from "./log.js";
import type { Tx } from "./transactions.js";

/** Streamed step progress, the workspace feed and the schema state on PostgreSQL. */
export class PgStreams {
  /** The run is not locked: a batch of tokens must not wait behind, or hold up, its step's commit. */
  async appendChunks(t: Tx, lease: Lease, batch: StreamChunkBatch): Promise<void> {
    const held = await t.sql.one(
      `SELECT 1 FROM runs WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'`,
      [lease.workspace, lease.runId, lease.epoch, lease.owner],
    );
    if (held === undefined) throw await leaseLost(t.sql, lease);
    const entry = progressEntry(batch, lease.epoch);
    await log(t.sql, lease.workspace, lease.runId, entry.type, batch.stepId, t.now, entry.data);
  }

  /**
   * Feed rows are ordered by their writing transaction, and only transactions older than every
   * one still running are read: one that commits later can then never land before the cursor.
   */
  async readFeed(
    sql: Sql,
    workspace: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<FeedItem[]> {
    const [xid, id] = parseCursor(cursor);
    const rows = await sql.rows<FeedRow & { xid: number }>(
      `SELECT * FROM feed
         WHERE workspace = $1 AND (xid, id) > ($2::bigint, $3::bigint)
           AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
         ORDER BY xid, id LIMIT $4`,
      [workspace, xid, id, limit],
    );
    return rows.map((r) => toFeedItem(r, `${r.xid}.${r.id}`));
  }

  /**
   * Every transaction older than the oldest still running is in the feed for good: the cursor
   * past all of them. Later ones (committed or not) are read after it.
   */
  async feedEnd(sql: Sql): Promise<string> {
    const row = await sql.one<{ xmin: string }>(
      "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin",
    );
    return `${Number(row?.xmin ?? 1) - 1}.${Number.MAX_SAFE_INTEGER}`;
  }

  async schemaState(sql: Sql): Promise<SchemaState> {
    const row = await sql.one<{ id: number | null }>("SELECT MAX(id) AS id FROM cairn_migrations");
    return { version: Number(row?.id ?? 0), latest: MIGRATIONS[MIGRATIONS.length - 1]?.id ?? 0 };
  }
}

function parseCursor(cursor: string | undefined): [number, number] {
  const [xid, id] = (cursor ?? "").split(".").map(Number);
  return Number.isSafeInteger(xid) && Number.isSafeInteger(id) ? [xid!, id!] : [0, 0];
}
