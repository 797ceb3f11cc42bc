import {
  AGENT_BRAND,
  MCP_SERVER_BRAND,
  OAUTH_PROVIDER_BRAND,
  TOOL_BRAND,
  hasBrand,
} from "../shared/brands.js";
import { ConfigError } from "../shared/errors.js";
import type { Agent } from "../agent/agent.js";
import type { ApprovalWebhookOptions } from "../agent/approval-webhook.js";
import type { Tool } from "../agent/tool.js";
import type { Price } from "../agent/usage.js";
import type { OAuthProvider } from "../agent/oauth.js";
import type { McpServer } from "../tools/mcp/mcp-server.js";
import type { RetentionPolicy } from "../engine/retention.js";
import { retentionMs } from "../engine/retention.js";
import type { Workflow } from "../engine/workflow.js";
import { isWorkflow } from "../engine/workflow.js";

/** What `cairn.config.ts` exports by default. */
export interface CairnConfig {
  workflows?: Workflow[];
  agents?: Agent[];
  /** Agents declared as data: JSON or YAML files, relative to the config file. */
  profiles?: string[];
  /** Tools that profiles may name. */
  tools?: Record<string, Tool>;
  /** Approval notifications: a signed webhook POST for every request and decision. */
  approvals?: { webhook?: ApprovalWebhookOptions };
  /** Store URL; `CAIRN_STORE` overrides it. Default `sqlite:.cairn/cairn.db`. */
  store?: string;
  /**
   * PostgreSQL: connections each process may open to the store (its pool), besides a worker's
   * one listening connection. Default 10.
   */
  storeConnections?: number;
  /** Default "default". */
  workspace?: string;
  /** Largest single payload stored, in bytes. Default 256 MiB. */
  maxPayloadBytes?: number;
  /** A run that has stored more than this gets a warning in its log. Default 1 GiB. */
  runStorageBudgetBytes?: number;
  /** Lease length for workers, ms. Default 30 000. */
  leaseTtlMs?: number;
  /**
   * Model prices, USD per million tokens, by `provider:model` (e.g. "openai:gpt-5"): for models
   * the built-in table lacks, or to override it. An agent's own `prices` win over these.
   */
  prices?: Record<string, Price>;
  /** OAuth 2 providers: what `cairn connect NAME --user U` connects, and tools' credentials use. */
  oauth?: OAuthProvider[];
  /** MCP servers (`mcpServer({...})`) that profiles name under `mcp:`. */
  mcp?: McpServer[];
  /**
   * How long workers keep ended runs, by how they ended, e.g. `{ completed: "30d", failed: "90d" }`;
   * a status left out is kept forever. Workers delete older ones (with their child runs) hourly,
   * and the payloads no run refers to any more.
   */
  retention?: RetentionPolicy;
}

/**
 * Declares a Cairn project; the default export of `cairn.config.ts`.
 *
 * @example
 * export default defineConfig({ workflows: [greet] });
 */
export function defineConfig(config: CairnConfig): CairnConfig {
  return validateConfig(config, "defineConfig()");
}

