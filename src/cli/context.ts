import { CairnError, StoreError } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import { DEFAULT_STORE, openJournalAsync } from "../store/open-journal.js";
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

/** Loads the config and opens the store, as the flags and environment say. */
export async function openStore(args: Parsed): Promise<StoreContext> {
  const cwd = process.cwd();
  const configPath = findConfig(cwd, args.string("config"));
  const config = configPath ? await loadConfig(configPath) : {};
  const storeUrl = args.string("store") ?? process.env.CAIRN_STORE ?? config.store ?? DEFAULT_STORE;
  const journal = await openStoreAt(storeUrl, config);
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

async function openStoreAt(url: string, config: CairnConfig): Promise<Journal> {
  try {
    return await openJournalAsync(
      url,
      config.storeConnections ? { pool: { max: config.storeConnections } } : {},
    );
  } catch (cause) {
    const message = (cause as Error)?.message ?? String(cause);
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
