import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collect, countingConfig, Project, waitForOutput } from "./project.js";

const CONFIG = countingConfig(`
const greet = workflow("greet", async ({ input, step }) => {
  const name = await step.run("name", () => (input as { name?: string }).name ?? "world");
  const ok = await step.waitForEvent("approval", { event: "greet.approved", match: { "data.name": name }, timeout: "1d" });
  return ok ? "hello " + name : "no approval";
});
const quick = workflow("quick", async ({ step }) => step.run("only", () => 42));
export default defineConfig({ workflows: [greet, quick] });
`);

describe("cairn CLI", () => {
  it("cairn demo runs the agent offline and leaves its image, then its post once approved", async () => {
    const p = new Project();
    const env = { OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", CAIRN_DEMO_MODEL: "" };
    const r = await p.run(["demo", "cairns at dawn"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("offline scripted model, no API key needed");
    expect(r.stdout).toMatch(/✓ tool\.generate_image/);
    const image = /"image":"([^"]+\.svg)"/.exec(r.stdout)![1]!;
    expect(readFileSync(image, "utf8")).toMatch(/^<svg[\s\S]*cairns at dawn[\s\S]*<\/svg>/);
    const approval = /cairn approve (apr_\w+)/.exec(r.stdout)![1]!;
    expect((await p.run(["approve", approval])).code).toBe(0);
    const resumed = await p.run(["demo", "--resume"], env);
    expect(resumed.stdout).toMatch(/✓ tool\.post/);
    const post = /post {3}(\S+\.json)/.exec(resumed.stdout)![1]!;
    const posted = JSON.parse(readFileSync(join(p.dir, post), "utf8")) as { caption: string; image: string };
    expect(posted.caption).toContain("Cairns at dawn");
    expect(posted.image).toBe(image);
  }, 30_000);

  it("run → waits for an event → send resumes it → worker completes it", async () => {
    const p = new Project(CONFIG);
    const run = await p.run(["run", "greet", "--input", '{"name":"ada"}']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('waiting for event "greet.approved"');
    const runId = /run (run_\w+)/.exec(run.stdout)![1]!;
    const waiting = await p.json<{ status: string }[]>(["runs", "ls", "--status", "waiting"]);
    expect(waiting.map((r) => r.status)).toEqual(["waiting"]);
    const sent = await p.json<{ resumedRuns: string[] }>([
      "send",
      "greet.approved",
      "--data",
      '{"name":"ada"}',
    ]);
    expect(sent.resumedRuns).toEqual([runId]);
    await p.run(["worker", "--once"]);
    const shown = await p.json<{ run: { status: string; output: unknown } }>(["runs", "show", runId]);
    expect(shown.run).toMatchObject({ status: "completed", output: "hello ada" });
  }, 30_000);

  it("runs show --follow prints the log as another process executes the run, until it ends", async () => {
    const p = new Project(CONFIG);
    const { runId } = await p.json<{ runId: string }>([
      "run",
      "greet",
      "--input",
      '{"name":"ada"}',
      "--detach",
      "--json",
    ]);
    const child = p.spawn(["runs", "show", runId, "--follow"]);
    const follow = collect(child, "cairn runs show --follow");
    // Once it has shown the run as it stands, every step from here on reaches it through the store.
    await waitForOutput(child, "queued", "`runs show --follow` to show the queued run");
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    expect((await p.run(["send", "greet.approved", "--data", '{"name":"ada"}'])).code).toBe(0);
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    const followed = await follow;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/step\.ended\s+name/);
    expect(followed.stdout).toMatch(/run\.waiting/);
    expect(followed.stdout).toMatch(/step\.ended\s+approval/);
    expect(followed.stdout.trimEnd()).toMatch(new RegExp(`${runId} completed$`));
    const json = await p.run(["runs", "show", runId, "--follow", "--json"]);
    const types = json.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types[0]).toBe("run.created");
    expect(types.at(-1)).toBe("run.ended");
  }, 30_000);

  it("runs cancel stops a waiting run", async () => {
    const p = new Project(CONFIG);
    const started = await p.json<{ runId: string }>(["run", "greet", "--detach"]);
    await p.run(["worker", "--once"]);
    const cancelled = await p.json<{ status: string }>(["runs", "cancel", started.runId]);
    expect(cancelled.status).toBe("cancelled");
    const text = await p.run(["runs", "show", started.runId]);
    expect(text.stdout).toContain("cancelled");
  }, 30_000);

  it("bad input gets a clear error and a non-zero exit", async () => {
    const p = new Project(CONFIG);
    const badJson = await p.run(["run", "quick", "--input", "{oops"]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain("--input is not valid JSON");
    const unknown = await p.run(["run", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown workflow "nope"; known: greet, quick');
    const flag = await p.run(["runs", "ls", "--colour"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--colour'");
    const missing = await p.run(["runs", "show", "run_missing"]);
    expect(missing.stderr).toContain("no run run_missing in workspace default");
    const store = await p.run(["runs", "ls", "--store", "mysql://x"]);
    expect(store.stderr).toContain('"mysql://x" is not a store URL');
    expect((await p.json<unknown[]>(["runs", "ls"])).length).toBe(0);
  }, 30_000);

  it("a missing or broken config says what to do", async () => {
    const empty = new Project();
    const missing = await empty.run(["run", "mine"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no cairn.config.ts in");
    expect(missing.stderr).toContain("cairn demo");
    const worker = await empty.run(["worker", "--once"]);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toContain("only the built-in demo agent");
    const broken = new Project("export default { workflows: [1] };\n");
    const r = await broken.run(["worker", "--once"]);
    expect(r.stderr).toContain("workflows[0] is not a workflow");
    writeFileSync(join(broken.dir, "cairn.config.ts"), "export default defineConfig({ ;\n");
    const syntax = await broken.run(["worker", "--once"]);
    expect(syntax.stderr).toContain("cannot load");
    expect(syntax.stderr).toContain("cairn.config.ts");
  }, 30_000);
});
