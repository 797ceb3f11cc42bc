import type { JournalEntry } from "../records.js";
import type { EntryRow } from "../sqlite/rows.js";
import { toEntry } from "../sqlite/rows.js";
import { Entry } from "../entry-types.js";
import type { Sql } from "./database.js";
import { LOG_CHANNEL, STEPS_ONLY } from "./listener.js";

/**
 * Appends to a run's log (run id "" for workspace-wide entries such as sent events). A run's
 * entries are numbered from its log itself: the statement locks the run's row until commit, so
 * the run's writers take turns, and numbers the entry after the run's last. One that waited for
 * the lock read the log as it stood before: when the writer it waited for appended meanwhile,
 * the entry's number is taken and the transaction runs again (see isRetryable). Workspace-wide
 * entries, which have no run row, take their numbers from a counter row instead. The servers
 * streaming the run are told by the entries table's trigger, except of a `step.ended` entry
 * (whose common writer, the one-statement step commit, spaces its notifications out): this
 * statement tells them.
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
  const texts = runId ? RUN_APPEND : WORKSPACE_APPEND;
  await sql.run(type === Entry.StepEnded ? texts.notifying : texts.plain, [
    workspace,
    runId ?? "",
    type,
    stepId,
    at,
    JSON.stringify(data),
  ]);
}

/**
 * The next number in a run's log; the run's row must be locked by the same statement. Written as
 * the last entry's number, not MAX(seq): a generic plan made while the table was small reads
 * MAX(seq) by scanning every entry of the run, and the connections keep that plan until
 * refreshPlans has them plan again.
 */
export const NEXT_SEQ = (workspace: string, runId: string) =>
  `COALESCE((SELECT seq FROM entries WHERE workspace = ${workspace} AND run_id = ${runId} ORDER BY seq DESC LIMIT 1), 0) + 1`;

const RUN_APPEND =
  appendTexts(`WITH locked AS (SELECT 1 FROM runs WHERE workspace = $1 AND id = $2 FOR UPDATE),
   e AS (
     INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
     SELECT $1, $2, ${NEXT_SEQ("$1", "$2")}, $3::text, $4::text, $5::bigint, $6::text
     FROM (SELECT count(*) FROM locked) AS l
     RETURNING 1)`);

const WORKSPACE_APPEND = appendTexts(`WITH s AS (
     INSERT INTO entry_seqs (workspace, run_id, seq) VALUES ($1, $2, 1)
     ON CONFLICT (workspace, run_id) DO UPDATE SET seq = entry_seqs.seq + 1
     RETURNING seq),
   e AS (
     INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
     SELECT $1, $2, s.seq, $3::text, $4::text, $5::bigint, $6::text FROM s
     RETURNING 1)`);

/** An append statement's two endings: tell the run's watchers of a step result, or not (the trigger does). */
function appendTexts(append: string): { plain: string; notifying: string } {
  return {
    plain: `${append} SELECT 1 FROM e`,
    notifying: `${append} SELECT pg_notify('${LOG_CHANNEL}', $1 || chr(9) || $2 || chr(9) || '${STEPS_ONLY}') FROM e`,
  };
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
      // int8: a reader may start after any safe integer, beyond the column's int4.
      "SELECT * FROM entries WHERE workspace = $1 AND run_id = $2 AND seq > $3::int8 ORDER BY seq",
      [workspace, runId, afterSeq],
    )
  ).map(toEntry);
}
