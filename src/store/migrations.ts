import { m001 } from "./migrations/001-journal.js";
import { m002 } from "./migrations/002-agent-sessions-and-memory.js";
import { m003 } from "./migrations/003-approvals.js";
import { m004 } from "./migrations/004-runnable-notifications.js";
import { m005 } from "./migrations/005-api-keys-and-streams.js";
import { m006 } from "./migrations/006-workspace-snapshots.js";
import { m007 } from "./migrations/007-run-hand-backs-and-lease-lengths.js";
import { m008 } from "./migrations/008-forks-and-retention.js";
import { m009 } from "./migrations/009-run-versions.js";
import { m010 } from "./migrations/010-vault-secrets.js";
import { m011 } from "./migrations/011-step-ended-notices.js";
import { m012 } from "./migrations/012-feed-rows-from-the-log.js";
import { m013 } from "./migrations/013-run-log-numbers.js";

/**
 * Numbered, append-only schema migrations. Each record holds the SQL of every dialect so the
 * schemas stay in step; never edit a shipped migration, add the next one.
 */
export interface Migration {
  id: number;
  name: string;
  sqlite: readonly string[];
  /**
   * The same schema for PostgreSQL: times in ms since the epoch as BIGINT, payloads as TEXT
   * (never jsonb, so their bytes round-trip exactly), blobs as BYTEA, flags as 0/1 integers as in
   * SQLite so both stores share their row mapping.
   */
  pg: readonly string[];
}

/** Every migration, in order: the next one is added at the end, in a file of its own. */
export const MIGRATIONS: readonly Migration[] = [
  m001,
  m002,
  m003,
  m004,
  m005,
  m006,
  m007,
  m008,
  m009,
  m010,
  m011,
  m012,
  m013,
];
