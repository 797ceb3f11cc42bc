import type { Clock } from "../shared/clock.js";
import { ConfigError } from "../shared/errors.js";
import type { Journal } from "./journal.js";
import { SqliteJournal } from "./sqlite/sqlite-journal.js";

export const DEFAULT_STORE = "sqlite:.cairn/cairn.db";

export interface OpenJournalOptions {
  clock?: Clock;
}

/**
 * Opens the journal a store URL names: `sqlite:<path>` (add `?synchronous=normal` to trade
 * power-loss durability for speed) or, once supported, `postgres://…`.
 */
export function openJournal(
  url: string = process.env.CAIRN_STORE ?? DEFAULT_STORE,
  options: OpenJournalOptions = {},
): Journal {
  if (url.startsWith("sqlite:")) {
    const [path, query = ""] = url.slice("sqlite:".length).split("?", 2) as [string, string?];
    if (path === "") {
      throw new ConfigError(
        `CAIRN_STORE "${url}" names no file; use sqlite:<path>, e.g. sqlite:.cairn/cairn.db`,
      );
    }
    if (path.startsWith("//")) {
      // "sqlite://cairn.db" would open "/cairn.db" at the root of the file system.
      throw new ConfigError(
        `CAIRN_STORE "${url}": write sqlite:<path> without "//", e.g. sqlite:.cairn/cairn.db or sqlite:/var/lib/cairn/cairn.db`,
      );
    }
    const params = new URLSearchParams(query);
    const sync = params.get("synchronous") ?? "full";
    if (sync !== "full" && sync !== "normal") {
      throw new ConfigError(`CAIRN_STORE "${url}": synchronous must be "full" or "normal", not "${sync}"`);
    }
    for (const key of params.keys()) {
      if (key !== "synchronous") {
        throw new ConfigError(`CAIRN_STORE "${url}": unknown option "${key}" (known: synchronous)`);
      }
    }
    return new SqliteJournal({ path, synchronous: sync, ...options });
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    throw new ConfigError(
      `CAIRN_STORE "${redact(url)}": the PostgreSQL store is not available in this version yet; use sqlite:<path>`,
    );
  }
  throw new ConfigError(
    `CAIRN_STORE "${redact(url)}" is not a store URL; use sqlite:<path> (default ${DEFAULT_STORE})`,
  );
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, "//$1:***@");
}
