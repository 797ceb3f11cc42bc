import pg from "pg";
import { encodePayload } from "../../src/shared/payload.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";
import { until } from "../helpers.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { collect, countingConfig, Project, waitForOutput } from "./project.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
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
    const env = { CAIRN_STORE: server.url };
    const killed = await p.runAndKill(["run", "three"], /✓ a /, { env });
    expect(killed.signal).toBe("SIGKILL");
    const runId = /run (run_\w+)/.exec(killed.stdout)![1]!;
    const worker = await p.run(["worker", "--once"], env);
    expect(worker.stdout).toContain("↺ a served from the journal");
    const shown = await p.run(["runs", "show", runId, "--json"], env);
    const parsed = JSON.parse(shown.stdout) as { run: { status: string; output: unknown } };
    expect(parsed.run).toMatchObject({ status: "completed", output: "done" });
    expect(p.executions().get("a")).toBe(1);
    const bad = await p.run(["runs", "ls"], { CAIRN_STORE: server.url.replace(/:\d+\//, ":1/") });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot|refused|connect/i);
  }, 60_000);

  it("cairn worker prints the store URL without its password", async () => {
    const p = new Project(countingConfig(`export default defineConfig({ workflows: [] });`));
    const PASSWORD = "s3cret-pa55word";
    // Trust authentication: the server accepts the password, and the URL carries it.
    const url = server.url.replace("postgres@", `postgres:${PASSWORD}@`);
    expect(url).toContain(PASSWORD);
    const child = p.spawn(["worker"], { CAIRN_STORE: url });
    const result = collect(child);
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "worker … on" line within 20 s; got: ${out}`)),
        20_000,
      );
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (/workflows:/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill("SIGTERM");
    const r = await result;
    expect(r.stdout).toContain(url.replace(PASSWORD, "***"));
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it("a worker opens no more connections than storeConnections (plus its listener)", async () => {
    const p = new Project(
      countingConfig(`
const slow = workflow("slow", async ({ step }) => {
  for (const s of ["a", "b", "c"]) await step.run(s, () => pause(50));
});
export default defineConfig({ workflows: [slow], storeConnections: 2 });
`),
    );
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query("CREATE DATABASE connections");
      const env = { CAIRN_STORE: server.urlFor("connections") };
      const journal = await PostgresJournal.open({ url: env.CAIRN_STORE, max: 1 });
      for (let i = 0; i < 20; i++)
        await journal.createRun({
          id: `run_${i}`,
          workspace: "default",
          workflow: "slow",
          input: encodePayload({}, "input"),
        });
      await journal.close();
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { rows } = await admin.query<{ n: string }>(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = 'connections' AND application_name = 'cairn'",
          );
          most = Math.max(most, Number(rows[0]!.n));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const worker = await p.run(["worker", "--once", "--concurrency", "20"], env);
      sampling = false;
      await sampler;
      expect(worker.stdout).toContain("20 executions (20 completed)");
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(2);
    } finally {
      await admin.end();
    }
  }, 60_000);

  it("cairn run --wait-only and runs show --follow wait out a store that stops answering, then go on", async () => {
    const p = new Project(
      countingConfig(`
const steady = workflow("steady", async ({ step }) => {
  for (const s of ["a", "b", "c"]) await step.run(s, async () => { mark(s); await pause(1500); return s; });
  return "done";
});
export default defineConfig({ workflows: [steady] });
`),
    );
    // The followers reach the store through a proxy that the test cuts; the worker does not.
    const proxy = await startTcpProxy(Number(new URL(server.url).port));
    const throughProxy = { CAIRN_STORE: server.url.replace(/:\d+\//, `:${proxy.port}/`) };
    const worker = p.spawn(["worker"], { CAIRN_STORE: server.url });
    const workerDone = collect(worker, "cairn worker", 170_000);
    try {
      const run = p.spawn(["run", "steady", "--wait-only"], throughProxy);
      const runDone = collect(run, "cairn run steady --wait-only", 170_000);
      let runErr = "";
      run.stderr!.on("data", (d: Buffer) => (runErr += d.toString()));
      const started = await waitForOutput(run, /run (run_\w+)/, "cairn run to name its run", 60_000);
      const runId = /run (run_\w+)/.exec(started)![1]!;
      const show = p.spawn(["runs", "show", runId, "--follow"], throughProxy);
      const showDone = collect(show, "cairn runs show --follow", 170_000);
      let showErr = "";
      show.stderr!.on("data", (d: Buffer) => (showErr += d.toString()));
      await waitForOutput(run, /✓ a /, "the first step to end", 60_000);
      proxy.cut();
      await until(
        "cairn run to say the store does not answer",
        () => runErr.includes("does not answer"),
        60_000,
      );
      await until(
        "runs show to say the store does not answer",
        () => showErr.includes("does not answer"),
        60_000,
      );
      proxy.restore();
      const [ran, shown] = await Promise.all([runDone, showDone]);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stderr).toContain(`the store does not answer`);
      expect(ran.stderr).toContain(`run ${runId} is safe in it`);
      expect(ran.stderr).toContain("the store answers again");
      expect(ran.stdout).toMatch(/✓ c /);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stderr).toContain("the store does not answer");
      expect(shown.stdout).toContain(`${runId} completed`);
      expect([...p.executions().values()]).toEqual([1, 1, 1]);
    } finally {
      worker.kill("SIGTERM");
      await workerDone.catch(() => undefined);
      await proxy.close();
    }
  }, 180_000);
});
