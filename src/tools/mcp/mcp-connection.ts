import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ListedTool } from "../../agent/tool-source.js";
import { CairnError, ErrorCode } from "../../shared/errors.js";
import type { McpServerOptions } from "./mcp-server.js";

/** A live session with an MCP server, and how to end it. */
export interface McpSession {
  client: Client;
  close(): Promise<void>;
}

/** Connected stdio servers, one process each per Cairn process; a dead one is dropped and restarted. */
const stdioSessions = new Map<string, Promise<McpSession>>();

/**
 * A session with the server. A stdio server is started once and kept (restarted when its process
 * ends); a Streamable HTTP server gets a session per use, through `fetch` (the run's credential
 * proxy), so each user's credentials stay with their own calls. The SDK loads here, on first use.
 */
export async function withSession<T>(
  server: McpServerOptions,
  fetchFn: typeof fetch,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  if (server.url !== undefined) {
    const session = await connectHttp(server, fetchFn);
    try {
      return await use(session.client);
    } finally {
      await session.close().catch(() => undefined);
    }
  }
  const key = JSON.stringify([server.name, server.command, server.args ?? [], server.cwd ?? null]);
  let pending = stdioSessions.get(key);
  if (pending === undefined) {
    pending = connectStdio(server, () => stdioSessions.delete(key));
    stdioSessions.set(key, pending);
    pending.catch(() => stdioSessions.delete(key));
  }
  return use((await pending).client);
}

/** Ends every stdio server this process started (for tests and shutdown). */
export async function closeMcpSessions(): Promise<void> {
  const all = [...stdioSessions.values()];
  stdioSessions.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
}

export async function listTools(client: Client): Promise<ListedTool[]> {
  const out: ListedTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor !== undefined ? { cursor } : {});
    for (const t of page.tools) {
      out.push({
        name: t.name,
        description: t.description ?? "",
        inputSchema: t.inputSchema,
      });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

async function newClient(): Promise<Client> {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  return new Client({ name: "cairn", version: "1" }, { capabilities: {} });
}

async function connectStdio(server: McpServerOptions, onGone: () => void): Promise<McpSession> {
  const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
  const transport = new StdioClientTransport({
    command: server.command!,
    args: server.args ?? [],
    ...(server.env !== undefined ? { env: { ...stringEnv(), ...server.env } } : {}),
    ...(server.cwd !== undefined ? { cwd: server.cwd } : {}),
    stderr: "ignore",
  });
  const client = await newClient();
  // The process ended (crashed, killed): the next call starts it again.
  client.onclose = onGone;
  try {
    await client.connect(transport);
  } catch (err) {
    onGone();
    throw unreachable(server, err);
  }
  return { client, close: () => client.close() };
}

async function connectHttp(server: McpServerOptions, fetchFn: typeof fetch): Promise<McpSession> {
  const { StreamableHTTPClientTransport } =
    await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const transport = new StreamableHTTPClientTransport(new URL(server.url!), { fetch: fetchFn });
  const client = await newClient();
  try {
    await client.connect(transport);
  } catch (err) {
    throw unreachable(server, err);
  }
  return { client, close: () => client.close() };
}

/** Retriable: a server that is down now may be up at the step's next attempt. */
function unreachable(server: McpServerOptions, err: unknown): CairnError {
  return new CairnError(
    ErrorCode.McpServer,
    `MCP server ${server.name} could not be reached: ${(err as Error)?.message ?? String(err)}`,
  );
}

function stringEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}
