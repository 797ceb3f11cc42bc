import type { z as Zod } from "zod";
import type { ApprovalPredicate, Tool } from "../../agent/tool.js";
import { tool } from "../../agent/tool.js";
import type { ListedTool, ToolListing } from "../../agent/tool-source.js";
import { listingHash } from "../../agent/tool-source.js";
import { ErrorCode, InputError, NonRetriableError } from "../../shared/errors.js";
import { listTools, withSession } from "./mcp-connection.js";
import type { McpServerOptions } from "./mcp-server.js";

interface McpToolSettings {
  z: typeof Zod;
  needsApproval: boolean | ApprovalPredicate<Record<string, unknown>>;
  retries: number;
  allowed: ReadonlySet<string>;
}

/**
 * One MCP tool as an agent tool. Each call is a step like any other; before it, the server's
 * allowed tools are listed again and compared with the run's start: a server whose tools changed
 * under the run (added, removed, redescribed) gets no call, and the model is told why.
 */
export function mcpTool(
  server: McpServerOptions,
  listed: ListedTool,
  listing: ToolListing,
  settings: McpToolSettings,
): Tool<Record<string, unknown>, unknown> {
  return tool<Record<string, unknown>, unknown>({
    description: listed.description || `${listed.name} (MCP server ${server.name})`,
    input: inputSchema(settings.z, listed),
    needsApproval: settings.needsApproval,
    retries: settings.retries,
    ...(server.credentials !== undefined ? { credentials: server.credentials } : {}),
    execute: (args, ctx) =>
      withSession(server, ctx.fetch, async (client) => {
        const now = (await listTools(client)).filter((t) => settings.allowed.has(t.name));
        const hash = listingHash(now);
        if (hash !== listing.hash) {
          throw new InputError(
            ErrorCode.McpServer,
            `MCP server ${server.name} changed its tools since this run started (${describeChange(listing.tools, now)}; ` +
              `tool list hash ${listing.hash.slice(0, 12)} then, ${hash.slice(0, 12)} now). The call was not made; ` +
              "a new run will use the new tools",
          );
        }
        const result = await client.callTool({ name: listed.name, arguments: args }, undefined, {
          signal: ctx.signal,
        });
        const text = (result.content as { type: string; text?: string }[] | undefined)
          ?.map((c) => (c.type === "text" ? (c.text ?? "") : `[${c.type}]`))
          .join("\n");
        if (result.isError === true) throw new NonRetriableError(text || `${listed.name} failed`);
        return result.structuredContent ?? text ?? null;
      }),
  });
}

function inputSchema(z: typeof Zod, listed: ListedTool): Zod.ZodType<Record<string, unknown>> {
  try {
    return z.fromJSONSchema(listed.inputSchema) as Zod.ZodType<Record<string, unknown>>;
  } catch {
    // A schema zod cannot read: accept any object, and let the server check it.
    return z.record(z.string(), z.unknown());
  }
}

function describeChange(before: ListedTool[], after: ListedTool[]): string {
  const b = new Map(before.map((t) => [t.name, JSON.stringify(t)]));
  const a = new Map(after.map((t) => [t.name, JSON.stringify(t)]));
  const added = [...a.keys()].filter((n) => !b.has(n));
  const removed = [...b.keys()].filter((n) => !a.has(n));
  const changed = [...a.keys()].filter((n) => b.has(n) && b.get(n) !== a.get(n));
  const parts = [
    added.length ? `added ${added.join(", ")}` : "",
    removed.length ? `removed ${removed.join(", ")}` : "",
    changed.length ? `changed ${changed.join(", ")}` : "",
  ].filter((p) => p !== "");
  return parts.join("; ") || "its tools differ";
}
