import { dirname, resolve } from "node:path";
import type { Agent } from "../agent/agent.js";
import { approvalWebhook } from "../agent/approval-webhook.js";
import { loadAgentProfile } from "../agent/profile.js";
import { Engine } from "../engine/engine.js";
import { ConfigError } from "../shared/errors.js";
import { stderrLogger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import { DEFAULT_STORE, openJournalAsync } from "../store/open-journal.js";
import type { Parsed } from "./args.js";
import type { CairnConfig } from "./define-config.js";
import { DEMO_AGENT, posterAgent } from "./demo/poster-agent.js";
import { findConfig, loadConfig } from "./load-config.js";

export interface CliContext {
  config: CairnConfig;
  configPath: string | undefined;
  storeUrl: string;
  journal: Journal;
  engine: Engine;
  /** Every agent the engine runs, by name: the config's, its profiles', their sub-agents, the demo. */
  agents: Map<string, Agent>;
  workspace: string;
  json: boolean;
  close(): Promise<void>;
}

/** Loads config, opens the store and builds an engine, as the flags and environment say. */
export async function openContext(args: Parsed): Promise<CliContext> {
  const cwd = process.cwd();
  const configPath = findConfig(cwd, args.values.config as string | undefined);
  const config = configPath ? await loadConfig(configPath) : {};
  const agents = collectAgents(config, configPath ? dirname(configPath) : cwd);
  const storeUrl =
    (args.values.store as string | undefined) ?? process.env.CAIRN_STORE ?? config.store ?? DEFAULT_STORE;
  const journal = await openJournalAsync(
    storeUrl,
    config.storeConnections ? { pool: { max: config.storeConnections } } : {},
  );
  const workspace = config.workspace ?? "default";
  const engine = new Engine({
    journal,
    workflows: [
      ...(config.workflows ?? []),
      ...[...agents.values()].map((a) => a.workflow),
      ...(config.approvals?.webhook ? [approvalWebhook(config.approvals.webhook)] : []),
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
    agents,
    workspace,
    json: args.values.json === true,
    close: () => journal.close(),
  };
}

/**
 * The config's agents and profiles, with their sub-agents. The built-in demo agent is always
 * there, so `cairn worker` can finish a demo run anywhere.
 */
function collectAgents(config: CairnConfig, base: string): Map<string, Agent> {
  const found = new Map<string, Agent>();
  const add = (a: Agent) => {
    const seen = found.get(a.name);
    if (seen === a) return;
    if (seen !== undefined)
      throw new ConfigError(`two different agents are named "${a.name}"; agent names must be unique`);
    found.set(a.name, a);
    for (const sub of Object.values(a.options.agents ?? {})) add(sub);
  };
  for (const a of config.agents ?? []) add(a);
  for (const p of config.profiles ?? []) add(loadAgentProfile(resolve(base, p), config.tools ?? {}));
  if (!found.has(DEMO_AGENT)) add(posterAgent());
  return found;
}
