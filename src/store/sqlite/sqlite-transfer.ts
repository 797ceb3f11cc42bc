import { ConflictError, CorruptPayloadError, ErrorCode, NotFoundError } from "../../shared/errors.js";
import { FEED_ENTRIES } from "../entry-types.js";
import { MIGRATIONS } from "../migrations.js";
import type { ExportRow, ImportResult, RunExport, TransferTable } from "../run-export.js";
import { RUN_COLUMN, TRANSFER_TABLES, blobHashes } from "../run-export.js";
import type { SqliteStore } from "./sqlite-store.js";

/** Moving runs between stores, SQLite side: a run's rows out, an exported run's rows in. */
export class SqliteTransfer {
  private readonly columns = new Map<string, Set<string>>();

  constructor(private readonly store: SqliteStore) {}

  export(workspace: string, runId: string): RunExport {
    const sql = (text: string) => this.store.sql(text);
    if (sql("SELECT 1 FROM runs WHERE workspace = ? AND id = ?").get(workspace, runId) === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
    // The run and every run under it, level by level.
    const ids = [runId];
    for (let level = [runId]; level.length > 0;) {
      const marks = level.map(() => "?").join(", ");
      level = (
        sql(`SELECT id FROM runs WHERE workspace = ? AND parent_run_id IN (${marks})`).all(
          workspace,
          ...level,
        ) as {
          id: string;
        }[]
      ).map((r) => r.id);
      ids.push(...level);
    }
    const tables = {} as Record<TransferTable, ExportRow[]>;
    const marks = ids.map(() => "?").join(", ");
    for (const table of TRANSFER_TABLES) {
      if (table === "events") continue;
      tables[table] = sql(
        `SELECT * FROM ${table} WHERE workspace = ? AND ${RUN_COLUMN[table]} IN (${marks})`,
      ).all(workspace, ...ids) as ExportRow[];
    }
    const eventIds = [
      ...new Set(tables.waits.flatMap((w) => (typeof w.event_id === "string" ? [w.event_id] : []))),
    ];
    tables.events =
      eventIds.length === 0
        ? []
        : (sql(
            `SELECT * FROM events WHERE workspace = ? AND id IN (${eventIds.map(() => "?").join(", ")})`,
          ).all(workspace, ...eventIds) as ExportRow[]);
    const blobs = blobHashes(tables).map((hash) => {
      const b = sql("SELECT hash, size, data, created_at FROM blobs WHERE workspace = ? AND hash = ?").get(
        workspace,
        hash,
      ) as { hash: string; size: number; data: Buffer; created_at: number } | undefined;
      if (b === undefined)
        throw new CorruptPayloadError(`run ${runId}: its stored blob ${hash.slice(0, 12)}… is missing`);
      return { hash: b.hash, size: b.size, data: b.data.toString("base64"), created_at: b.created_at };
    });
    return {
      cairn: "run-export",
      version: 1,
      runId,
      exportedAt: this.store.clock.now(),
      from: { dialect: "sqlite", workspace, schema: MIGRATIONS[MIGRATIONS.length - 1]!.id },
      tables,
      blobs,
    };
  }

  import(workspace: string, data: RunExport): ImportResult {
    const now = this.store.clock.now();
    for (const run of data.tables.runs) {
      if (
        this.store.sql("SELECT 1 FROM runs WHERE workspace = ? AND id = ?").get(workspace, run.id) !==
        undefined
      )
        throw new ConflictError(
          `run ${String(run.id)} is already in this store (workspace "${workspace}"); it was not imported again`,
        );
    }
    this.store.sql("INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?, ?)").run(workspace, now);
    for (const b of data.blobs) {
      this.store
        .sql("INSERT OR IGNORE INTO blobs (workspace, hash, size, data, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(workspace, b.hash, b.size, Buffer.from(b.data, "base64"), b.created_at);
    }
    for (const table of TRANSFER_TABLES) {
      for (const row of data.tables[table]) {
        this.insert(table, { ...row, workspace });
        // An imported run's state changes reach the live lists as a new run's would.
        if (table === "entries" && FEED_ENTRIES.has(String(row.type))) {
          const stepId = row.step_id === null ? null : String(row.step_id);
          this.store.log.feed(
            workspace,
            String(row.run_id),
            Number(row.seq),
            String(row.type),
            stepId,
            Number(row.at),
          );
        }
      }
    }
    return {
      runId: data.runId,
      runs: data.tables.runs.length,
      steps: data.tables.steps.length,
      entries: data.tables.entries.length,
    };
  }

  /** Inserts the columns this store has (an export from a newer schema may carry more). */
  private insert(table: TransferTable, row: ExportRow): void {
    const known = this.columnsOf(table);
    const names = Object.keys(row).filter((c) => known.has(c));
    const verb = table === "events" ? "INSERT OR IGNORE" : "INSERT";
    this.store
      .sql(`${verb} INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`)
      .run(...names.map((c) => row[c] ?? null));
  }

  private columnsOf(table: string): Set<string> {
    let set = this.columns.get(table);
    if (set === undefined) {
      const rows = this.store.sql(`PRAGMA table_info(${table})`).all() as { name: string }[];
      set = new Set(rows.map((r) => r.name));
      this.columns.set(table, set);
    }
    return set;
  }
}
