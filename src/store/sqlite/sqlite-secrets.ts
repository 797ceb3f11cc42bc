import type { Statement } from "better-sqlite3";
import type { Clock } from "../../shared/clock.js";
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

/** Sealed secrets on the SQLite journal; each write one transaction (`tx`). */
export class SqliteSecrets implements SecretRows {
  constructor(
    private readonly sql: (text: string) => Statement,
    private readonly clock: Clock,
    private readonly tx: <T>(fn: () => T) => Promise<T>,
    private readonly read: <T>(fn: () => T) => Promise<T>,
  ) {}

  put(s: NewSealedSecret): Promise<SecretInfo> {
    return this.tx(() => {
      const now = this.clock.now();
      this.sql("INSERT INTO workspaces (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING").run(
        s.workspace,
        now,
      );
      this.sql(
        `INSERT INTO secrets (workspace, user_id, name, kind, ciphertext, wrapped_key, key_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (workspace, user_id, name) DO UPDATE SET kind = excluded.kind,
           ciphertext = excluded.ciphertext, wrapped_key = excluded.wrapped_key,
           key_id = excluded.key_id, updated_at = excluded.updated_at`,
      ).run(s.workspace, userColumn(s.user), s.name, s.kind, s.ciphertext, s.wrappedKey, s.keyId, now, now);
      return toSecretInfo(this.row(s)!);
    });
  }

  get(scope: SecretScope): Promise<SealedSecretRow | undefined> {
    return this.read(() => {
      const row = this.row(scope);
      return row && toSealedSecret(row);
    });
  }

  list(workspace: string, filter: { user?: string | null } = {}): Promise<SecretInfo[]> {
    return this.read(() => {
      const rows = (
        filter.user === undefined
          ? this.sql("SELECT * FROM secrets WHERE workspace = ? ORDER BY user_id, name").all(workspace)
          : this.sql("SELECT * FROM secrets WHERE workspace = ? AND user_id = ? ORDER BY name").all(
              workspace,
              userColumn(filter.user),
            )
      ) as SecretRow[];
      return rows.map(toSecretInfo);
    });
  }

  remove(scope: SecretScope): Promise<boolean> {
    return this.tx(
      () =>
        this.sql("DELETE FROM secrets WHERE workspace = ? AND user_id = ? AND name = ?").run(
          scope.workspace,
          userColumn(scope.user),
          scope.name,
        ).changes > 0,
    );
  }

  all(): Promise<SealedSecretRow[]> {
    return this.read(() =>
      (this.sql("SELECT * FROM secrets ORDER BY workspace, user_id, name").all() as SecretRow[]).map(
        toSealedSecret,
      ),
    );
  }

  rewrap(keys: RewrappedKey[], fromKeyId: string): Promise<number> {
    return this.tx(() => {
      const now = this.clock.now();
      let changed = 0;
      for (const k of keys) {
        changed += this.sql(
          `UPDATE secrets SET wrapped_key = ?, key_id = ?, updated_at = ?
           WHERE workspace = ? AND user_id = ? AND name = ? AND key_id = ?`,
        ).run(k.wrappedKey, k.keyId, now, k.workspace, userColumn(k.user), k.name, fromKeyId).changes;
      }
      return changed;
    });
  }

  private row(scope: SecretScope): SecretRow | undefined {
    return this.sql("SELECT * FROM secrets WHERE workspace = ? AND user_id = ? AND name = ?").get(
      scope.workspace,
      userColumn(scope.user),
      scope.name,
    ) as SecretRow | undefined;
  }
}
