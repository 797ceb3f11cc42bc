import { describe, expect, it } from "vitest";
import { countingConfig, Project } from "./project.js";

const CONFIG = countingConfig(`
const steps = workflow("steps", async ({ input, step }) => {
  const a = await step.run("a", () => { mark("a"); return (input as { n: number }).n; });
  const b = await step.run("b", () => { mark("b"); return a * 10; });
  return { a, b };
});
const waits = workflow("waits", async ({ step }) => {
  await step.waitForEvent("go", { event: "go.now" });
  return "went";
});
export default defineConfig({ workflows: [steps, waits] });
`);

interface Summary {
  id: string;
  status: string;
  forkedFrom: { runId: string; stepId: string } | null;
}

describe("cairn runs fork, diff, cancel/rerun/rm in bulk", () => {
  it("forks a run from a step with a replaced output, then diffs it against the original", async () => {
    const p = new Project(CONFIG);
    const { id: runId } = await p.json<{ id: string }>(["run", "steps", "--input", '{"n":1}']);
    const fork = await p.json<Summary>(["runs", "fork", runId, "--from", "b", "--output", "a=5"]);
    expect(fork.forkedFrom).toEqual({ runId, stepId: "b" });
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    const shown = await p.json<{ run: { output: unknown } }>(["runs", "show", fork.id]);
    expect(shown.run.output).toEqual({ a: 5, b: 50 });
    // a ran once (for the original); b once for each run.
    expect(Object.fromEntries(p.executions())).toEqual({ a: 1, b: 2 });

    const diff = await p.run(["runs", "diff", runId, fork.id]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/≠\s+a\s+run\s+completed 1 /);
    expect(diff.stdout).toMatch(/≠\s+b\s+run\s+completed 10 .*completed 50/);
    expect(diff.stdout).toContain("first divergence: a");

    const usage = await p.run(["runs", "fork", runId]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("needs --from STEP");
    const badOutput = await p.run(["runs", "fork", runId, "--from", "b", "--output", "a"]);
    expect(badOutput.stderr).toContain("--output takes STEP=JSON");
  }, 60_000);

  it("counts the runs a filter matches, acts only when confirmed, and deletes only ended runs", async () => {
    const p = new Project(CONFIG);
    for (let i = 0; i < 3; i++) await p.run(["run", "waits", "--detach"]);
    await p.run(["worker", "--once"]);
    const unconfirmed = await p.run(["runs", "cancel", "--workflow", "waits"]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stdout).toContain("3 runs match:");
    expect(unconfirmed.stdout).toContain("nothing done: add --yes to go ahead");
    expect(await p.json<Summary[]>(["runs", "ls", "--status", "waiting"])).toHaveLength(3);

    const waiting = await p.json<Summary[]>(["runs", "ls", "--status", "waiting"]);
    const refused = await p.run(["runs", "rm", waiting[0]!.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("cancel it first");

    const cancelled = await p.run(["runs", "cancel", "--workflow", "waits", "--after", "1h", "--yes"]);
    expect(cancelled.stdout).toContain("3 of 3 runs cancelled");
    const rerun = await p.json<{ matched: number; affected: number }>([
      "runs",
      "rerun",
      "--status",
      "cancelled",
      "--yes",
    ]);
    expect(rerun).toMatchObject({ matched: 3, affected: 3 });
    expect(await p.json<Summary[]>(["runs", "ls", "--status", "queued"])).toHaveLength(3);

    const removed = await p.run(["runs", "rm", "--status", "cancelled", "--yes"]);
    expect(removed.stdout).toContain("3 of 3 runs deleted");
    expect(await p.json<Summary[]>(["runs", "ls"])).toHaveLength(3);
    const nothing = await p.run(["runs", "rm", "--before", "2000-01-01", "--yes"]);
    expect(nothing.stdout).toContain("no runs match");
    const noFilter = await p.run(["runs", "rerun"]);
    expect(noFilter.code).toBe(2);
    expect(noFilter.stderr).toContain("at least one of --status");
    const badTime = await p.run(["runs", "rm", "--before", "last week"]);
    expect(badTime.stderr).toContain("--before takes a time");
  }, 90_000);
});
