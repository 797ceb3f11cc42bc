import type { CairnConfig } from "./define-config.js";
import { Engine } from "../engine/engine.js";
import type { Workflow } from "../engine/workflow.js";
import { stderrLogger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import { DEFAULT_STORE, openJournal } from "../store/open-journal.js";
import type { Parsed } from "./args.js";
import { DEMO_AGENT, posterAgent } from "./demo/poster-agent.js";
import { findConfig, loadConfig } from "./load-config.js";

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

/** The built-in demo agent is always known, so `cairn worker` can finish a demo run anywhere. */
function withDemo(workflows: Workflow[]): Workflow[] {
  return workflows.some((w) => w.id === DEMO_AGENT) ? workflows : [...workflows, posterAgent().workflow];
}

/** Loads config, opens the store and builds an engine, as the flags and environment say. */
export async function openContext(args: Parsed): Promise<CliContext> {
  const cwd = process.cwd();
  const configPath = findConfig(cwd, args.values.config as string | undefined);
  const config = configPath ? await loadConfig(configPath) : {};
  const storeUrl =
    (args.values.store as string | undefined) ?? process.env.CAIRN_STORE ?? config.store ?? DEFAULT_STORE;
  const journal = openJournal(storeUrl);
  const workspace = config.workspace ?? "default";
  const engine = new Engine({
    journal,
    workflows: withDemo([...(config.workflows ?? []), ...(config.agents ?? []).map((a) => a.workflow)]),
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
