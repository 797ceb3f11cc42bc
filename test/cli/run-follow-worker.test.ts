/**
 * `cairn run` shows a run's steps and its model's tokens from the run's log, so it shows them the
 * same when a separate `cairn worker` process executes the run (`--wait-only`) as when it
 * executes the run itself, each line once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentProject } from "../agent/crash/support.js";
import type { FakeModelServer } from "../support/fake-model-server.js";
import { startFakeModelServer } from "../support/fake-model-server.js";
import { collect, waitForOutput } from "./project.js";

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const TOOL_TURN = {
  text: "Let me check the sky over Paris.",
  toolCalls: [{ name: "get_weather", args: { city: "Paris" } }],
  usage: { input: 20, output: 9 },
  chunkSize: 3,
};
const FINAL_TURN = {
  text: "It is sunny in Paris, 21 degrees.",
  usage: { input: 40, output: 11 },
  chunkSize: 3,
};

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
}

/** The lines a person follows the forecaster's run by, each exactly once. */
function expectProgress(stdout: string): void {
  expect(count(stdout, /▸ model\n/)).toBe(1);
  expect(stdout).toContain("Let me check the sky over Paris.");
  expect(count(stdout, /✓ model .*29 tokens.* → get_weather\(\{"city":"Paris"\}\)/)).toBe(1);
  expect(count(stdout, /▸ tool\.get_weather\n/)).toBe(1);
  expect(count(stdout, /✓ tool\.get_weather .*sunny, 21°C/)).toBe(1);
  expect(count(stdout, /▸ model#2\n/)).toBe(1);
  expect(stdout).toContain("It is sunny in Paris, 21 degrees.");
  expect(count(stdout, /✓ model#2 .*51 tokens/)).toBe(1);
  expect(stdout).toMatch(/\ncompleted run_\w+/);
}

describe("cairn run follows the run's log", () => {
  it("--wait-only prints the steps, tokens and result that a separate cairn worker produced", async () => {
    const p = new AgentProject(server);
    server.script([TOOL_TURN, FINAL_TURN]);
    const worker = p.spawn(["worker"]);
    const workerOut = collect(worker, "cairn worker");
    await waitForOutput(worker, /worker \S+ on /, "cairn worker to start");

    const r = await p.run(["run", "forecaster", "Weather in Paris?", "--wait-only"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectProgress(r.stdout);
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    // Executed by the worker process: it printed the same steps, and the model was asked twice.
    expect(server.requests).toHaveLength(2);
    worker.kill("SIGKILL");
    const w = await workerOut;
    expect(w.stdout).toMatch(/▸ model#2/);
    expect(w.stdout).toContain(runId);
    expect((await p.show(runId)).run.output?.text).toBe("It is sunny in Paris, 21 degrees.");
  }, 90_000);

  it("executing the run itself prints the same lines, each once", async () => {
    const p = new AgentProject(server);
    server.script([TOOL_TURN, FINAL_TURN]);
    const r = await p.run(["run", "forecaster", "Weather in Paris?"]);
    expect(r.code).toBe(0);
    expectProgress(r.stdout);
    expect(r.stdout).toMatch(/run_\w+ · forecaster · executing \(lease epoch 1\)/);
  }, 60_000);

  it("--wait-only with no worker stops after --follow-for and says how to get one", async () => {
    const p = new AgentProject(server);
    const r = await p.run(["run", "forecaster", "hi", "--wait-only", "--follow-for", "1s"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no worker took the run in 1s; start one: cairn worker");
    expect(r.stdout).toMatch(/\nqueued run_\w+/);
    expect(server.requests).toHaveLength(0);
  }, 60_000);

  it("Ctrl-C stops following, leaves the run to the workers and says how to follow it again", async () => {
    const p = new AgentProject(server);
    const child = p.spawn(["run", "forecaster", "hi", "--wait-only", "--follow-for", "60s"]);
    const done = collect(child, "cairn run --wait-only");
    const out = await waitForOutput(child, /run run_\w+/, "cairn run to print its run id");
    const runId = /run (run_\w+)/.exec(out)![1]!;
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`stopped following run ${runId}; it goes on`);
    expect(r.stderr).toContain(`cairn runs show ${runId} --follow`);
    expect((await p.show(runId)).run.status).toBe("queued");
  }, 60_000);
});
