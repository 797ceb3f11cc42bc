import { CorruptPayloadError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { decodePayload } from "../../shared/payload.js";
import { Entry } from "../entry-types.js";
import { eventMatches } from "../event-match.js";
import type { NewEvent, SendEventResult } from "../journal.js";
import type { EventRecord, NewRun } from "../records.js";
import type { WaitRow } from "../sqlite/rows.js";
import { parseJsonColumn } from "../sqlite/rows.js";
import type { Sql } from "./database.js";
import { log } from "./log.js";
import { payloadText, putPayload } from "./payloads.js";
import type { PgRuns } from "./postgres-runs.js";
import { lockRuns } from "./run-locks.js";
import type { Tx } from "./transactions.js";

interface EventRow {
  workspace: string;
  id: string;
  name: string;
  data_json: string | null;
  data_blob: string | null;
  blob_data: Buffer | null;
  at: number;
}

const EVENT_WITH_PAYLOAD = `SELECT e.*, b.data AS blob_data FROM events e
  LEFT JOIN blobs b ON b.workspace = e.workspace AND b.hash = e.data_blob`;

/**
 * Events on the PostgreSQL journal: sending one resolves the waits it matches and starts the
 * runs it triggers, in the sender's transaction. The journal delegates to this.
 */
export class PgEvents {
  constructor(private readonly runs: PgRuns) {}

  async send(t: Tx, ws: string, event: NewEvent, triggers: NewRun[]): Promise<SendEventResult> {
    const { sql, now } = t;
    const id = event.id ?? newId("evt");
    await this.runs.ensureWorkspace(t, ws);
    const [json, blob] = await putPayload(t, ws, event.data);
    const inserted = await sql.run(
      `INSERT INTO events (workspace, id, name, data_json, data_blob, at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace, id) DO NOTHING`,
      [ws, id, event.name, json, blob, now],
    );
    if (inserted === 0)
      return { eventId: id, created: false, resumedRuns: [], startedRuns: [], failedRuns: [] };
    const data = decodePayload(event.data.text, `event ${event.name}`);
    const waits = await sql.rows<WaitRow>(
      `SELECT * FROM waits WHERE workspace = $1 AND event_name = $2 AND resolved_at IS NULL AND (due_at IS NULL OR due_at > $3)`,
      [ws, event.name, now],
    );
    const matched = waits.filter((w) =>
      eventMatches(
        { id, name: event.name, data },
        parseJsonColumn<Record<string, unknown>>(w.match_json, `run ${w.run_id} wait "${w.step_id}"`),
      ),
    );
    const resumed: string[] = [];
    if (matched.length > 0) {
      // The runs first, then their waits: a run suspending at this moment sees the resolution.
      await lockRuns(
        sql,
        ws,
        matched.map((w) => w.run_id),
      );
      const resolved = await sql.rows<{ run_id: string }>(
        `UPDATE waits AS w SET resolved_at = $1, event_id = $2
         FROM unnest($4::text[], $5::text[]) AS m(run_id, step_id)
         WHERE w.workspace = $3 AND w.run_id = m.run_id AND w.step_id = m.step_id
           AND w.resolved_at IS NULL AND (w.due_at IS NULL OR w.due_at > $1)
         RETURNING w.run_id`,
        [now, id, ws, matched.map((w) => w.run_id), matched.map((w) => w.step_id)],
      );
      const runs = new Set(resolved.map((r) => r.run_id));
      // In the order the waits were found, as SQLite reports them.
      for (const w of matched) {
        if (!runs.delete(w.run_id)) continue;
        await this.runs.wake(sql, ws, w.run_id, now);
        resumed.push(w.run_id);
      }
    }
    const started: string[] = [];
    const failed: string[] = [];
    for (const trigger of triggers) {
      const r = await this.runs.insert(t, {
        ...trigger,
        idempotencyKey: trigger.idempotencyKey ?? `event:${id}`,
      });
      if (r.created) (r.run.status === "failed" ? failed : started).push(r.run.id);
    }
    await log(sql, ws, null, Entry.EventSent, null, now, {
      id,
      name: event.name,
      resumedRuns: resumed,
      startedRuns: started,
      ...(failed.length > 0 ? { failedRuns: failed } : {}),
    });
    return { eventId: id, created: true, resumedRuns: resumed, startedRuns: started, failedRuns: failed };
  }

  async list(sql: Sql, workspace: string, filter: { name?: string; limit?: number }): Promise<EventRecord[]> {
    const byName = filter.name === undefined ? "" : "AND e.name = $3";
    const rows = await sql.rows<EventRow>(
      `${EVENT_WITH_PAYLOAD} WHERE e.workspace = $1 ${byName} ORDER BY e.at DESC, e.id COLLATE "C" DESC LIMIT $2`,
      filter.name === undefined
        ? [workspace, filter.limit ?? 100]
        : [workspace, filter.limit ?? 100, filter.name],
    );
    return rows.map(toEvent);
  }

  async record(sql: Sql, workspace: string, eventId: string): Promise<EventRecord> {
    const row = await sql.one<EventRow>(`${EVENT_WITH_PAYLOAD} WHERE e.workspace = $1 AND e.id = $2`, [
      workspace,
      eventId,
    ]);
    if (row === undefined) throw new CorruptPayloadError(`event ${eventId} is missing`);
    return toEvent(row);
  }
}

function toEvent(row: EventRow): EventRecord {
  const label = `event ${row.id} data`;
  return {
    id: row.id,
    workspace: row.workspace,
    name: row.name,
    data: decodePayload(payloadText(row.data_json, row.data_blob, row.blob_data, label), label),
    at: row.at,
  };
}
