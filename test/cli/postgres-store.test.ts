import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";
import { countingConfig, Project } from "./project.js";

let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

describe("the CLI on a PostgreSQL store", () => {
  it("runs, crashes and resumes a workflow with CAIRN_STORE=postgres://…", async () => {
    const p = new Project(
      countingConfig(`
const three = workflow("three", async ({ step }) => {
  for (const s of ["a", "b", "c"]) await step.run(s, async () => { mark(s); await pause(400); return s; });
  return "done";
});
export default defineConfig({ workflows: [three] });
`),
    );
    const env = { CAIRN_STORE: pg.url };
    const killed = await p.runAndKill(["run", "three"], /✓ a /, { env });
    expect(killed.signal).toBe("SIGKILL");
    const runId = /run (run_\w+)/.exec(killed.stdout)![1]!;
    const worker = await p.run(["worker", "--once"], env);
    expect(worker.stdout).toContain("↺ a served from the journal");
    const shown = await p.run(["runs", "show", runId, "--json"], env);
    const parsed = JSON.parse(shown.stdout) as { run: { status: string; output: unknown } };
    expect(parsed.run).toMatchObject({ status: "completed", output: "done" });
    expect(p.executions().get("a")).toBe(1);
    const bad = await p.run(["runs", "ls"], { CAIRN_STORE: pg.url.replace(/:\d+\//, ":1/") });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot|refused|connect/i);
  }, 60_000);
});
