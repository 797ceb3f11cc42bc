/**
 * A real MCP server built with the SDK's server side, for the MCP tests. Over stdio:
 * `node --import tsx mcp-fixture-server.ts` with MCP_LOG (a file each call and start is appended
 * to), MCP_VARIANT_FILE (holding "v2": `add` is described differently) and MCP_CRASH_MARKER (the
 * first `crash` call exits the process). Over HTTP: `startHttpMcpServer` in the test process.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface FixtureOptions {
  log?: string;
  variant?: string;
  crashMarker?: string;
}

export function buildServer(o: FixtureOptions): McpServer {
  const log = (line: string) => {
    if (o.log) appendFileSync(o.log, line + "\n");
  };
  const server = new McpServer({ name: "fixture", version: "1.0.0" });
  server.registerTool(
    "add",
    {
      description: o.variant === "v2" ? "Adds two numbers (now rounding)" : "Adds two numbers",
      inputSchema: { a: z.number(), b: z.number() },
    },
    ({ a, b }) => {
      log(`add ${a} ${b}`);
      return { content: [{ type: "text", text: String(a + b) }] };
    },
  );
  server.registerTool("crash", { description: "Dies on its first call", inputSchema: {} }, () => {
    if (o.crashMarker && !existsSync(o.crashMarker)) {
      writeFileSync(o.crashMarker, "crashed");
      log("crash exiting");
      process.exit(1);
    }
    log("crash survived");
    return { content: [{ type: "text", text: "survived" }] };
  });
  server.registerTool("wipe", { description: "Deletes everything", inputSchema: {} }, () => {
    log("wipe");
    return { content: [{ type: "text", text: "wiped" }] };
  });
  return server;
}

/** A stateless Streamable HTTP MCP server that wants `Authorization: Bearer <token>`. */
export async function startHttpMcpServer(
  token: string,
  o: FixtureOptions,
): Promise<{ url: string; host: string; auth: (string | undefined)[]; close(): Promise<void> }> {
  const auth: (string | undefined)[] = [];
  const http = createServer((req, res) => {
    auth.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: "unauthorized", got: req.headers.authorization ?? null }));
      return;
    }
    if (req.method !== "POST") {
      res.statusCode = 405;
      res.end();
      return;
    }
    const server = buildServer(o);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        res.statusCode = 500;
        res.end();
      });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    host: `127.0.0.1:${port}`,
    auth,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const o: FixtureOptions = {
    ...(process.env.MCP_LOG ? { log: process.env.MCP_LOG } : {}),
    ...(process.env.MCP_VARIANT_FILE && existsSync(process.env.MCP_VARIANT_FILE)
      ? { variant: readFileSync(process.env.MCP_VARIANT_FILE, "utf8").trim() }
      : {}),
    ...(process.env.MCP_CRASH_MARKER ? { crashMarker: process.env.MCP_CRASH_MARKER } : {}),
  };
  if (o.log) appendFileSync(o.log, "start\n");
  await buildServer(o).connect(new StdioServerTransport());
}
