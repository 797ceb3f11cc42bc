import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "../cli/project.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";

let server: PostgresServer | undefined;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";

const big = "x".repeat(100 * 1024);
const report = workflow("report", async ({ step }) => {
  const data = await step.run("load", () => ({ big, rows: 3 }));
  const summary = await step.invoke("summarize", "summarize", { rows: data.rows });
  const ok = await step.waitForApproval("publish", { title: "publish the report?" });
  await step.sleep("embargo", "1d");
  return step.run("publish-it", () => ({ summary, approved: ok.status }));
});
const summarize = workflow("summarize", async ({ input, step }) =>
  step.run("count", () => \`\${(input as { rows: number }).rows} rows\`),
);
export default defineConfig({ workflows: [report, summarize] });
`;

interface Shown {
  run: { id: string; status: string; workflow: string; version: string };
  steps: { stepId: string; status: string; output: unknown }[];
}

/** What `runs show` says of a run, minus what belongs to the store it is in. */
function comparable(s: Shown): unknown {
  return { run: s.run, steps: s.steps };
}

describe("cairn runs export / import between SQLite and PostgreSQL", () => {
  it("moves a waiting run with a child, a blob-sized payload and an approval, both ways; it then goes on there", async () => {
    const p = new Project(CONFIG);
    const started = await p.run(["run", "report", "--follow-for", "1s", "--detach"]);
    expect(started.code, started.stderr).toBe(0);
    const id = /run (run_\w+)/.exec(started.stdout)![1]!;
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    const onSqlite = await p.json<Shown>(["runs", "show", id]);
    expect(onSqlite.run.status).toBe("waiting");

    const file = join(p.dir, "report.json");
    expect((await p.run(["runs", "export", id, "--out", file])).code).toBe(0);
    const pg = server!.url;
    const imported = await p.run(["runs", "import", file, "--store", pg]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`imported run ${id} (waiting) into postgres://postgres@127.0.0.1:`);
    expect(imported.stdout).toContain("2 runs, 4 steps");
    expect(imported.stdout).toContain("it has not ended");
    const onPostgres = await p.json<Shown>(["runs", "show", id, "--store", pg]);
    expect(comparable(onPostgres)).toEqual(comparable(onSqlite));
    const again = await p.run(["runs", "import", file, "--store", pg]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`cairn: run ${id} is already in this store`);

    // Back from PostgreSQL into a fresh SQLite file, through standard output.
    const back = await p.run(["runs", "export", id, "--store", pg]);
    expect(back.code).toBe(0);
    p.write("back.json", back.stdout);
    const fresh = `sqlite:${join(p.dir, "fresh.db")}`;
    expect((await p.run(["runs", "import", join(p.dir, "back.json"), "--store", fresh])).code).toBe(0);
    expect(comparable(await p.json<Shown>(["runs", "show", id, "--store", fresh]))).toEqual(
      comparable(onSqlite),
    );

    // The moved run lives on in PostgreSQL: its approval is decided there and a worker goes on.
    const [pending] = await p.json<{ id: string }[]>(["approvals", "ls", "--store", pg]);
    expect((await p.run(["approve", pending!.id, "--store", pg, "--as", "lin"])).code).toBe(0);
    expect((await p.run(["worker", "--once", "--store", pg])).code).toBe(0);
    const after = await p.json<Shown>(["runs", "show", id, "--store", pg]);
    expect(after.steps.map((s) => [s.stepId, s.status])).toEqual([
      ["load", "completed"],
      ["summarize", "completed"],
      ["publish", "completed"],
      ["embargo", "waiting"],
    ]);
    // The SQLite original was not touched.
    expect((await p.json<Shown>(["runs", "show", id])).steps).toHaveLength(3);
  });

  it("refuses a file that is not an export, saying what it is", async () => {
    const p = new Project(CONFIG);
    p.write("not.json", JSON.stringify({ hello: 1 }));
    const r = await p.run(["runs", "import", join(p.dir, "not.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'not.json is not a Cairn run export: "cairn" is undefined, not "run-export"; make one with cairn runs export ID',
    );
    const missing = await p.run(["runs", "export", "run_nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('run run_nope not found in workspace "default"');
  });
});

describe("cairn worker and a workflow removed from the config", () => {
  it("reports the runs it cannot execute at start, and runs ls shows why they wait", async () => {
    const p = new Project(CONFIG);
    const started = await p.run(["run", "summarize", "--input", '{"rows":2}', "--detach"]);
    const id = /run (run_\w+)/.exec(started.stdout)![1]!;
    p.write(
      "cairn.config.ts",
      `import { defineConfig, workflow } from "cairn-runtime";
export default defineConfig({ workflows: [workflow("other", async () => 1)] });
`,
    );
    const worker = await p.run(["worker", "--once"]);
    expect(worker.code).toBe(0);
    expect(worker.stderr).toContain(
      `cairn worker: 1 run of workflow "summarize" cannot be executed by this worker, e.g. ${id}: no worker here has workflow "summarize"`,
    );
    const ls = await p.run(["runs", "ls"]);
    expect(ls.stdout).toMatch(
      new RegExp(`${id}\\s+summarize\\s+queued.*no worker here has workflow "summarize"`),
    );
    p.write("cairn.config.ts", CONFIG);
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    expect((await p.json<Shown>(["runs", "show", id])).run.status).toBe("completed");
  });

  it("with --fail-unrunnable, fails them with an error saying why and what to do", async () => {
    const p = new Project(CONFIG);
    const started = await p.run(["run", "summarize", "--input", '{"rows":2}', "--detach"]);
    const id = /run (run_\w+)/.exec(started.stdout)![1]!;
    p.write(
      "cairn.config.ts",
      `import { defineConfig, workflow } from "cairn-runtime";
export default defineConfig({ workflows: [workflow("other", async () => 1)] });
`,
    );
    const worker = await p.run(["worker", "--once", "--fail-unrunnable"]);
    expect(worker.code).toBe(0);
    expect(worker.stderr).toContain(`cairn worker: failed 1 of them: ${id}`);
    const shown = await p.json<{ run: { status: string; error: { code: string; message: string } } }>([
      "runs",
      "show",
      id,
    ]);
    expect(shown.run.status).toBe("failed");
    expect(shown.run.error.code).toBe("CAIRN_UNKNOWN_WORKFLOW");
    expect(shown.run.error.message).toContain(
      `failed by a worker that cannot execute it: no worker here has workflow "summarize": add it back to cairn.config.ts`,
    );
  });
});
