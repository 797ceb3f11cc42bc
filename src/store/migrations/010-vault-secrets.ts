import type { Migration } from "../migrations.js";

export const m010: Migration = {
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
};
