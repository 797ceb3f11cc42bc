import type { Migration } from "../migrations.js";

export const m002: Migration = {
  id: 2,
  name: "agent sessions and memory",
  sqlite: [
    // A session's conversation, message by message; each run appends its part once.
    `CREATE TABLE session_messages (
      workspace TEXT NOT NULL,
      agent TEXT NOT NULL,
      session TEXT NOT NULL,
      seq INTEGER NOT NULL,
      run_id TEXT NOT NULL,
      message_json TEXT NOT NULL,
      at INTEGER NOT NULL,
      PRIMARY KEY (workspace, agent, session, seq)
    ) WITHOUT ROWID`,
    `CREATE INDEX session_messages_by_run ON session_messages (workspace, agent, session, run_id)`,
    // Messages that arrived while a run of the session was in flight ("steer").
    `CREATE TABLE session_inbox (
      workspace TEXT NOT NULL,
      agent TEXT NOT NULL,
      session TEXT NOT NULL,
      id TEXT NOT NULL,
      message_json TEXT NOT NULL,
      at INTEGER NOT NULL,
      taken_by_run TEXT,
      taken_by_step TEXT,
      PRIMARY KEY (workspace, agent, session, id)
    ) WITHOUT ROWID`,
    `CREATE TABLE memories (
      workspace TEXT NOT NULL,
      agent TEXT NOT NULL,
      user_id TEXT NOT NULL,
      key TEXT NOT NULL,
      text TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (workspace, agent, user_id, key)
    ) WITHOUT ROWID`,
  ],
  pg: [
    `CREATE TABLE session_messages (
      workspace TEXT NOT NULL,
      agent TEXT NOT NULL,
      session TEXT NOT NULL,
      seq INTEGER NOT NULL,
      run_id TEXT NOT NULL,
      message_json TEXT NOT NULL,
      at BIGINT NOT NULL,
      PRIMARY KEY (workspace, agent, session, seq)
    )`,
    `CREATE INDEX session_messages_by_run ON session_messages (workspace, agent, session, run_id)`,
    `CREATE TABLE session_inbox (
      workspace TEXT NOT NULL,
      agent TEXT NOT NULL,
      session TEXT NOT NULL,
      id TEXT NOT NULL,
      message_json TEXT NOT NULL,
      at BIGINT NOT NULL,
      taken_by_run TEXT,
      taken_by_step TEXT,
      PRIMARY KEY (workspace, agent, session, id)
    )`,
    `CREATE TABLE memories (
      workspace TEXT NOT NULL,
      agent TEXT NOT NULL,
      user_id TEXT NOT NULL,
      key TEXT NOT NULL,
      text TEXT NOT NULL,
      updated_at BIGINT NOT NULL,
      PRIMARY KEY (workspace, agent, user_id, key)
    )`,
  ],
};
