import type { Clock } from "../shared/clock.js";
import { ConfigError } from "../shared/errors.js";
import type { Journal } from "./journal.js";
import type { PostgresPoolOptions } from "./postgres/database.js";
import { redactUrl } from "../shared/redact-url.js";
import { SqliteJournal } from "./sqlite/sqlite-journal.js";

export const DEFAULT_STORE = "sqlite:.cairn/cairn.db";

export interface OpenJournalOptions {
  clock?: Clock;
}

export interface OpenJournalAsyncOptions extends OpenJournalOptions {
  /** For a PostgreSQL store: pool settings (`max` connections, timeouts, `ssl`…). */
  pool?: PostgresPoolOptions;
}

/**
 * Opens the journal any store URL names: `sqlite:<path>` (see openJournal) or
 * `postgres://user:password@host:port/database` (also `postgresql://`; libpq parameters such as
 * `?sslmode=require` are understood). Connecting to PostgreSQL and bringing its schema up to
 * date are asynchronous, hence this function; the schema is migrated once however many
 * processes start at the same time.
 */
export async function openJournalAsync(
  url: string = process.env.CAIRN_STORE ?? DEFAULT_STORE,
  options: OpenJournalAsyncOptions = {},
): Promise<Journal> {
  if (isPostgresUrl(url)) {
    const { pool, ...rest } = options;
    // Loaded only for a PostgreSQL store: a SQLite user never pays for loading pg.
    const { PostgresJournal } = await import("./postgres/postgres-journal.js");
    return PostgresJournal.open({ ...pool, ...rest, url });
  }
  const { pool: _pool, ...rest } = options;
  return openJournal(url, rest);
}

/**
 * Opens the SQLite journal a store URL names: `sqlite:<path>` (add `?synchronous=normal` to
 * trade power-loss durability for speed). A `postgres://…` store opens asynchronously: use
 * openJournalAsync, which opens either.
 */
export function openJournal(
  url: string = process.env.CAIRN_STORE ?? DEFAULT_STORE,
  options: OpenJournalOptions = {},
): Journal {
  if (url.startsWith("sqlite:")) {
    const [path, query = ""] = url.slice("sqlite:".length).split("?", 2) as [string, string?];
    if (path === "") {
      throw new StoreUrlError(`"${url}" names no file; use sqlite:<path>, e.g. sqlite:.cairn/cairn.db`);
    }
    if (path.startsWith("//")) {
      // "sqlite://cairn.db" would open "/cairn.db" at the root of the file system.
      throw new StoreUrlError(
        `"${url}": write sqlite:<path> without "//", e.g. sqlite:.cairn/cairn.db or sqlite:/var/lib/cairn/cairn.db`,
      );
    }
    const params = new URLSearchParams(query);
    const sync = params.get("synchronous") ?? "full";
    if (sync !== "full" && sync !== "normal") {
      throw new StoreUrlError(`"${url}": synchronous must be "full" or "normal", not "${sync}"`);
    }
    for (const key of params.keys()) {
      if (key !== "synchronous") {
        throw new StoreUrlError(`"${url}": unknown option "${key}" (known: synchronous)`);
      }
    }
    return new SqliteJournal({ path, synchronous: sync, ...options });
  }
  if (isPostgresUrl(url)) {
    throw new StoreUrlError(
      `"${redactUrl(url)}": a PostgreSQL store is opened with openJournalAsync (connecting is asynchronous); openJournal opens sqlite:<path> only`,
    );
  }
  throw new StoreUrlError(
    `"${redactUrl(url)}" is not a store URL; use sqlite:<path> (default ${DEFAULT_STORE}) or postgres://user:password@host:port/database`,
  );
}

/**
 * A store URL that names no store Cairn opens. `detail` starts with the URL, quoted, for a
 * caller to say where it came from (the CLI: `--store`, `CAIRN_STORE`, the config's `store`).
 */
export class StoreUrlError extends ConfigError {
  constructor(readonly detail: string) {
    super(`store URL ${detail}`);
    this.name = "StoreUrlError";
  }
}

function isPostgresUrl(url: string): boolean {
  return url.startsWith("postgres://") || url.startsWith("postgresql://");
}
