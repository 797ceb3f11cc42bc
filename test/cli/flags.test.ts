import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/command-table.js";
import type { CliResult } from "./project.js";
import { Project } from "./project.js";

const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";
const echo = workflow("echo", async ({ input, step }) => step.run("echo", () => ({ got: input === undefined ? "nothing" : input })));
const nap = workflow("nap", async ({ step }) => { await step.sleep("nap", "10m"); return "rested"; });
export default defineConfig({ workflows: [echo, nap] });
`;

/** A usage mistake: exit 2 and one line on stderr that says what is wrong, no stack trace. */
function usageError(r: CliResult, ...mentions: string[]): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  for (const m of mentions) expect(r.stderr).toContain(m);
}

describe("every flag is checked before anything runs", () => {
  it("a duration that is not one is refused, not waited out", async () => {
    const p = new Project(CONFIG);
    const started = Date.now();
    usageError(await p.run(["run", "nap", "--follow-for", "abc"]), "--follow-for", "duration", '"abc"');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await p.json<unknown[]>(["runs", "ls"])).toEqual([]);
    // Valid forms: seconds, or a unit.
    const waiting = await p.json<{ status: string }>(["run", "nap", "--follow-for", "2s"]);
    expect(waiting.status).toBe("waiting");
  }, 30_000);

  it("numbers out of range or too large for a number are refused with their range", async () => {
    const p = new Project(CONFIG);
    usageError(await p.run(["runs", "ls", "--limit", "99999999999999999999"]), "--limit", "1 to 10,000");
    usageError(await p.run(["runs", "ls", "--limit", "0"]), "--limit");
    usageError(await p.run(["runs", "ls", "--limit", "2.5"]), "--limit");
    usageError(await p.run(["worker", "--once", "--concurrency", "0"]), "--concurrency");
    expect((await p.run(["runs", "ls", "--limit", "3"])).code).toBe(0);
  }, 30_000);

  it("a status that does not exist is refused, naming the ones that do", async () => {
    const p = new Project(CONFIG);
    usageError(
      await p.run(["approvals", "ls", "--status", "bogus"]),
      "--status",
      "pending, approved, rejected",
    );
    usageError(await p.run(["runs", "ls", "--status", "bogus"]), "--status", "queued, running, waiting");
  }, 30_000);

  it("--input null is null, not {}", async () => {
    const p = new Project(CONFIG);
    const run = await p.json<{ output: unknown }>(["run", "echo", "--input", "null"]);
    expect(run.output).toEqual({ got: null });
    const empty = await p.json<{ output: unknown }>(["run", "echo"]);
    expect(empty.output).toEqual({ got: {} });
  }, 30_000);

  it("words after a workflow's name are refused with what to write instead", async () => {
    const p = new Project(CONFIG);
    usageError(
      await p.run(["run", "echo", "hello", "there"]),
      '"echo" is a workflow',
      `--input '{"message":"hello there"}'`,
    );
    expect(await p.json<unknown[]>(["runs", "ls"])).toEqual([]);
  }, 30_000);

  it("deeply nested --input is refused, saying it is about depth", async () => {
    const p = new Project(CONFIG);
    const deep = "[".repeat(5000) + "]".repeat(5000);
    usageError(
      await p.run(["run", "echo", "--input", deep]),
      "--input is nested 5000 levels deep",
      "at most 100",
    );
    const fine = "[".repeat(50) + "]".repeat(50);
    expect((await p.run(["run", "echo", "--input", fine])).code).toBe(0);
  }, 30_000);

  it("a subcommand that does not exist lists the real ones", async () => {
    const p = new Project(CONFIG);
    const r = await p.run(["runs", "bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cairn runs has no subcommand "bogus"');
    expect(r.stderr).toContain("cairn runs ls");
  }, 30_000);

  it("global flags are taken before the command as after it", async () => {
    const p = new Project(CONFIG);
    expect((await p.run(["run", "echo"])).code).toBe(0);
    const before = await p.run(["--json", "runs", "ls"]);
    expect(before.code, before.stderr).toBe(0);
    const after = await p.run(["runs", "ls", "--json"]);
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
    expect(JSON.parse(before.stdout)).toHaveLength(1);

    // --store before the command, with its value apart or after "=": another store, empty here.
    const other = `sqlite:${p.dir}/other.db`;
    for (const flags of [["--store", other], [`--store=${other}`]]) {
      const r = await p.run([...flags, "--json", "runs", "ls"]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([]);
    }
    const text = await p.run(["--store", other, "runs", "ls"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("no runs");

    usageError(await p.run(["--store"]), "--store needs a value");
    usageError(await p.run(["--limit", "3", "runs", "ls"]), '"--limit" before the command', "--json");
  }, 90_000);

  it("each command's --help shows every flag of its table entry", async () => {
    const p = new Project();
    for (const c of COMMANDS) {
      const r = await p.run([...c.name.split(" "), "--help"]);
      expect(r.code, c.name).toBe(0);
      for (const flag of Object.keys(c.flags)) expect(r.stdout, `${c.name} --${flag}`).toContain(`--${flag}`);
    }
  }, 60_000);
});
