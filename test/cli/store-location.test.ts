import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliResult } from "./project.js";
import { Project } from "./project.js";

const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";
const one = workflow("one", async ({ step }) => step.run("a", () => 1));
export default defineConfig({ workflows: [one] });
`;

/** An error a person reads: exit 1, one line on stderr, no stack trace. */
function oneLineError(r: CliResult): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe("a store URL that is not one names where it came from", () => {
  it("--store", async () => {
    const p = new Project(CONFIG);
    const line = oneLineError(await p.run(["runs", "ls", "--store", "foo:bar"]));
    expect(line).toMatch(/^cairn: --store "foo:bar" is not a store URL; use sqlite:<path>/);
  }, 30_000);

  it("the config's store", async () => {
    const p = new Project(`import { defineConfig } from "cairn-runtime";
export default defineConfig({ store: "bogus:x" });
`);
    const line = oneLineError(await p.run(["runs", "ls"], { CAIRN_STORE: undefined }));
    expect(line).toMatch(/^cairn: the config's store "bogus:x" is not a store URL; use sqlite:<path>/);
  }, 30_000);

  it("CAIRN_STORE", async () => {
    const p = new Project(CONFIG);
    const line = oneLineError(await p.run(["runs", "ls"], { CAIRN_STORE: "foo:bar" }));
    expect(line).toMatch(/^cairn: CAIRN_STORE "foo:bar" is not a store URL; use sqlite:<path>/);
  }, 30_000);
});

describe("a command that only reads never creates a store", () => {
  it("a SQLite file in a folder that does not exist is refused, naming the path; nothing is created", async () => {
    const p = new Project(CONFIG);
    const db = join(p.dir, "nonexistent/dir/x.db");
    for (const args of [
      ["runs", "ls"],
      ["runs", "show", "run_x"],
      ["approvals", "ls"],
    ]) {
      const line = oneLineError(await p.run([...args, "--store", `sqlite:${db}`]));
      expect(line).toContain(`no store at ${db}`);
      expect(line).toContain(`${join(p.dir, "nonexistent/dir")} does not exist`);
      expect(line).toContain("check --store");
      expect(existsSync(join(p.dir, "nonexistent")), `cairn ${args.join(" ")} made the folder`).toBe(false);
    }
    // A command that writes creates it, as before.
    expect((await p.run(["run", "one", "--store", `sqlite:${db}`])).code).toBe(0);
    expect(existsSync(db)).toBe(true);
    const listed = await p.run(["runs", "ls", "--store", `sqlite:${db}`]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("one");
  }, 90_000);

  it("a new project's default store reads as empty and is not created", async () => {
    const p = new Project(CONFIG);
    const r = await p.run(["runs", "ls"], { CAIRN_STORE: undefined });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("no runs");
    expect(existsSync(join(p.dir, ".cairn/cairn.db"))).toBe(false);
  }, 30_000);

  it("a SQLite file not there yet in a folder that is reads as empty and is not created", async () => {
    const p = new Project(CONFIG);
    mkdirSync(join(p.dir, "data"));
    const db = join(p.dir, "data/cairn.db");
    const r = await p.run(["runs", "ls", "--store", `sqlite:${db}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("no runs");
    expect(existsSync(db)).toBe(false);
  }, 30_000);
});
