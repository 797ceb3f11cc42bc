import { ConflictError, CorruptPayloadError, ErrorCode, NotFoundError } from "../../shared/errors.js";
import { MIGRATIONS } from "../migrations.js";
import type { ExportRow, ImportResult, RunExport, TransferTable } from "../run-export.js";
import { RUN_COLUMN, TRANSFER_TABLES, blobHashes } from "../run-export.js";
import type { Sql } from "./database.js";
import type { PgTransactions, Tx } from "./transactions.js";

/** Moving runs between stores, PostgreSQL side: a run's rows out, an exported run's rows in. */
export class PgTransfer {
  private readonly columns = new Map<string, Set<string>>();

  constructor(private readonly db: PgTransactions) {}

  export(workspace: string, runId: string): Promise<RunExport> {
    return this.db.tx(async (t) => {
      const sql = t.sql;
      if (
        (await sql.one("SELECT 1 FROM runs WHERE workspace = $1 AND id = $2", [workspace, runId])) ===
        undefined
      )
        throw new NotFoundError(ErrorCode.RunNotFound, `run ${runId} not found in workspace "${workspace}"`);
      const ids = [runId];
      for (let level = [runId]; level.length > 0;) {
        level = (
          await sql.rows<{ id: string }>(
            "SELECT id FROM runs WHERE workspace = $1 AND parent_run_id = ANY($2::text[])",
            [workspace, level],
          )
        ).map((r) => r.id);
        ids.push(...level);
      }
      const tables = {} as Record<TransferTable, ExportRow[]>;
      for (const table of TRANSFER_TABLES) {
        if (table === "events") continue;
        tables[table] = await sql.rows<ExportRow>(
          `SELECT * FROM ${table} WHERE workspace = $1 AND ${RUN_COLUMN[table]} = ANY($2::text[])`,
          [workspace, ids],
        );
      }
      const eventIds = [
        ...new Set(tables.waits.flatMap((w) => (typeof w.event_id === "string" ? [w.event_id] : []))),
      ];
      tables.events = await sql.rows<ExportRow>(
        "SELECT * FROM events WHERE workspace = $1 AND id = ANY($2::text[])",
        [workspace, eventIds],
      );
      const hashes = blobHashes(tables);
      const found = await sql.rows<{ hash: string; size: number; data: Buffer; created_at: number }>(
        "SELECT hash, size, data, created_at FROM blobs WHERE workspace = $1 AND hash = ANY($2::text[])",
        [workspace, hashes],
      );
      const missing = hashes.find((h) => !found.some((b) => b.hash === h));
      if (missing !== undefined)
        throw new CorruptPayloadError(`run ${runId}: its stored blob ${missing.slice(0, 12)}… is missing`);
      return {
        cairn: "run-export" as const,
        version: 1 as const,
        runId,
        exportedAt: t.now,
        from: { dialect: "postgres" as const, workspace, schema: MIGRATIONS[MIGRATIONS.length - 1]!.id },
        tables,
        blobs: found.map((b) => ({
          hash: b.hash,
          size: b.size,
          data: b.data.toString("base64"),
          created_at: b.created_at,
        })),
      };
    });
  }

  import(workspace: string, data: RunExport): Promise<ImportResult> {
    return this.db.tx(async (t) => {
      const ids = data.tables.runs.map((r) => String(r.id));
      const existing = await t.sql.rows<{ id: string }>(
        "SELECT id FROM runs WHERE workspace = $1 AND id = ANY($2::text[])",
        [workspace, ids],
      );
      if (existing.length > 0)
        throw new ConflictError(
          `run ${existing[0]!.id} is already in this store (workspace "${workspace}"); it was not imported again`,
        );
      await t.sql.run("INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [
        workspace,
        t.now,
      ]);
      for (const b of data.blobs) {
        await t.sql.run(
          `INSERT INTO blobs (workspace, hash, size, data, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (workspace, hash) DO NOTHING`,
          [workspace, b.hash, b.size, Buffer.from(b.data, "base64"), b.created_at],
        );
      }
      for (const table of TRANSFER_TABLES) {
        for (const row of data.tables[table]) await this.insert(t, table, { ...row, workspace });
      }
      return {
        runId: data.runId,
        runs: data.tables.runs.length,
        steps: data.tables.steps.length,
        entries: data.tables.entries.length,
      };
    });
  }

  /** Inserts the columns this store has (an export from a newer schema may carry more). */
  private async insert(t: Tx, table: TransferTable, row: ExportRow): Promise<void> {
    const known = await this.columnsOf(t.sql, table);
    const names = Object.keys(row).filter((c) => known.has(c));
    const conflict = table === "events" ? "ON CONFLICT DO NOTHING" : "";
    await t.sql.run(
      `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")}) ${conflict}`,
      names.map((c) => row[c] ?? null),
    );
  }

  private async columnsOf(sql: Sql, table: string): Promise<Set<string>> {
    let set = this.columns.get(table);
    if (set === undefined) {
      const rows = await sql.rows<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        [table],
      );
      set = new Set(rows.map((r) => r.column_name));
      this.columns.set(table, set);
    }
    return set;
  }
}
