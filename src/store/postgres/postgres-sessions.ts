import { newId } from "../../shared/ids.js";
import type { EncodedPayload } from "../../shared/payload.js";
import { decodePayload } from "../../shared/payload.js";
import type { SessionRange } from "../lifecycle-records.js";
import type { MemoryRecord, MemoryScope, SessionMessage } from "../records.js";
import { ACTIVE_SQL } from "../lifecycle-sql.js";
import { closedMark } from "../service-rows.js";
import type { Sql } from "./database.js";
import { LockSpace } from "./database.js";

/**
 * Agent sessions (a conversation that outlives runs), their inbox, and agent memory, on the
 * PostgreSQL journal. The journal delegates to this inside its transactions (`now` is theirs).
 */
export class PgSessions {
  async load(
    sql: Sql,
    ws: string,
    agent: string,
    session: string,
    range: SessionRange = {},
  ): Promise<SessionMessage[]> {
    // The newest `last` up to `upTo`, then put back in order.
    const rows = (
      await sql.rows<{ seq: number; run_id: string; message_json: string; at: number }>(
        `SELECT seq, run_id, message_json, at FROM session_messages
         WHERE workspace = $1 AND agent = $2 AND session = $3 AND seq <= $4 ORDER BY seq DESC LIMIT $5`,
        [ws, agent, session, range.upTo ?? 2_147_483_647, range.last ?? null],
      )
    ).reverse();
    return rows.map((r) => ({
      seq: r.seq,
      runId: r.run_id,
      message: decodePayload(r.message_json, `session "${session}" of agent ${agent}, message ${r.seq}`),
      at: r.at,
    }));
  }

  async head(sql: Sql, ws: string, agent: string, session: string): Promise<number> {
    const row = await sql.one<{ seq: number | null }>(`SELECT ${SESSION_HEAD} AS seq`, [ws, agent, session]);
    return row?.seq ?? 0;
  }

  async append(
    sql: Sql,
    ws: string,
    agent: string,
    session: string,
    runId: string,
    messages: EncodedPayload[],
    now: number,
  ): Promise<void> {
    // One appender per session at a time: two runs appending at once would take the same seqs.
    await sql.rows(
      "SELECT pg_advisory_xact_lock($1, hashtext($2::text || '/' || $3::text || '/' || $4::text))",
      [LockSpace.Session, ws, agent, session],
    );
    // What this run appended before is skipped: a step saving again gives the same list.
    const saved = await sql.one<{ n: string }>(
      "SELECT COUNT(*) AS n FROM session_messages WHERE workspace = $1 AND agent = $2 AND session = $3 AND run_id = $4",
      [ws, agent, session, runId],
    );
    const texts = messages
      .flatMap((m) => (m.text === undefined ? [] : [m.text]))
      .slice(Number(saved?.n ?? 0));
    if (texts.length === 0) return;
    await sql.run(
      `INSERT INTO session_messages (workspace, agent, session, seq, run_id, message_json, at)
       SELECT $1, $2, $3, COALESCE(${SESSION_HEAD}, 0) + m.n, $4, m.text, $5::bigint
       FROM unnest($6::text[]) WITH ORDINALITY AS m(text, n)`,
      [ws, agent, session, runId, now, texts],
    );
  }

  async pushInbox(
    sql: Sql,
    ws: string,
    agent: string,
    session: string,
    message: EncodedPayload,
    runId: string,
    now: number,
  ): Promise<string | undefined> {
    // Only a run still in flight that has not closed its inbox takes it. The share lock orders
    // this with a closing take, which locks the run's row before it looks at the inbox.
    const live = await sql.one(
      `SELECT 1 FROM runs WHERE workspace = $1 AND id = $2
       AND status IN ${ACTIVE_SQL} FOR SHARE`,
      [ws, runId],
    );
    if (live === undefined) return undefined;
    const closed = await sql.one(
      "SELECT 1 FROM session_inbox WHERE workspace = $1 AND agent = $2 AND session = $3 AND id = $4",
      [ws, agent, session, closedMark(runId)],
    );
    if (closed !== undefined) return undefined;
    const id = newId("msg");
    await sql.run(
      "INSERT INTO session_inbox (workspace, agent, session, id, message_json, at) VALUES ($1, $2, $3, $4, $5, $6)",
      [ws, agent, session, id, message.text ?? "null", now],
    );
    return id;
  }

