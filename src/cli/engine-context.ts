import { dirname, resolve } from "node:path";
import type { Agent } from "../agent/agent.js";
import { agent } from "../agent/agent.js";
import { Engine } from "../engine/engine.js";
import { ConfigError } from "../shared/errors.js";
import { stderrLogger } from "../shared/logger.js";
import type { Parsed } from "./args.js";
import type { StoreContext } from "./context.js";
import { openStore } from "./context.js";
import type { CairnConfig } from "./define-config.js";
import { DEMO_AGENT } from "./demo/demo-name.js";

/** The store and an engine that runs the config's workflows and agents: for commands that act. */
export interface CliContext extends StoreContext {
  engine: Engine;
  /** Every agent the engine runs, by name: the config's, its profiles', their sub-agents, the demo. */
  agents: Map<string, Agent>;
}

/** Loads config, opens the store and builds an engine, as the flags and environment say. */
export async function openContext(args: Parsed): Promise<CliContext> {
  const store = await openStore(args);
  try {
    const { config, configPath } = store;
    const agents = await collectAgents(config, configPath ? dirname(configPath) : process.cwd());
    const webhook = config.approvals?.webhook;
    const engine = new Engine({
      journal: store.journal,
      workflows: [
        ...(config.workflows ?? []),
        ...[...agents.values()].map((a) => a.workflow),
        ...(webhook ? [(await import("../agent/approval-webhook.js")).approvalWebhook(webhook)] : []),
      ],
      workspace: store.workspace,
      logger: stderrLogger(process.env.CAIRN_LOG_LEVEL === "debug" ? "debug" : "warn"),
      ...(config.leaseTtlMs ? { leaseTtlMs: config.leaseTtlMs } : {}),
      ...(config.maxPayloadBytes ? { maxPayloadBytes: config.maxPayloadBytes } : {}),
      ...(config.runStorageBudgetBytes ? { runStorageBudgetBytes: config.runStorageBudgetBytes } : {}),
    });
    // Traced over OTLP when an endpoint is set; nothing is loaded otherwise.
    const tracing =
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        ? await (await import("../telemetry/start-tracing.js")).startTracing(engine, { agents })
        : undefined;
    return {
      ...store,
      engine,
      agents,
      close: async () => {
        await tracing?.shutdown();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * The config's agents and profiles, with their sub-agents. The built-in demo agent is always
 * there, so `cairn worker` can finish a demo run anywhere.
 */
async function collectAgents(config: CairnConfig, base: string): Promise<Map<string, Agent>> {
  const found = new Map<string, Agent>();
  const add = (a: Agent) => {
    const seen = found.get(a.name);
    if (seen === a) return;
    if (seen !== undefined)
      throw new ConfigError(`two different agents are named "${a.name}"; agent names must be unique`);
    found.set(a.name, a);
    for (const sub of Object.values(a.options.agents ?? {})) add(sub);
  };
  const priced = withPrices(config.prices);
  for (const a of config.agents ?? []) add(priced(a));
  if (config.profiles?.length) {
    // YAML and zod load only for a config that declares agents as data.
    const { loadAgentProfile } = await import("../agent/profile.js");
    const builtins = (await import("../tools/profile-tools.js")).workspaceBuiltins(base);
    const servers = Object.fromEntries((config.mcp ?? []).map((s) => [s.name, s]));
    for (const p of config.profiles)
      add(priced(loadAgentProfile(resolve(base, p), config.tools ?? {}, builtins, servers)));
  }
  if (!found.has(DEMO_AGENT)) add((await import("./demo/poster-agent.js")).posterAgent());
  return found;
}

/**
 * The config's `prices` under each agent's own (which win), sub-agents included. An agent is
 * defined once in the user's code, so it is defined again with the merged table; one shared
 * sub-agent stays one agent.
 */
function withPrices(prices: CairnConfig["prices"]): (a: Agent) => Agent {
  if (prices === undefined || Object.keys(prices).length === 0) return (a) => a;
  const done = new Map<Agent, Agent>();
  const priced = (a: Agent): Agent => {
    let out = done.get(a);
    if (out === undefined) {
      const subs = a.options.agents;
      out = agent({
        ...a.options,
        prices: { ...prices, ...a.options.prices },
        ...(subs ? { agents: Object.fromEntries(Object.entries(subs).map(([k, s]) => [k, priced(s)])) } : {}),
      });
      done.set(a, out);
    }
    return out;
  };
  return priced;
}
