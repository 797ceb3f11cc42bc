import type { CairnConfig } from "./define-config.js";
import { Engine } from "../engine/engine.js";
import type { Workflow } from "../engine/workflow.js";
import { stderrLogger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import { DEFAULT_STORE, openJournal } from "../store/open-journal.js";
import type { Parsed } from "./args.js";
import { findConfig, loadConfig, missingConfig } from "./load-config.js";

export interface CliContext {
  config: CairnConfig;
  configPath: string | undefined;
  storeUrl: string;
  journal: Journal;
  engine: Engine;
  workspace: string;
  json: boolean;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** The verb cannot work without a config (run, worker). */
  requireConfig?: boolean;
  /** Workflows to use instead of the config's (the demo). */
  workflows?: Workflow[];
}

/** Loads config, opens the store and builds an engine, as the flags and environment say. */
export async function openContext(args: Parsed, options: ContextOptions = {}): Promise<CliContext> {
  const cwd = process.cwd();
  const configPath = options.workflows
    ? undefined
    : findConfig(cwd, args.values.config as string | undefined);
  if (configPath === undefined && options.requireConfig) throw missingConfig(cwd);
  const config = configPath ? await loadConfig(configPath) : {};
  const storeUrl =
    (args.values.store as string | undefined) ?? process.env.CAIRN_STORE ?? config.store ?? DEFAULT_STORE;
  const journal = openJournal(storeUrl);
  const workspace = config.workspace ?? "default";
  const engine = new Engine({
    journal,
    workflows: options.workflows ?? [
      ...(config.workflows ?? []),
      ...(config.agents ?? []).map((a) => a.workflow),
    ],
    workspace,
    logger: stderrLogger(process.env.CAIRN_LOG_LEVEL === "debug" ? "debug" : "warn"),
    ...(config.leaseTtlMs ? { leaseTtlMs: config.leaseTtlMs } : {}),
    ...(config.maxPayloadBytes ? { maxPayloadBytes: config.maxPayloadBytes } : {}),
    ...(config.runStorageBudgetBytes ? { runStorageBudgetBytes: config.runStorageBudgetBytes } : {}),
  });
  return {
    config,
    configPath,
    storeUrl,
    journal,
    engine,
    workspace,
    json: args.values.json === true,
    close: () => journal.close(),
  };
}
