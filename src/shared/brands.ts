/**
 * The marks Cairn's values carry (`agent(...)`, `tool(...)`, `oauthProvider(...)`,
 * `mcpServer(...)`), here so that checking a value (the config does) does not load the module
 * that makes such values. `Symbol.for`: a value made by another copy of Cairn still passes.
 */
export const AGENT_BRAND = Symbol.for("cairn.agent");
export const TOOL_BRAND = Symbol.for("cairn.tool");
export const OAUTH_PROVIDER_BRAND = Symbol.for("cairn.oauth-provider");
export const MCP_SERVER_BRAND = Symbol.for("cairn.mcp-server");

/** Whether `value` carries `brand`. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === "object" && value !== null && brand in value;
}
