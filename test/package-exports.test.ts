import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const PKG = JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8")) as {
  name: string;
  bin: Record<string, string>;
};

describe("the published package", () => {
  it("is published as cairn-runtime (the npm name `cairn` is another project's); the command stays `cairn`", () => {
    expect(PKG.name).toBe("cairn-runtime");
    expect(Object.keys(PKG.bin)).toEqual(["cairn"]);
  });

  it("resolves `cairn-runtime` to the built entry point with the public names DESIGN.md fixes", async () => {
    // Self-reference through package.json "exports", as a user's `import … from "cairn-runtime"` does.
    const cairn = (await import("cairn-runtime")) as Record<string, unknown>;
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
