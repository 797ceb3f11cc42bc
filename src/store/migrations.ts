/**
 * Numbered, append-only schema migrations. Each record holds the SQL of every dialect so the
 * schemas stay in step; never edit a shipped migration, add the next one.
 */
export interface Migration {
  id: number;
  name: string;
  sqlite: readonly string[];
  /**
   * The same schema for PostgreSQL: times in ms since the epoch as BIGINT, payloads as TEXT
   * (never jsonb, so their bytes round-trip exactly), blobs as BYTEA, flags as 0/1 integers as in
   * SQLite so both stores share their row mapping.
   */
  pg: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "journal",
    sqlite: [
      `CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      )`,
      `INSERT INTO workspaces (id, created_at) VALUES ('default', CAST(unixepoch('subsec') * 1000 AS INTEGER))`,
      `CREATE TABLE blobs (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (workspace, hash)
      )`,
      `CREATE TABLE runs (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        workflow TEXT NOT NULL,
        status TEXT NOT NULL,
        format INTEGER NOT NULL DEFAULT 1,
        input_json TEXT,
        input_blob TEXT,
        input_bytes INTEGER NOT NULL DEFAULT 0,
        output_json TEXT,
        output_blob TEXT,
        error_json TEXT,
        parent_run_id TEXT,
        parent_step_id TEXT,
        idempotency_key TEXT,
        concurrency_key TEXT,
        concurrency_limit INTEGER,
        singleton_key TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        wake_at INTEGER,
        lease_owner TEXT,
        lease_epoch INTEGER NOT NULL DEFAULT 0,
        lease_expires_at INTEGER,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        PRIMARY KEY (workspace, id)
      )`,
      `CREATE UNIQUE INDEX runs_idempotency ON runs (workspace, workflow, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX runs_runnable ON runs (workspace, wake_at) WHERE status IN ('queued', 'waiting')`,
      `CREATE INDEX runs_leased ON runs (workspace, lease_expires_at) WHERE status = 'running'`,
      `CREATE INDEX runs_by_status ON runs (workspace, status, created_at)`,
      `CREATE INDEX runs_by_created ON runs (workspace, created_at)`,
      `CREATE INDEX runs_by_parent ON runs (workspace, parent_run_id) WHERE parent_run_id IS NOT NULL`,
      `CREATE INDEX runs_singleton ON runs (workspace, workflow, singleton_key) WHERE singleton_key IS NOT NULL`,
      `CREATE INDEX runs_concurrency ON runs (workspace, concurrency_key) WHERE concurrency_key IS NOT NULL AND status = 'running'`,
      `CREATE TABLE steps (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        output_json TEXT,
        output_blob TEXT,
        output_bytes INTEGER NOT NULL DEFAULT 0,
        error_json TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        retry_at INTEGER,
        side_effect INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace, run_id, step_id)
      ) WITHOUT ROWID`,
      `CREATE TABLE step_attempts (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER NOT NULL,
        error_json TEXT,
        outcome TEXT NOT NULL,
        PRIMARY KEY (workspace, run_id, step_id, attempt)
      )`,
      `CREATE TABLE waits (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_name TEXT,
        match_json TEXT,
        child_run_id TEXT,
        due_at INTEGER,
        resolved_at INTEGER,
        event_id TEXT,
        settled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace, run_id, step_id)
      )`,
      `CREATE INDEX waits_by_event ON waits (workspace, event_name) WHERE resolved_at IS NULL AND event_name IS NOT NULL`,
      `CREATE INDEX waits_by_child ON waits (workspace, child_run_id) WHERE child_run_id IS NOT NULL`,
      `CREATE TABLE events (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        data_json TEXT,
        data_blob TEXT,
        at INTEGER NOT NULL,
        PRIMARY KEY (workspace, id)
      )`,
      `CREATE INDEX events_by_name ON events (workspace, name, at)`,
      // Keyed by run so a step's log line lands beside the run's others: one page per commit.
      `CREATE TABLE entries (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        step_id TEXT,
        at INTEGER NOT NULL,
        data_json TEXT NOT NULL,
        PRIMARY KEY (workspace, run_id, seq)
      ) WITHOUT ROWID`,
    ],
    pg: [
      `CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL
      )`,
      `INSERT INTO workspaces (id, created_at) VALUES ('default', floor(extract(epoch FROM now()) * 1000)::bigint)`,
      `CREATE TABLE blobs (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        hash TEXT NOT NULL,
        size BIGINT NOT NULL,
        data BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (workspace, hash)
      )`,
      `CREATE TABLE runs (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        workflow TEXT NOT NULL,
        status TEXT NOT NULL,
        format INTEGER NOT NULL DEFAULT 1,
        input_json TEXT,
        input_blob TEXT,
        input_bytes BIGINT NOT NULL DEFAULT 0,
        output_json TEXT,
        output_blob TEXT,
        error_json TEXT,
        parent_run_id TEXT,
        parent_step_id TEXT,
        idempotency_key TEXT,
        concurrency_key TEXT,
        concurrency_limit INTEGER,
        singleton_key TEXT,
        attempt INTEGER NOT NULL DEFAULT 1,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        started_at BIGINT,
        ended_at BIGINT,
        wake_at BIGINT,
        lease_owner TEXT,
        lease_epoch BIGINT NOT NULL DEFAULT 0,
        lease_expires_at BIGINT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        stored_bytes BIGINT NOT NULL DEFAULT 0,
        reason TEXT,
        PRIMARY KEY (workspace, id)
      )`,
      `CREATE UNIQUE INDEX runs_idempotency ON runs (workspace, workflow, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX runs_runnable ON runs (workspace, wake_at) WHERE status IN ('queued', 'waiting')`,
      `CREATE INDEX runs_leased ON runs (workspace, lease_expires_at) WHERE status = 'running'`,
      // Claims take over the runs of owners known to be dead without scanning the running ones.
      `CREATE INDEX runs_lease_owner ON runs (workspace, lease_owner) WHERE status = 'running'`,
      `CREATE INDEX runs_by_status ON runs (workspace, status, created_at)`,
      `CREATE INDEX runs_by_created ON runs (workspace, created_at)`,
      `CREATE INDEX runs_by_parent ON runs (workspace, parent_run_id) WHERE parent_run_id IS NOT NULL`,
      `CREATE INDEX runs_singleton ON runs (workspace, workflow, singleton_key) WHERE singleton_key IS NOT NULL`,
      `CREATE INDEX runs_concurrency ON runs (workspace, concurrency_key) WHERE concurrency_key IS NOT NULL AND status = 'running'`,
      `CREATE TABLE steps (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        output_json TEXT,
        output_blob TEXT,
        output_bytes BIGINT NOT NULL DEFAULT 0,
        error_json TEXT,
        started_at BIGINT NOT NULL,
        ended_at BIGINT,
        retry_at BIGINT,
        side_effect INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace, run_id, step_id)
      )`,
      `CREATE TABLE step_attempts (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        ended_at BIGINT NOT NULL,
        error_json TEXT,
        outcome TEXT NOT NULL,
        PRIMARY KEY (workspace, run_id, step_id, attempt)
      )`,
      `CREATE TABLE waits (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_name TEXT,
        match_json TEXT,
        child_run_id TEXT,
        due_at BIGINT,
        resolved_at BIGINT,
        event_id TEXT,
        settled INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace, run_id, step_id)
      )`,
      `CREATE INDEX waits_by_event ON waits (workspace, event_name) WHERE resolved_at IS NULL AND event_name IS NOT NULL`,
      `CREATE INDEX waits_by_child ON waits (workspace, child_run_id) WHERE child_run_id IS NOT NULL`,
      `CREATE TABLE events (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        data_json TEXT,
        data_blob TEXT,
        at BIGINT NOT NULL,
        PRIMARY KEY (workspace, id)
      )`,
      `CREATE INDEX events_by_name ON events (workspace, name, at)`,
      `CREATE INDEX events_by_at ON events (workspace, at)`,
      `CREATE TABLE entries (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        step_id TEXT,
        at BIGINT NOT NULL,
        data_json TEXT NOT NULL,
        PRIMARY KEY (workspace, run_id, seq)
      )`,
      // Each run's last log seq: bumping it locks the counter row, so concurrent writers to one
      // run's log (a step commit and an event waking the run) take distinct seqs.
      `CREATE TABLE entry_seqs (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (workspace, run_id)
      )`,
    ],
  },
  {
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
  },
  {
    id: 3,
    name: "approvals",
    sqlite: [
      `CREATE TABLE approvals (
        workspace TEXT NOT NULL,
        id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        batch_id TEXT,
        status TEXT NOT NULL,
        title TEXT NOT NULL,
        request_json TEXT NOT NULL,
        args_hash TEXT,
        approvers_json TEXT,
        created_at INTEGER NOT NULL,
        due_at INTEGER,
        timeout_json TEXT,
        escalations INTEGER NOT NULL DEFAULT 0,
        decided_at INTEGER,
        decided_by TEXT,
        reason TEXT,
        edited_args_json TEXT,
        PRIMARY KEY (workspace, id)
      ) WITHOUT ROWID`,
      `CREATE INDEX approvals_by_status ON approvals (workspace, status, created_at)`,
      `CREATE INDEX approvals_by_run ON approvals (workspace, run_id)`,
      `ALTER TABLE waits ADD COLUMN approval_id TEXT`,
    ],
    pg: [
      `CREATE TABLE approvals (
        workspace TEXT NOT NULL,
        id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        batch_id TEXT,
        status TEXT NOT NULL,
        title TEXT NOT NULL,
        request_json TEXT NOT NULL,
        args_hash TEXT,
        approvers_json TEXT,
        created_at BIGINT NOT NULL,
        due_at BIGINT,
        timeout_json TEXT,
        escalations INTEGER NOT NULL DEFAULT 0,
        decided_at BIGINT,
        decided_by TEXT,
        reason TEXT,
        edited_args_json TEXT,
        PRIMARY KEY (workspace, id)
      )`,
      `CREATE INDEX approvals_by_status ON approvals (workspace, status, created_at)`,
      `CREATE INDEX approvals_by_run ON approvals (workspace, run_id)`,
      `ALTER TABLE waits ADD COLUMN approval_id TEXT`,
      `CREATE INDEX waits_by_approval ON waits (workspace, approval_id) WHERE approval_id IS NOT NULL`,
    ],
  },
  {
    id: 4,
    name: "runnable notifications",
    // One SQLite file has one process writing at a time: a worker there polls.
    sqlite: [],
    // Every change that gives a queued or waiting run a wake time (a new run, a timer, an event or
    // a decision, a released lease) tells the workers listening on the channel; the payload is
    // the workspace, so one transaction that wakes many runs sends one notification.
    pg: [
      `CREATE FUNCTION cairn_notify_runnable() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('cairn_runnable', NEW.workspace);
         RETURN NULL;
       END $$`,
      `CREATE TRIGGER runs_notify_runnable AFTER INSERT OR UPDATE OF wake_at ON runs FOR EACH ROW
         WHEN (NEW.wake_at IS NOT NULL AND NEW.status IN ('queued', 'waiting'))
         EXECUTE FUNCTION cairn_notify_runnable()`,
    ],
  },
  {
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
  },
  {
    id: 6,
    name: "workspace snapshots",
    sqlite: [
      // Files and folders of run workspaces (and skill folders), content-addressed: a blob is a
      // file's bytes by their sha-256, a tree a folder's sorted entries. Kept apart from payload
      // blobs so each has its own garbage collection.
      `CREATE TABLE workspace_objects (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        hash TEXT NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (workspace, hash)
      )`,
      // Which snapshot a run's step left behind (kind "files"), or which skills a run started with
      // ("skills"); seq orders a run's pins, newest last.
      `CREATE TABLE workspace_pins (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        step_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        root TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (workspace, run_id, kind, step_id)
      )`,
      `CREATE INDEX workspace_pins_by_seq ON workspace_pins (workspace, run_id, kind, seq)`,
    ],
    pg: [
      `CREATE TABLE workspace_objects (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        hash TEXT NOT NULL,
        kind TEXT NOT NULL,
        size BIGINT NOT NULL,
        data BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (workspace, hash)
      )`,
      `CREATE TABLE workspace_pins (
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        step_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        root TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (workspace, run_id, kind, step_id)
      )`,
      `CREATE INDEX workspace_pins_by_seq ON workspace_pins (workspace, run_id, kind, seq)`,
    ],
  },
  {
    id: 7,
    name: "run hand-backs and lease lengths",
    // hand_backs: hand-backs in a row without progress (a run that keeps being stopped backs
    // off). lease_ttl_ms: a longer lease the run needs (a step that starved a shorter one).
    sqlite: [
      `ALTER TABLE runs ADD COLUMN hand_backs INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE runs ADD COLUMN lease_ttl_ms INTEGER`,
    ],
    pg: [
      `ALTER TABLE runs ADD COLUMN hand_backs INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE runs ADD COLUMN lease_ttl_ms BIGINT`,
    ],
  },
  {
    id: 8,
    name: "forks and retention",
    // A fork names the run and step it was made from; retention finds ended runs by their end.
    sqlite: [
      `ALTER TABLE runs ADD COLUMN forked_from_run TEXT`,
      `ALTER TABLE runs ADD COLUMN forked_from_step TEXT`,
      `CREATE INDEX runs_by_end ON runs (workspace, status, ended_at) WHERE ended_at IS NOT NULL`,
    ],
    pg: [
      `ALTER TABLE runs ADD COLUMN forked_from_run TEXT`,
      `ALTER TABLE runs ADD COLUMN forked_from_step TEXT`,
      `CREATE INDEX runs_by_end ON runs (workspace, status, ended_at) WHERE ended_at IS NOT NULL`,
    ],
  },
  {
    id: 9,
    name: "run versions",
    // The version of the code a run started on: a hash of its workflow's definition, or the
    // version its author set. A worker claims a run with a set version only if it has that version.
    sqlite: [`ALTER TABLE runs ADD COLUMN version TEXT`],
    pg: [`ALTER TABLE runs ADD COLUMN version TEXT`],
  },
  {
    id: 10,
    name: "vault secrets",
    // Values are sealed by envelope encryption before they reach the store (src/store/vault.ts):
    // the columns hold base64 ciphertext and wrapped keys only. user_id '' is workspace-wide.
    sqlite: [
      `CREATE TABLE secrets (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        wrapped_key TEXT NOT NULL,
        key_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace, user_id, name)
      )`,
    ],
    pg: [
      `CREATE TABLE secrets (
        workspace TEXT NOT NULL REFERENCES workspaces(id),
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        wrapped_key TEXT NOT NULL,
        key_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (workspace, user_id, name)
      )`,
    ],
  },
];
