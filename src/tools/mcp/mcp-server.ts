import { MCP_SERVER_BRAND } from "../../shared/brands.js";
import type { z as Zod } from "zod";
import type { CredentialSpec } from "../../agent/credentials.js";
import type { ApprovalPredicate, Tool } from "../../agent/tool.js";
import type { ToolSource } from "../../agent/tool-source.js";
import { toolSource } from "../../agent/tool-source.js";
import { ConfigError } from "../../shared/errors.js";
import { requireLazily } from "../../shared/require-lazily.js";
import { mcpTool } from "./mcp-tool.js";
import { listTools, withSession } from "./mcp-connection.js";

/** An MCP server: a command started over stdio, or a Streamable HTTP endpoint. */
export interface McpServerOptions {
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  /** For an HTTP server: credentials from the vault, sent by the proxy to their hosts only. */
  credentials?: Record<string, CredentialSpec>;
}

/** Which of a server's tools an agent gets, and which of them wait for a person. */
export interface McpToolPolicy {
  /** The server's tool names the agent may call; any other tool it offers is not shown. */
  allow: string[];
  /** Tools that need approval (all calls, or those a predicate picks). */
  approval?: string[] | Record<string, boolean | ApprovalPredicate<Record<string, unknown>>>;
  /** What the agent's tool names start with (default the server's name): `<prefix>_<tool>`. */
  prefix?: string;
  /** Retries of a failing call (default 2). */
  retries?: number;
}

const SERVER = MCP_SERVER_BRAND;

export interface McpServer {
  readonly [SERVER]: true;
  readonly name: string;
  readonly options: McpServerOptions;
  /** The server's allowed tools, as agent tools: give the result to `agent({ mcp: [...] })`. */
  tools(policy: McpToolPolicy): ToolSource;
}

/**
 * Declares an MCP server whose tools agents may use. Nothing starts or connects until a run
 * lists its tools; the MCP SDK is loaded then too.
 *
 * @example
 * const files = mcpServer({ name: "files", command: "node", args: ["files-server.js"] });
 * agent({ ..., mcp: [files.tools({ allow: ["read", "write"], approval: ["write"] })] });
 */
export function mcpServer(options: McpServerOptions): McpServer {
  const where = `mcpServer(${JSON.stringify(options?.name)})`;
  if (typeof options?.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(options.name))
    throw new ConfigError(`${where}: name must be letters, digits, "_" or "-" (up to 32)`);
  if ((options.command === undefined) === (options.url === undefined))
    throw new ConfigError(`${where}: give either command (stdio) or url (Streamable HTTP)`);
  if (options.url !== undefined) {
    try {
      new URL(options.url);
    } catch {
      throw new ConfigError(`${where}: url ${JSON.stringify(options.url)} is not a URL`);
    }
  }
  if (options.credentials !== undefined && options.url === undefined)
    throw new ConfigError(`${where}: credentials go with an HTTP server (url); a stdio server gets env`);
  const server = Object.freeze({ ...options });
  return Object.freeze({
    [SERVER]: true as const,
    name: server.name,
    options: server,
    tools: (policy: McpToolPolicy) => serverTools(server, policy, where),
  });
}

export function isMcpServer(value: unknown): value is McpServer {
  return typeof value === "object" && value !== null && SERVER in value;
}

function serverTools(server: McpServerOptions, policy: McpToolPolicy, where: string): ToolSource {
  if (!Array.isArray(policy?.allow) || policy.allow.some((n) => typeof n !== "string"))
    throw new ConfigError(
      `${where}.tools(): allow must list the tools the agent may call, e.g. { allow: ["search"] }`,
    );
  const allowed = new Set(policy.allow);
  const approval = Array.isArray(policy.approval)
    ? Object.fromEntries(policy.approval.map((n) => [n, true]))
    : (policy.approval ?? {});
  for (const name of Object.keys(approval)) {
    if (!allowed.has(name))
      throw new ConfigError(`${where}.tools(): approval names ${name}, which allow does not`);
  }
  const prefix = policy.prefix ?? server.name;
  return toolSource({
    name: server.name,
    gated: Object.values(approval).some((v) => v !== false),
    ...(server.credentials !== undefined ? { credentials: server.credentials } : {}),
    list: async (ctx) =>
      (await withSession(server, ctx.fetch, (client) => listTools(client))).filter((t) =>
        allowed.has(t.name),
      ),
    tools: (listing) => {
      // zod loads with the first MCP listing, not with the package.
      const { z } = requireLazily<{ z: typeof Zod }>("zod");
      const out: Record<string, Tool> = {};
      for (const listed of listing.tools) {
        const name = `${prefix}_${listed.name}`.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64);
        out[name] = mcpTool(server, listed, listing, {
          z,
          needsApproval: approval[listed.name] ?? false,
          retries: policy.retries ?? 2,
          allowed,
        });
      }
      return out;
    },
  });
}
