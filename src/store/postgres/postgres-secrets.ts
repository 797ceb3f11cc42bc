import type {
  NewSealedSecret,
  RewrappedKey,
  SealedSecretRow,
  SecretInfo,
  SecretRow,
  SecretRows,
  SecretScope,
} from "../secret-records.js";
import { toSealedSecret, toSecretInfo, userColumn } from "../secret-records.js";
import type { Sql } from "./database.js";
import type { PgTransactions } from "./transactions.js";

/** Sealed secrets on the PostgreSQL journal; each call one transaction. */
export class PgSecrets implements SecretRows {
  constructor(private readonly db: PgTransactions) {}

  put(s: NewSealedSecret): Promise<SecretInfo> {
    return this.db.tx(async (t) => {
      await t.sql.run("INSERT INTO workspaces (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", [
        s.workspace,
        t.now,
      ]);
      const row = await t.sql.one<SecretRow>(
        `INSERT INTO secrets (workspace, user_id, name, kind, ciphertext, wrapped_key, key_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (workspace, user_id, name) DO UPDATE SET kind = excluded.kind,
           ciphertext = excluded.ciphertext, wrapped_key = excluded.wrapped_key,
           key_id = excluded.key_id, updated_at = excluded.updated_at
         RETURNING *`,
        [s.workspace, userColumn(s.user), s.name, s.kind, s.ciphertext, s.wrappedKey, s.keyId, t.now],
      );
      return toSecretInfo(row!);
    });
  }

  get(scope: SecretScope): Promise<SealedSecretRow | undefined> {
    return this.db.read(async (sql) => {
      const row = await this.row(sql, scope);
      return row && toSealedSecret(row);
    });
  }

  list(workspace: string, filter: { user?: string | null } = {}): Promise<SecretInfo[]> {
    return this.db.read(async (sql) => {
      const rows =
        filter.user === undefined
          ? await sql.rows<SecretRow>(
              `SELECT * FROM secrets WHERE workspace = $1 ORDER BY user_id COLLATE "C", name COLLATE "C"`,
              [workspace],
            )
          : await sql.rows<SecretRow>(
              `SELECT * FROM secrets WHERE workspace = $1 AND user_id = $2 ORDER BY name COLLATE "C"`,
              [workspace, userColumn(filter.user)],
            );
      return rows.map(toSecretInfo);
    });
  }

  remove(scope: SecretScope): Promise<boolean> {
    return this.db.tx(async (t) => {
      const row = await t.sql.one(
        "DELETE FROM secrets WHERE workspace = $1 AND user_id = $2 AND name = $3 RETURNING name",
        [scope.workspace, userColumn(scope.user), scope.name],
      );
      return row !== undefined;
    });
  }

  all(): Promise<SealedSecretRow[]> {
    return this.db.read(async (sql) =>
      (
        await sql.rows<SecretRow>(
          `SELECT * FROM secrets ORDER BY workspace COLLATE "C", user_id COLLATE "C", name COLLATE "C"`,
        )
      ).map(toSealedSecret),
    );
  }

  rewrap(keys: RewrappedKey[], fromKeyId: string): Promise<number> {
    return this.db.tx(async (t) => {
      let changed = 0;
      for (const k of keys) {
        const row = await t.sql.one(
          `UPDATE secrets SET wrapped_key = $1, key_id = $2, updated_at = $3
           WHERE workspace = $4 AND user_id = $5 AND name = $6 AND key_id = $7 RETURNING name`,
          [k.wrappedKey, k.keyId, t.now, k.workspace, userColumn(k.user), k.name, fromKeyId],
        );
        if (row !== undefined) changed++;
      }
      return changed;
    });
  }

  private row(sql: Sql, scope: SecretScope): Promise<SecretRow | undefined> {
    return sql.one<SecretRow>("SELECT * FROM secrets WHERE workspace = $1 AND user_id = $2 AND name = $3", [
      scope.workspace,
      userColumn(scope.user),
      scope.name,
    ]);
  }
}
