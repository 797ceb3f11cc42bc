import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ManualClock } from "../shared/clock.js";
import { ConfigError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { redactUrl } from "../shared/redact-url.js";
import type { Journal } from "../store/journal.js";
import { SqliteJournal } from "../store/sqlite/sqlite-journal.js";

/** Where a test environment keeps its journal. */
export type TestStoreOption = "memory" | "file" | `postgres://${string}` | `postgresql://${string}`;

export interface TestStore {
  journal: Journal;
  /** Runs of this environment live in this workspace: a shared PostgreSQL database stays usable. */
  workspace: string;
  /** A `sqlite:` or `postgres://` URL of the store, for the CLI (`cairn runs show`, `check-replay`). */
  url: string;
  close(): Promise<void>;
}

/**
 * Opens a test's store on the test's clock: SQLite in memory (default), SQLite in a temporary file
 * (removed on close), or a PostgreSQL database, where each environment gets its own workspace so
 * tests sharing one database never see each other's runs.
 */
export async function openTestStore(store: TestStoreOption, clock: ManualClock): Promise<TestStore> {
  if (store === "memory") {
    const journal = new SqliteJournal({ path: ":memory:", clock, synchronous: "normal" });
    return { journal, workspace: "default", url: "sqlite::memory:", close: () => journal.close() };
  }
  if (store === "file") {
    const dir = mkdtempSync(join(tmpdir(), "cairn-testenv-"));
    const path = join(dir, "cairn.db");
    const journal = new SqliteJournal({ path, clock, synchronous: "normal" });
    return {
      journal,
      workspace: "default",
      url: `sqlite:${path}`,
      close: async () => {
        await journal.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (typeof store === "string" && /^postgres(ql)?:\/\//.test(store)) {
    const { PostgresJournal } = await import("../store/postgres/postgres-journal.js");
    const journal = await PostgresJournal.open({ url: store, clock, max: 4 });
    return {
      journal,
      workspace: newId("test").replace(/[^A-Za-z0-9_]/g, "_"),
      url: store,
      close: () => journal.close(),
    };
  }
  throw new ConfigError(
    `createTestEnv: store ${JSON.stringify(typeof store === "string" ? redactUrl(store) : store)} is not one of ` +
      `"memory" (default), "file" or a postgres:// URL`,
  );
}
