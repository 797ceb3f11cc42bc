import { describe, expect, it } from "vitest";
import { Project } from "./project.js";

describe("the package name in a user's config", () => {
  it('a config importing from "cairn-runtime" loads', async () => {
    const p = new Project(`import { defineConfig, workflow } from "cairn-runtime";
const hello = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));
export default defineConfig({ workflows: [hello] });
`);
    const r = await p.run(["run", "hello"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("completed");
  }, 30_000);

  it('a config importing from "cairn" is told the package is cairn-runtime, in one line', async () => {
    const p = new Project(`import { defineConfig } from "cairn";
export default defineConfig({});
`);
    const r = await p.run(["runs", "ls"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('import from "cairn-runtime"');
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  }, 30_000);
});