/** Checks a config object (from defineConfig or a loaded file); errors name `source`. */
export function validateConfig(config: unknown, source: string): CairnConfig {
  if (typeof config !== "object" || config === null) {
    throw new ConfigError(
      `${source}: the config must be an object (export default defineConfig({ workflows: [...] }))`,
    );
  }
  const c = config as Record<string, unknown>;
  const known = new Set([
    "workflows",
    "agents",
    "profiles",
    "tools",
    "approvals",
    "store",
    "storeConnections",
    "workspace",
    "maxPayloadBytes",
    "runStorageBudgetBytes",
    "leaseTtlMs",
    "prices",
    "oauth",
    "mcp",
    "retention",
  ]);
  for (const key of Object.keys(c)) {
    if (!known.has(key))
      throw new ConfigError(`${source}: unknown config key "${key}" (known: ${[...known].join(", ")})`);
  }
  if (c.workflows !== undefined) {
    if (!Array.isArray(c.workflows))
      throw new ConfigError(`${source}: "workflows" must be an array of workflow(...) values`);
    c.workflows.forEach((w, i) => {
      if (!isWorkflow(w))
        throw new ConfigError(
          `${source}: workflows[${i}] is not a workflow; create it with workflow(id, handler)`,
        );
    });
  }
  if (c.agents !== undefined) {
    if (!Array.isArray(c.agents))
      throw new ConfigError(`${source}: "agents" must be an array of agent(...) values`);
    c.agents.forEach((a, i) => {
      if (!hasBrand(a, AGENT_BRAND))
        throw new ConfigError(`${source}: agents[${i}] is not an agent; create it with agent({ ... })`);
    });
  }
  if (
    c.profiles !== undefined &&
    (!Array.isArray(c.profiles) || c.profiles.some((p) => typeof p !== "string"))
  ) {
    throw new ConfigError(
      `${source}: "profiles" must be an array of file paths, e.g. ["agents/writer.yaml"]`,
    );
  }
  if (c.tools !== undefined) {
    if (typeof c.tools !== "object" || c.tools === null)
      throw new ConfigError(`${source}: "tools" must be an object of tool(...) values`);
    for (const [name, t] of Object.entries(c.tools)) {
      if (!hasBrand(t, TOOL_BRAND))
        throw new ConfigError(`${source}: tools.${name} is not a tool; create it with tool({ ... })`);
    }
  }
  for (const key of ["store", "workspace"] as const) {
    if (c[key] !== undefined && typeof c[key] !== "string")
      throw new ConfigError(`${source}: "${key}" must be a string`);
  }
  for (const key of ["maxPayloadBytes", "runStorageBudgetBytes", "leaseTtlMs"] as const) {
    const v = c[key];
    if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v <= 0)) {
      throw new ConfigError(`${source}: "${key}" must be a positive number`);
    }
  }
  if (c.prices !== undefined) checkPrices(c.prices, source);
  if (
    c.oauth !== undefined &&
    (!Array.isArray(c.oauth) || c.oauth.some((p) => !hasBrand(p, OAUTH_PROVIDER_BRAND)))
  )
    throw new ConfigError(`${source}: "oauth" must be an array of oauthProvider({ ... }) values`);
  if (c.mcp !== undefined && (!Array.isArray(c.mcp) || c.mcp.some((s) => !hasBrand(s, MCP_SERVER_BRAND))))
    throw new ConfigError(`${source}: "mcp" must be an array of mcpServer({ ... }) values`);
  if (c.retention !== undefined) checkRetention(c.retention, source);
  const connections = c.storeConnections;
  if (
    connections !== undefined &&
    (typeof connections !== "number" || !Number.isInteger(connections) || connections < 1)
  ) {
    throw new ConfigError(`${source}: "storeConnections" must be a whole number >= 1`);
  }
  return c;
}

/** `prices`: { "provider:model": { input, output, cachedInput? } }, USD per million tokens. */
function checkPrices(prices: unknown, source: string): void {
  const example = `e.g. prices: { "openai:gpt-5": { input: 1.25, output: 10 } } (USD per million tokens)`;
  if (typeof prices !== "object" || prices === null || Array.isArray(prices))
    throw new ConfigError(`${source}: "prices" must be an object of model prices, ${example}`);
  for (const [model, price] of Object.entries(prices)) {
    if (!/^[^:]+:.+$/.test(model))
      throw new ConfigError(`${source}: prices["${model}"]: name the model as provider:model, ${example}`);
    if (typeof price !== "object" || price === null)
      throw new ConfigError(`${source}: prices["${model}"] must be { input, output }, ${example}`);
    const p = price as Record<string, unknown>;
    for (const key of Object.keys(p)) {
      if (!["input", "output", "cachedInput"].includes(key))
        throw new ConfigError(
          `${source}: prices["${model}"].${key} is not a price field (known: input, output, cachedInput)`,
        );
    }
    for (const key of ["input", "output", "cachedInput"]) {
      const v = p[key];
      if (
        (key !== "cachedInput" || v !== undefined) &&
        (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      )
        throw new ConfigError(
          `${source}: prices["${model}"].${key} must be a number >= 0 (USD per million tokens)`,
        );
    }
  }
}

/** `retention`: { completed?, failed?, cancelled? } durations such as "30d". */
function checkRetention(retention: unknown, source: string): void {
  const example = `e.g. retention: { completed: "30d", failed: "90d" }`;
  if (typeof retention !== "object" || retention === null || Array.isArray(retention))
    throw new ConfigError(`${source}: "retention" must be an object of durations, ${example}`);
  for (const key of Object.keys(retention)) {
    if (!["completed", "failed", "cancelled"].includes(key))
      throw new ConfigError(
        `${source}: retention.${key} is not a run status retention applies to (completed, failed, cancelled), ${example}`,
      );
  }
  try {
    retentionMs(retention);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}
