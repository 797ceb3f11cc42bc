import type { Statement } from "better-sqlite3";
import type { ApiKeyRecord, NewApiKey } from "../service-records.js";
import type { ApiKeyRow } from "../service-rows.js";
import { toApiKey } from "../service-rows.js";

/** API keys on the SQLite journal: stored by hash, each in its workspace. */
export class SqliteApiKeys {
  constructor(private readonly sql: (text: string) => Statement) {}

  create(key: NewApiKey, now: number): ApiKeyRecord {
    this.sql("INSERT INTO workspaces (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING").run(
      key.workspace,
      now,
    );
    this.sql(
      `INSERT INTO api_keys (workspace, id, name, principal, hash, prefix, scopes_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      key.workspace,
      key.id,
      key.name,
      key.principal,
      key.hash,
      key.prefix,
      JSON.stringify(key.scopes),
      now,
    );
    return this.get(key.workspace, key.id)!;
  }

  get(workspace: string, id: string): ApiKeyRecord | undefined {
    const row = this.sql("SELECT * FROM api_keys WHERE workspace = ? AND id = ?").get(workspace, id) as
      ApiKeyRow | undefined;
    return row && toApiKey(row);
  }

  find(hash: string): ApiKeyRecord | undefined {
    const row = this.sql("SELECT * FROM api_keys WHERE hash = ?").get(hash) as ApiKeyRow | undefined;
    return row && toApiKey(row);
  }

  list(workspace: string): ApiKeyRecord[] {
    return (
      this.sql("SELECT * FROM api_keys WHERE workspace = ? ORDER BY created_at, id").all(
        workspace,
      ) as ApiKeyRow[]
    ).map(toApiKey);
  }

  revoke(workspace: string, id: string, now: number): ApiKeyRecord | undefined {
    this.sql("UPDATE api_keys SET revoked_at = ? WHERE workspace = ? AND id = ? AND revoked_at IS NULL").run(
      now,
      workspace,
      id,
    );
    return this.get(workspace, id);
  }

  any(): boolean {
    return this.sql("SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1").get() !== undefined;
  }
}
