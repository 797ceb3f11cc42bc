import type { Statement } from "better-sqlite3";
import type { JournalEntry } from "../records.js";
import type { EntryRow } from "./rows.js";
import { toEntry } from "./rows.js";

/** Each run's log in the SQLite journal: entries numbered per run, appended in its transactions. */
export class SqliteLog {
  constructor(private readonly sql: (text: string) => Statement) {}

  /** Appends to a run's log (run id "" for workspace-wide entries such as sent events). */
  append(
    workspace: string,
    runId: string | null,
    type: string,
    stepId: string | null,
    at: number,
    data: object,
  ): void {
    const run = runId ?? "";
    this.sql(
      `INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
       SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM entries WHERE workspace = ? AND run_id = ?`,
    ).run(workspace, run, type, stepId, at, JSON.stringify(data), workspace, run);
  }

  read(workspace: string, runId: string, afterSeq: number): JournalEntry[] {
    return (
      this.sql("SELECT * FROM entries WHERE workspace = ? AND run_id = ? AND seq > ? ORDER BY seq").all(
        workspace,
        runId,
        afterSeq,
      ) as EntryRow[]
    ).map(toEntry);
  }
}
