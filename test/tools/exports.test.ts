/** The names docs/credentials.md uses are the package's. */
import { describe, expect, it } from "vitest";
import * as cairn from "../../src/index.js";

describe("credential and tool exports", () => {
  it("exports what docs/credentials.md imports from cairn-runtime", () => {
    for (const name of [
      "httpTool",
      "mcpServer",
      "oauthProvider",
      "connectProvider",
      "closeMcpSessions",
      "tool",
      "agent",
    ])
      expect(typeof (cairn as Record<string, unknown>)[name], name).toBe("function");
  });
});
