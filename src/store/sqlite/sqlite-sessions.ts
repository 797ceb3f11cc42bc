import type { Statement } from "better-sqlite3";
import { newId } from "../../shared/ids.js";
import type { EncodedPayload } from "../../shared/payload.js";
import { decodePayload } from "../../shared/payload.js";
import type { SessionRange } from "../lifecycle-records.js";
import type { MemoryRecord, MemoryScope, SessionMessage } from "../records.js";
import { ACTIVE_SQL } from "../lifecycle-sql.js";
import { closedMark } from "../service-rows.js";

/**
 * Agent sessions (a conversation that outlives runs), their inbox, and agent memory, on the
 * SQLite journal's database. The journal delegates to this; its transactions wrap these calls.
 */
export class SqliteSessions {
  constructor(
    private readonly sql: (text: string) => Statement,
    private readonly now: () => number,
  ) {}

  load(ws: string, agent: string, session: string, range: SessionRange = {}): SessionMessage[] {
    // The newest `last` up to `upTo`, then put back in order.
    const rows = (
      this.sql(
        `SELECT seq, run_id, message_json, at FROM session_messages
         WHERE workspace = ? AND agent = ? AND session = ? AND seq <= ? ORDER BY seq DESC LIMIT ?`,
      ).all(ws, agent, session, range.upTo ?? Number.MAX_SAFE_INTEGER, range.last ?? -1) as {
        seq: number;
        run_id: string;
        message_json: string;
        at: number;
      }[]
    ).reverse();
    return rows.map((r) => ({
      seq: r.seq,
      runId: r.run_id,
      message: decodePayload(r.message_json, `session "${session}" of agent ${agent}, message ${r.seq}`),
      at: r.at,
    }));
  }

  head(ws: string, agent: string, session: string): number {
    const row = this.sql(
      "SELECT MAX(seq) AS seq FROM session_messages WHERE workspace = ? AND agent = ? AND session = ?",
    ).get(ws, agent, session) as { seq: number | null };
    return row.seq ?? 0;
  }

  append(ws: string, agent: string, session: string, runId: string, messages: EncodedPayload[]): void {
    // What this run appended before is skipped: a step saving again gives the same list.
    const saved = this.sql(
      "SELECT COUNT(*) AS n FROM session_messages WHERE workspace = ? AND agent = ? AND session = ? AND run_id = ?",
    ).get(ws, agent, session, runId) as { n: number };
    const texts = messages.flatMap((m) => (m.text === undefined ? [] : [m.text])).slice(saved.n);
    if (texts.length === 0) return;
    const last = this.sql(
      "SELECT MAX(seq) AS seq FROM session_messages WHERE workspace = ? AND agent = ? AND session = ?",
    ).get(ws, agent, session) as { seq: number | null };
    let seq = last.seq ?? 0;
    const at = this.now();
    const insert = this.sql(
      "INSERT INTO session_messages (workspace, agent, session, seq, run_id, message_json, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    for (const text of texts) insert.run(ws, agent, session, ++seq, runId, text, at);
  }

  pushInbox(
    ws: string,
    agent: string,
    session: string,
    message: EncodedPayload,
    runId: string,
  ): string | undefined {
    // Only a run still in flight that has not closed its inbox takes it.
    const open = this.sql(
      `SELECT 1 FROM runs WHERE workspace = ? AND id = ? AND status IN ${ACTIVE_SQL}
       AND NOT EXISTS (SELECT 1 FROM session_inbox WHERE workspace = ? AND agent = ? AND session = ? AND id = ?)`,
    ).get(ws, runId, ws, agent, session, closedMark(runId));
    if (open === undefined) return undefined;
    const id = newId("msg");
    this.sql(
      "INSERT INTO session_inbox (workspace, agent, session, id, message_json, at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(ws, agent, session, id, message.text ?? "null", this.now());
    return id;
  }

  takeInbox(
    ws: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
    seal: boolean,
  ): unknown[] {
    this.sql(
      `UPDATE session_inbox SET taken_by_run = ?, taken_by_step = ?
       WHERE workspace = ? AND agent = ? AND session = ? AND taken_by_run IS NULL`,
    ).run(runId, stepId, ws, agent, session);
    const rows = this.sql(
      `SELECT id, message_json FROM session_inbox
       WHERE workspace = ? AND agent = ? AND session = ? AND taken_by_run = ? AND taken_by_step = ? ORDER BY at, id`,
    ).all(ws, agent, session, runId, stepId) as { id: string; message_json: string }[];
    if (seal && rows.length === 0) {
      // The mark is taken by the run itself, at no step: no take or step ever returns it.
      this.sql(
        `INSERT OR IGNORE INTO session_inbox (workspace, agent, session, id, message_json, at, taken_by_run, taken_by_step)
         VALUES (?, ?, ?, ?, 'null', ?, ?, '')`,
      ).run(ws, agent, session, closedMark(runId), this.now(), runId);
    }
    return rows.map((r) => decodePayload(r.message_json, `inbox message ${r.id} of session "${session}"`));
  }

  saveMemory(ws: string, scope: MemoryScope, key: string, text: string): void {
    this.sql(
      `INSERT INTO memories (workspace, agent, user_id, key, text, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (workspace, agent, user_id, key) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`,
    ).run(ws, scope.agent, scope.user, key, text, this.now());
  }

  recallMemory(ws: string, scope: MemoryScope, query: string, limit: number): MemoryRecord[] {
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.sql(
      `SELECT key, text, updated_at FROM memories WHERE workspace = ? AND agent = ? AND user_id = ?
         AND (key LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\') ORDER BY updated_at DESC, key LIMIT ?`,
    ).all(ws, scope.agent, scope.user, like, like, limit) as {
      key: string;
      text: string;
      updated_at: number;
    }[];
    return rows.map((r) => ({ key: r.key, text: r.text, updatedAt: r.updated_at }));
  }

  forgetMemory(ws: string, scope: MemoryScope, key: string): boolean {
    return (
      this.sql("DELETE FROM memories WHERE workspace = ? AND agent = ? AND user_id = ? AND key = ?").run(
        ws,
        scope.agent,
        scope.user,
        key,
      ).changes > 0
    );
  }
}
