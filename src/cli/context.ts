import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CairnError, ConfigError, StoreError } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import { DEFAULT_STORE, StoreUrlError, openJournalAsync } from "../store/open-journal.js";
import { redactUrl } from "../shared/redact-url.js";
import type { Parsed } from "./args.js";
import type { CairnConfig } from "./define-config.js";
import { findConfig, loadConfig } from "./load-config.js";

/** The config and the store: all that the listing commands need. */
export interface StoreContext {
  config: CairnConfig;
  configPath: string | undefined;
  storeUrl: string;
  journal: Journal;
  workspace: string;
  json: boolean;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * The command only reads: a SQLite store that does not exist is not created. Where it would be
   * (the default store of a new project, or a file in a folder that exists) it reads as empty;
   * a file in a folder that does not exist is a mistyped path, refused with a StoreError.
   */
  readOnly?: boolean;
}

/** Where the store URL came from, as a person wrote it: named in errors about it. */
type StoreSource = "--store" | "CAIRN_STORE" | "config" | "default";

/** Loads the config and opens the store, as the flags and environment say. */
export async function openStore(args: Parsed, options: OpenStoreOptions = {}): Promise<StoreContext> {
  const cwd = process.cwd();
  const configPath = findConfig(cwd, args.string("config"));
  const config = configPath ? await loadConfig(configPath) : {};
  const [storeUrl, source]: [string, StoreSource] =
    args.string("store") !== undefined
      ? [args.string("store")!, "--store"]
      : process.env.CAIRN_STORE !== undefined
        ? [process.env.CAIRN_STORE, "CAIRN_STORE"]
        : config.store !== undefined
          ? [config.store, "config"]
          : [DEFAULT_STORE, "default"];
  const label = source === "config" ? "the config's store" : source;
  const absent = options.readOnly ? absentSqliteStore(storeUrl, source, label) : false;
  const journal = await openStoreAt(absent ? "sqlite::memory:" : storeUrl, config, label);
  return {
    config,
    configPath,
    storeUrl,
    journal,
    workspace: config.workspace ?? "default",
    json: args.flag("json"),
    close: () => journal.close(),
  };
}

/**
 * True when `url` names a SQLite file that does not exist but may be created there later: a
 * reading command then reads an empty store instead of creating one. Throws a StoreError when
 * the file's folder does not exist either (a mistyped path), unless it is the default store.
 */
function absentSqliteStore(url: string, source: StoreSource, label: string): boolean {
  if (!url.startsWith("sqlite:")) return false;
  const path = url.slice("sqlite:".length).split("?", 1)[0]!;
  // No file named, or a malformed one: opening it says what is wrong.
  if (path === "" || path === ":memory:" || path.startsWith("//")) return false;
  if (existsSync(path)) return false;
  const folder = dirname(resolve(path));
  if (source === "default" || existsSync(folder)) return true;
  throw new StoreError(
    `no store at ${resolve(path)}: the folder ${folder} does not exist; check ${label}, or run a workflow (cairn run NAME) to create the store there`,
  );
}

async function openStoreAt(url: string, config: CairnConfig, label: string): Promise<Journal> {
  try {
    return await openJournalAsync(
      url,
      config.storeConnections ? { pool: { max: config.storeConnections } } : {},
    );
  } catch (cause) {
    const message = (cause as Error)?.message ?? String(cause);
    // A malformed URL: named after where it came from.
    if (cause instanceof StoreUrlError) throw new ConfigError(`${label} ${cause.detail}`, { cause });
    const readOnly = /permission|readonly|read-only|EACCES|EROFS|EPERM/i.test(message);
    if (CairnError.is(cause) && !readOnly) throw cause;
    // A folder that cannot be made or a file that cannot be written: say where, and what to do.
    const what = CairnError.is(cause) ? message : `cannot open the store ${redactUrl(url)}: ${message}`;
    const todo = readOnly
      ? "make it writable for this user, or choose another store"
      : "choose a folder this user can create and write";
    throw new StoreError(`${what}; ${todo} with --store URL or CAIRN_STORE`, { cause });
  }
}