  async takeInbox(
    sql: Sql,
    ws: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
    seal: boolean,
    now: number,
  ): Promise<unknown[]> {
    // Closing locks the run first, so a message pushed at the same time is taken here or refused.
    if (seal) await sql.run("SELECT 1 FROM runs WHERE workspace = $1 AND id = $2 FOR UPDATE", [ws, runId]);
    await sql.run(
      `UPDATE session_inbox SET taken_by_run = $1, taken_by_step = $2
       WHERE workspace = $3 AND agent = $4 AND session = $5 AND taken_by_run IS NULL`,
      [runId, stepId, ws, agent, session],
    );
    const rows = await sql.rows<{ id: string; message_json: string }>(
      `SELECT id, message_json FROM session_inbox
       WHERE workspace = $1 AND agent = $2 AND session = $3 AND taken_by_run = $4 AND taken_by_step = $5
       ORDER BY at, id COLLATE "C"`,
      [ws, agent, session, runId, stepId],
    );
    if (seal && rows.length === 0) {
      // The mark is taken by the run itself, at no step: no take or step ever returns it.
      await sql.run(
        `INSERT INTO session_inbox (workspace, agent, session, id, message_json, at, taken_by_run, taken_by_step)
         VALUES ($1, $2, $3, $4, 'null', $5, $6, '') ON CONFLICT DO NOTHING`,
        [ws, agent, session, closedMark(runId), now, runId],
      );
    }
    return rows.map((r) => decodePayload(r.message_json, `inbox message ${r.id} of session "${session}"`));
  }

  async saveMemory(
    sql: Sql,
    ws: string,
    scope: MemoryScope,
    key: string,
    text: string,
    now: number,
  ): Promise<void> {
    await sql.run(
      `INSERT INTO memories (workspace, agent, user_id, key, text, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace, agent, user_id, key) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`,
      [ws, scope.agent, scope.user, key, text, now],
    );
  }

  async recallMemory(
    sql: Sql,
    ws: string,
    scope: MemoryScope,
    query: string,
    limit: number,
  ): Promise<MemoryRecord[]> {
    // ILIKE: SQLite's LIKE ignores ASCII case, and recall behaves the same on both stores.
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await sql.rows<{ key: string; text: string; updated_at: number }>(
      `SELECT key, text, updated_at FROM memories WHERE workspace = $1 AND agent = $2 AND user_id = $3
         AND (key ILIKE $4 ESCAPE '\\' OR text ILIKE $4 ESCAPE '\\') ORDER BY updated_at DESC, key COLLATE "C" LIMIT $5`,
      [ws, scope.agent, scope.user, like, limit],
    );
    return rows.map((r) => ({ key: r.key, text: r.text, updatedAt: r.updated_at }));
  }

  async forgetMemory(sql: Sql, ws: string, scope: MemoryScope, key: string): Promise<boolean> {
    return (
      (await sql.run(
        "DELETE FROM memories WHERE workspace = $1 AND agent = $2 AND user_id = $3 AND key = $4",
        [ws, scope.agent, scope.user, key],
      )) > 0
    );
  }
}

/**
 * A session's last message number ($1 workspace, $2 agent, $3 session), as the first row of a
 * backward index scan rather than MAX(), whose generic plan made on a small table scans them all.
 */
export const SESSION_HEAD = `(SELECT seq FROM session_messages WHERE workspace = $1 AND agent = $2 AND session = $3
    ORDER BY seq DESC LIMIT 1)`;
