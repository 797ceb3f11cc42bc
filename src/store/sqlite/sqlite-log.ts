import type { Statement } from "better-sqlite3";
import type { JournalEntry } from "../records.js";
import type { EntryRow } from "./rows.js";
import { toEntry } from "./rows.js";
import { FEED_ENTRIES } from "../entry-types.js";

const APPEND = `INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
  SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM entries WHERE workspace = ? AND run_id = ?`;

/** Each run's log in the SQLite journal: entries numbered per run, appended in its transactions. */
export class SqliteLog {
  constructor(private readonly sql: (text: string) => Statement) {}

  /**
   * Appends to a run's log (run id "" for workspace-wide entries such as sent events), and to the
   * workspace feed when the entry is a feed item.
   */
  append(
    workspace: string,
    runId: string | null,
    type: string,
    stepId: string | null,
    at: number,
    data: object,
  ): void {
    const run = runId ?? "";
    const values = [workspace, run, type, stepId, at, JSON.stringify(data), workspace, run];
    if (!FEED_ENTRIES.has(type)) {
      this.sql(APPEND).run(...values);
      return;
    }
    const { seq } = this.sql(`${APPEND} RETURNING seq`).get(...values) as { seq: number };
    this.feed(workspace, run, seq, type, stepId, at);
  }

  /** Adds a log entry to the workspace feed (an imported one, or one just appended). */
  feed(workspace: string, runId: string, seq: number, type: string, stepId: string | null, at: number): void {
    this.sql("INSERT INTO feed (workspace, run_id, seq, type, step_id, at) VALUES (?, ?, ?, ?, ?, ?)").run(
      workspace,
      runId,
      seq,
      type,
      stepId,
      at,
    );
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
