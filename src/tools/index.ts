/** The built-in tools; each is a `tool()` like any user's. Heavy dependencies load on first use. */
export { httpTool } from "./http/http-tool.js";
export type { HttpToolOptions, HttpRequest, HttpResponse, HttpMethod } from "./http/http-tool.js";
export { mcpServer, isMcpServer } from "./mcp/mcp-server.js";
export type { McpServer, McpServerOptions, McpToolPolicy } from "./mcp/mcp-server.js";
export { closeMcpSessions } from "./mcp/mcp-connection.js";
export { connectProvider } from "./http/oauth-connect.js";
export type { ConnectOptions } from "./http/oauth-connect.js";
