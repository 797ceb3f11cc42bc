import { describe, expect, it } from "vitest";

describe("the published package", () => {
  it("resolves `cairn` to the built entry point with the public names DESIGN.md fixes", async () => {
    // Self-reference through package.json "exports", as a user's `import … from "cairn"` does.
    const cairn = (await import("cairn")) as Record<string, unknown>;
    for (const name of [
      "defineConfig",
      "workflow",
      "agent",
      "tool",
      "NonRetriableError",
      "RetryAfterError",
      "CairnError",
      "Engine",
      "Worker",
      "openJournal",
      "SqliteJournal",
      "ManualClock",
      "sendToAgent",
      "decideApproval",
      "scriptedModel",
      "approvalWebhook",
      "loadAgentProfile",
    ]) {
      expect(typeof cairn[name], name).toBe("function");
    }
  });
});
