import type { JournalEntry } from "../records.js";
import type { EntryRow } from "../sqlite/rows.js";
import { toEntry } from "../sqlite/rows.js";
import type { Sql } from "./database.js";

/**
 * Appends to a run's log (run id "" for workspace-wide entries such as sent events). The seq
 * comes from the run's counter row, which this locks until commit.
 */
export async function log(
  sql: Sql,
  workspace: string,
  runId: string | null,
  type: string,
  stepId: string | null,
  at: number,
  data: object,
): Promise<void> {
  await sql.run(
    `WITH s AS (
         INSERT INTO entry_seqs (workspace, run_id, seq) VALUES ($1, $2, 1)
         ON CONFLICT (workspace, run_id) DO UPDATE SET seq = entry_seqs.seq + 1
         RETURNING seq)
       INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
       SELECT $1, $2, s.seq, $3::text, $4::text, $5::bigint, $6::text FROM s`,
    [workspace, runId ?? "", type, stepId, at, JSON.stringify(data)],
  );
}

/** A run's log from after `afterSeq`, in order. */
export async function readEntries(
  sql: Sql,
  workspace: string,
  runId: string,
  afterSeq: number,
): Promise<JournalEntry[]> {
  return (
    await sql.rows<EntryRow>(
      "SELECT * FROM entries WHERE workspace = $1 AND run_id = $2 AND seq > $3 ORDER BY seq",
      [workspace, runId, afterSeq],
    )
  ).map(toEntry);
}
