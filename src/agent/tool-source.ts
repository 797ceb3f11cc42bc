import type { Step } from "../engine/step.js";
import { hashJson } from "../shared/canonical-hash.js";
import { ConfigError } from "../shared/errors.js";
import type { AgentOptions } from "./agent.js";
import type { CredentialSpec } from "./credentials.js";
import type { RunScope } from "./loop-state.js";
import type { Tool, ToolContext } from "./tool.js";
import { tool } from "./tool.js";
import { callTool } from "./tool-call-scope.js";

const SOURCE = Symbol.for("cairn.tool-source");

/** One tool a source offers, as listed at a run's start (plain JSON, kept in the journal). */
export interface ListedTool {
  name: string;
  description: string;
  /** JSON Schema of its arguments. */
  inputSchema: Record<string, unknown>;
}

/** A source's tools at a run's start, and their hash: a later listing that differs is detected. */
export interface ToolListing {
  tools: ListedTool[];
  hash: string;
}

/**
 * Tools that come from elsewhere at run time (an MCP server): listed once when a run starts, in a
 * step, so a resumed run sees the same tools and can tell when the source changed them.
 */
export interface ToolSource {
  readonly [SOURCE]: true;
  /** Names the listing step (`mcp.<name>`). */
  readonly name: string;
  /** Some of its tools need a person's approval (which checkpoint "turn" cannot wait for). */
  readonly gated?: boolean;
  /** Credentials its requests may carry (through the proxy, as `ctx.fetch`). */
  readonly credentials?: Record<string, CredentialSpec>;
  /** The tools offered now. */
  list(ctx: ToolContext): Promise<ListedTool[]>;
  /** The agent tools made from a listing, by the names the model sees. */
  tools(listing: ToolListing): Record<string, Tool>;
}

export function toolSource(source: Omit<ToolSource, typeof SOURCE>): ToolSource {
  return Object.freeze({ ...source, [SOURCE]: true as const });
}

export function isToolSource(value: unknown): value is ToolSource {
  return typeof value === "object" && value !== null && SOURCE in value;
}

/** The hash a listing is recorded with (order of the tools does not matter). */
export function listingHash(tools: ListedTool[]): string {
  return hashJson([...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}

export function checkToolSources(sources: unknown, where: string): void {
  if (sources === undefined) return;
  if (!Array.isArray(sources) || sources.some((s) => !isToolSource(s)))
    throw new ConfigError(`${where}: mcp must be a list of mcpServer(...).tools({ allow: [...] }) values`);
}

/**
 * Lists each source's tools in a step of its own (`mcp.<name>`), so the listing and its hash
 * are in the journal and a replay sees the tools the run started with.
 */
export async function sourceTools(
  options: AgentOptions,
  step: Step,
  run: RunScope,
): Promise<Record<string, Tool>> {
  const out: Record<string, Tool> = {};
  for (const source of options.mcp ?? []) {
    const lister = tool({
      description: `lists ${source.name}`,
      input: { safeParse: (v: unknown) => ({ success: true, data: v }) } as never,
      ...(source.credentials !== undefined ? { credentials: source.credentials } : {}),
      execute: async (_args, ctx) => {
        const tools = await source.list(ctx);
        return { tools, hash: listingHash(tools) };
      },
    });
    const listing = (await step.run(`mcp.${source.name}`, (ctx) => callTool(options, run, lister, {}, ctx), {
      retries: 3,
    })) as ToolListing;
    for (const [name, t] of Object.entries(source.tools(listing))) {
      if (run.tools[name] !== undefined || out[name] !== undefined)
        throw new ConfigError(
          `agent "${options.name}": two tools are named "${name}" (${source.name} offers one)`,
        );
      out[name] = t;
    }
  }
  return out;
}
