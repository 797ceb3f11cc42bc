import type { Migration } from "../migrations.js";

export const m006: Migration = {
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
};
