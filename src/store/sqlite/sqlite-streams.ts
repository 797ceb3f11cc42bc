import { LeaseLostError } from "../../shared/errors.js";
import { MIGRATIONS } from "../migrations.js";
import type { Lease } from "../records.js";
import type { FeedItem, SchemaState, StreamChunkBatch } from "../service-records.js";
import type { FeedRow } from "../service-rows.js";
import { progressEntry, toFeedItem } from "../service-rows.js";
import type { SqliteDatabase } from "./database.js";
import type { SqliteStore } from "./sqlite-store.js";

/** How often the file is looked at for changes while someone watches the log. */
const WATCH_POLL_MS = 5;

/**
 * Streams on the SQLite journal: streamed step progress in the run's log, the workspace feed,
 * and noticing appends. One file has no notifications, so watching is a cheap poll of SQLite's
 * change counters: `data_version` (commits by other connections) and `total_changes()` (this one).
 */
export class SqliteStreams {
  private readonly watchers = new Map<string, Set<(runId: string | undefined) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private lastSeen = "";

  constructor(
    private readonly db: SqliteDatabase,
    private readonly store: SqliteStore,
  ) {}

  appendChunks(lease: Lease, batch: StreamChunkBatch, now: number): void {
    const held = this.store
      .sql(
        `SELECT 1 FROM runs WHERE workspace = ? AND id = ? AND lease_epoch = ? AND lease_owner = ? AND status = 'running'`,
      )
      .get(lease.workspace, lease.runId, lease.epoch, lease.owner);
    if (held === undefined)
      throw new LeaseLostError(`run ${lease.runId}: lease epoch ${lease.epoch} is no longer current`);
    const entry = progressEntry(batch, lease.epoch);
    this.store.log.append(lease.workspace, lease.runId, entry.type, batch.stepId, now, entry.data);
  }

  readFeed(workspace: string, cursor: string | undefined, limit: number): FeedItem[] {
    const after = cursor === undefined ? 0 : Number(cursor);
    const rows = this.store
      .sql("SELECT * FROM feed WHERE workspace = ? AND id > ? ORDER BY id LIMIT ?")
      .all(workspace, Number.isFinite(after) ? after : 0, limit) as FeedRow[];
    return rows.map((r) => toFeedItem(r, String(r.id)));
  }

  feedEnd(workspace: string): string {
    const row = this.store.sql("SELECT MAX(id) AS id FROM feed WHERE workspace = ?").get(workspace) as {
      id: number | null;
    };
    return String(row.id ?? 0);
  }

  schemaState(): SchemaState {
    const row = this.store.sql("SELECT MAX(id) AS id FROM cairn_migrations").get() as { id: number | null };
    return { version: row.id ?? 0, latest: MIGRATIONS[MIGRATIONS.length - 1]?.id ?? 0 };
  }

  watch(workspace: string, onAppended: (runId: string | undefined) => void): () => void {
    let set = this.watchers.get(workspace);
    if (set === undefined) this.watchers.set(workspace, (set = new Set()));
    set.add(onAppended);
    if (this.timer === undefined) {
      this.lastSeen = this.counters();
      this.timer = setInterval(() => this.poll(), WATCH_POLL_MS);
      this.timer.unref();
    }
    return () => {
      set.delete(onAppended);
      if (set.size === 0) this.watchers.delete(workspace);
      if (this.watchers.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private counters(): string {
    if (!this.db.open) return this.lastSeen;
    const version = this.db.pragma("data_version", { simple: true }) as number;
    const own = (this.store.sql("SELECT total_changes() AS n").get() as { n: number }).n;
    return `${version}:${own}`;
  }

  private poll(): void {
    let seen;
    try {
      seen = this.counters();
    } catch {
      return; // a busy or closing file: the next poll looks again
    }
    if (seen === this.lastSeen) return;
    this.lastSeen = seen;
    for (const set of [...this.watchers.values()]) for (const w of [...set]) w(undefined);
  }
}
