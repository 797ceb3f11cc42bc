import type { ApiKeyRecord, NewApiKey } from "../service-records.js";
import type { ApiKeyRow } from "../service-rows.js";
import { toApiKey } from "../service-rows.js";
import type { Sql } from "./database.js";

/** API keys on the PostgreSQL journal: stored by hash, each in its workspace. */
export class PgApiKeys {
  async create(sql: Sql, key: NewApiKey, now: number): Promise<ApiKeyRecord> {
    await sql.run("INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [
      key.workspace,
      now,
    ]);
    const row = await sql.one<ApiKeyRow>(
      `INSERT INTO api_keys (workspace, id, name, principal, hash, prefix, scopes_json, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [key.workspace, key.id, key.name, key.principal, key.hash, key.prefix, JSON.stringify(key.scopes), now],
    );
    return toApiKey(row!);
  }

  async find(sql: Sql, hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await sql.one<ApiKeyRow>("SELECT * FROM api_keys WHERE hash = $1", [hash]);
    return row && toApiKey(row);
  }

  async list(sql: Sql, workspace: string): Promise<ApiKeyRecord[]> {
    const rows = await sql.rows<ApiKeyRow>(
      `SELECT * FROM api_keys WHERE workspace = $1 ORDER BY created_at, id COLLATE "C"`,
      [workspace],
    );
    return rows.map(toApiKey);
  }

  async revoke(sql: Sql, workspace: string, id: string, now: number): Promise<ApiKeyRecord | undefined> {
    await sql.run(
      "UPDATE api_keys SET revoked_at = $1 WHERE workspace = $2 AND id = $3 AND revoked_at IS NULL",
      [now, workspace, id],
    );
    const row = await sql.one<ApiKeyRow>("SELECT * FROM api_keys WHERE workspace = $1 AND id = $2", [
      workspace,
      id,
    ]);
    return row && toApiKey(row);
  }

  async any(sql: Sql): Promise<boolean> {
    return (await sql.one("SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1")) !== undefined;
  }
}
