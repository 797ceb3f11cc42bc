import { ConfigError } from "../shared/errors.js";
import type { Journal } from "./journal.js";
import type { PgPool } from "./postgres/database.js";
import { PostgresWorkspaceStore } from "./postgres/postgres-workspace-store.js";
import type { SqliteDatabase } from "./sqlite/database.js";
import { SqliteWorkspaceStore } from "./sqlite/sqlite-workspace-store.js";
import type { WorkspaceStore } from "./workspace-store.js";

const stores = new WeakMap<Journal, WorkspaceStore>();

/**
 * The workspace store in the same database as `journal` (one per journal). Throws ConfigError
 * for a journal that is neither Cairn's SQLite nor its PostgreSQL journal.
 */
export function workspaceStoreOf(journal: Journal): WorkspaceStore {
  let store = stores.get(journal);
  if (store !== undefined) return store;
  const database = (journal as { database?: unknown }).database;
  if (database === undefined) {
    throw new ConfigError(
      "run workspaces need Cairn's SQLite or PostgreSQL journal (their snapshots live in its database)",
    );
  }
  store =
    journal.dialect === "sqlite"
      ? new SqliteWorkspaceStore(database as SqliteDatabase)
      : new PostgresWorkspaceStore(database as PgPool, "the PostgreSQL store");
  stores.set(journal, store);
  return store;
}
