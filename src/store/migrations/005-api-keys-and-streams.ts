import type { Migration } from "../migrations.js";

export const m005: Migration = {
  id: 5,
  name: "api keys and streams",
  sqlite: [
    // Keys are found by their hash alone (the key names its workspace), hence the global index.
    `CREATE TABLE api_keys (
      workspace TEXT NOT NULL REFERENCES workspaces(id),
      id TEXT NOT NULL,
      name TEXT NOT NULL,
      principal TEXT NOT NULL,
      hash TEXT NOT NULL,
      prefix TEXT NOT NULL,
      scopes_json TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      PRIMARY KEY (workspace, id)
    )`,
    `CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (hash)`,
    // The workspace feed: the log entries that change what a list shows, in commit order (one
    // writer at a time, so the row id is that order).
    `CREATE TABLE feed (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      workspace TEXT NOT NULL,
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      type TEXT NOT NULL,
      step_id TEXT,
      at INTEGER NOT NULL
    )`,
    `CREATE INDEX feed_by_workspace ON feed (workspace, id)`,
    `CREATE TRIGGER entries_to_feed AFTER INSERT ON entries
       WHEN NEW.type IN ('run.created', 'run.started', 'run.waiting', 'run.retrying', 'run.needs_attention', 'run.cancel_requested', 'run.resumed', 'run.ended', 'approval.requested', 'approval.decided', 'approval.escalated', 'event.sent')
       BEGIN
         INSERT INTO feed (workspace, run_id, seq, type, step_id, at)
           VALUES (NEW.workspace, NEW.run_id, NEW.seq, NEW.type, NEW.step_id, NEW.at);
       END`,
  ],
  pg: [
    `CREATE TABLE api_keys (
      workspace TEXT NOT NULL REFERENCES workspaces(id),
      id TEXT NOT NULL,
      name TEXT NOT NULL,
      principal TEXT NOT NULL,
      hash TEXT NOT NULL,
      prefix TEXT NOT NULL,
      scopes_json TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      revoked_at BIGINT,
      PRIMARY KEY (workspace, id)
    )`,
    `CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (hash)`,
    // Ids come from a sequence, which is not commit order across transactions: readers order by
    // the writing transaction's id and read only transactions older than every running one.
    `CREATE TABLE feed (
      id BIGSERIAL,
      xid BIGINT NOT NULL,
      workspace TEXT NOT NULL,
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      type TEXT NOT NULL,
      step_id TEXT,
      at BIGINT NOT NULL,
      PRIMARY KEY (workspace, xid, id)
    )`,
    // Every log entry tells the servers streaming its run (payload: workspace TAB run id).
    `CREATE FUNCTION cairn_log_appended() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('cairn_log', NEW.workspace || chr(9) || NEW.run_id);
       IF NEW.type IN ('run.created', 'run.started', 'run.waiting', 'run.retrying', 'run.needs_attention', 'run.cancel_requested', 'run.resumed', 'run.ended', 'approval.requested', 'approval.decided', 'approval.escalated', 'event.sent') THEN
         INSERT INTO feed (xid, workspace, run_id, seq, type, step_id, at)
           VALUES (pg_current_xact_id()::text::bigint, NEW.workspace, NEW.run_id, NEW.seq, NEW.type, NEW.step_id, NEW.at);
       END IF;
       RETURN NULL;
     END $$`,
    `CREATE TRIGGER entries_appended AFTER INSERT ON entries FOR EACH ROW EXECUTE FUNCTION cairn_log_appended()`,
  ],
};
