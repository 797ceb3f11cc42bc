import { CorruptPayloadError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { decodePayload } from "../../shared/payload.js";
import { Entry } from "../entry-types.js";
import { eventMatches } from "../event-match.js";
import type { NewEvent, SendEventResult } from "../journal.js";
import type { EventRecord, NewRun } from "../records.js";
import type { SqliteStore } from "./sqlite-store.js";
import type { SqliteRuns } from "./sqlite-runs.js";
import type { WaitRow } from "./rows.js";
import { parseJsonColumn } from "./rows.js";

/**
 * Events on the SQLite journal: sending one resolves the waits it matches and starts the runs it
 * triggers, in the sender's transaction.
 */
export class SqliteEvents {
  constructor(
    private readonly store: SqliteStore,
    private readonly runs: SqliteRuns,
  ) {}

  send(ws: string, event: NewEvent, triggers: NewRun[], now: number): SendEventResult {
    const id = event.id ?? newId("evt");
    this.runs.ensureWorkspace(ws, now);
    const [json, blob] = this.store.payloads.put(ws, event.data, now);
    const inserted = this.store
      .sql(
        "INSERT OR IGNORE INTO events (workspace, id, name, data_json, data_blob, at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(ws, id, event.name, json, blob, now);
    if (inserted.changes === 0)
      return { eventId: id, created: false, resumedRuns: [], startedRuns: [], failedRuns: [] };
    const data = decodePayload(event.data.text, `event ${event.name}`);
    const waits = this.store
      .sql(
        `SELECT * FROM waits WHERE workspace = ? AND event_name = ? AND resolved_at IS NULL AND (due_at IS NULL OR due_at > ?)`,
      )
      .all(ws, event.name, now) as WaitRow[];
    const resumed: string[] = [];
    for (const w of waits) {
      const match = parseJsonColumn<Record<string, unknown>>(
        w.match_json,
        `run ${w.run_id} wait "${w.step_id}"`,
      );
      if (!eventMatches({ id, name: event.name, data }, match)) continue;
      this.store
        .sql(
          "UPDATE waits SET resolved_at = ?, event_id = ? WHERE workspace = ? AND run_id = ? AND step_id = ?",
        )
        .run(now, id, ws, w.run_id, w.step_id);
      this.runs.wake(ws, w.run_id, now);
      resumed.push(w.run_id);
    }
    const started: string[] = [];
    const failed: string[] = [];
    for (const t of triggers) {
      const r = this.runs.insert({ ...t, idempotencyKey: t.idempotencyKey ?? `event:${id}` }, now);
      if (r.created) (r.run.status === "failed" ? failed : started).push(r.run.id);
    }
    this.store.log.append(ws, null, Entry.EventSent, null, now, {
      id,
      name: event.name,
      resumedRuns: resumed,
      startedRuns: started,
      ...(failed.length > 0 ? { failedRuns: failed } : {}),
    });
    return { eventId: id, created: true, resumedRuns: resumed, startedRuns: started, failedRuns: failed };
  }

  list(workspace: string, filter: { name?: string; limit?: number }): EventRecord[] {
    const rows = (
      filter.name === undefined
        ? this.store
            .sql("SELECT id FROM events WHERE workspace = ? ORDER BY at DESC LIMIT ?")
            .all(workspace, filter.limit ?? 100)
        : this.store
            .sql("SELECT id FROM events WHERE workspace = ? AND name = ? ORDER BY at DESC LIMIT ?")
            .all(workspace, filter.name, filter.limit ?? 100)
    ) as { id: string }[];
    return rows.map((r) => this.record(workspace, r.id));
  }

  record(workspace: string, eventId: string): EventRecord {
    const row = this.store
      .sql("SELECT * FROM events WHERE workspace = ? AND id = ?")
      .get(workspace, eventId) as
      | { id: string; name: string; data_json: string | null; data_blob: string | null; at: number }
      | undefined;
    if (row === undefined) throw new CorruptPayloadError(`event ${eventId} is missing`);
    return {
      id: row.id,
      workspace,
      name: row.name,
      data: this.store.payloads.get(workspace, row.data_json, row.data_blob, `event ${eventId} data`),
      at: row.at,
    };
  }
}
