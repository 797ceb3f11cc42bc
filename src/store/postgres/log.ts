import type { JournalEntry } from "../records.js";
import type { EntryRow } from "../sqlite/rows.js";
import { toEntry } from "../sqlite/rows.js";
import { Entry } from "../entry-types.js";
import type { Sql } from "./database.js";
import { LOG_CHANNEL } from "./listener.js";

/**
 * Appends to a run's log (run id "" for workspace-wide entries such as sent events). The seq
 * comes from the run's counter row, which this locks until commit. The servers streaming the run
 * are told by the entries table's trigger, except of a `step.ended` entry (whose common writer,
 * the one-statement step commit, spaces its notifications out): this statement tells them.
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
  await sql.run(type === Entry.StepEnded ? APPEND_AND_NOTIFY : APPEND, [
    workspace,
    runId ?? "",
    type,
    stepId,
    at,
    JSON.stringify(data),
  ]);
}

const APPEND = `WITH s AS (
     INSERT INTO entry_seqs (workspace, run_id, seq) VALUES ($1, $2, 1)
     ON CONFLICT (workspace, run_id) DO UPDATE SET seq = entry_seqs.seq + 1
     RETURNING seq)
   INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
   SELECT $1, $2, s.seq, $3::text, $4::text, $5::bigint, $6::text FROM s`;

const APPEND_AND_NOTIFY = `WITH s AS (
     INSERT INTO entry_seqs (workspace, run_id, seq) VALUES ($1, $2, 1)
     ON CONFLICT (workspace, run_id) DO UPDATE SET seq = entry_seqs.seq + 1
     RETURNING seq),
   e AS (
     INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
     SELECT $1, $2, s.seq, $3::text, $4::text, $5::bigint, $6::text FROM s
     RETURNING 1)
   SELECT pg_notify('${LOG_CHANNEL}', $1 || chr(9) || $2) FROM e`;

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
