import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("cairn-runtime/testing under node's own test runner", () => {
  it("runs docs/examples/testing/workflows.node-test.ts (a one-day sleep, an approval) with node --test", () => {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "--test", "--test-reporter=tap", "docs/examples/testing/workflows.node-test.ts"],
      { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
    );
    expect(child.status, child.stdout + child.stderr).toBe(0);
    expect(child.stdout).toMatch(/^# pass 2$/m);
    expect(child.stdout).toMatch(/^# fail 0$/m);
    expect(child.stdout).toContain("ok 1 - reminds a day later");
    expect(child.stdout).toContain("ok 2 - pays a large refund once approved");
  });
});
