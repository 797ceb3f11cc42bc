import { StoreError } from "../../shared/errors.js";
import { redactUrl } from "../../shared/redact-url.js";
import type { PgPool, PostgresPoolOptions } from "./database.js";
import { createPool, migrate } from "./database.js";
import { LOG_CHANNEL, RunnableListener } from "./listener.js";

/** What a PostgreSQL journal runs on: its pool and the two LISTEN connections. */
export interface PgConnections {
  pool: PgPool;
  /** The server, for messages: the URL with its password redacted. */
  where: string;
  /** Runs that became runnable. */
  listener: RunnableListener;
  /** Entries appended to runs' logs. */
  logListener: RunnableListener;
}

/** Connects, brings the schema up to date (once, whoever else starts at the same time) and sets up the listeners. */
export async function openPostgres(url: string, poolOptions: PostgresPoolOptions): Promise<PgConnections> {
  const where = redactUrl(url);
  const pool = createPool(url, poolOptions);
  try {
    await migrate(pool, where);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof StoreError) throw err;
    const message = (err as Error).message;
    // The URL parser stops at a "#", "?" or "/" of a password pasted as it is.
    const hint =
      message === "Invalid URL"
        ? "; characters such as # ? / @ : in the user name or password must be percent-encoded (# as %23, ? as %3F)"
        : "";
    throw new StoreError(`cannot open the PostgreSQL store at ${where}: ${message}${hint}`, { cause: err });
  }
  const config = {
    ...poolOptions,
    connectionString: url,
    application_name: "cairn-listener",
    keepAlive: true,
  };
  const listener = new RunnableListener(config);
  const logListener = new RunnableListener(
    { ...config, application_name: "cairn-log-listener" },
    LOG_CHANNEL,
  );
  return { pool, where, listener, logListener };
}
