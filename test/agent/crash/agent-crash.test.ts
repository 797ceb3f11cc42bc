/**
 * Crash recovery of an agent with real processes: `cairn run` talks to the fake model server
 * (Chat Completions, through the real AI SDK provider) and is SIGKILLed mid model call or mid
 * tool call; `cairn worker --once` in a new process finishes the run from the journal.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FakeModelServer } from "../../support/fake-model-server.js";
import { startFakeModelServer } from "../../support/fake-model-server.js";
import { AgentProject, firstCalls, followUpCalls, runIdFrom, watch } from "./support.js";

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const TOOL_TURN = { text: "Let me check.", toolCalls: [{ name: "get_weather", args: { city: "Paris" } }] };
const FINAL_TURN = { text: "It is sunny in Paris." };

describe("an agent killed with SIGKILL", () => {
  // The second model call comes right after the tool result's commit, which stands in for its
  // intent (no commit of its own): killed inside it, the run still resumes at that call.
  it("during a model request after a tool result: the worker re-sends only that request, marks it re-sent, and completes the run", async () => {
    const p = new AgentProject(server);
    server.script([TOOL_TURN, { delayMs: 5000, then: { text: "never delivered" } }, FINAL_TURN]);
    const child = p.spawn(["run", "forecaster", "Weather in Paris?"]);
    const out = watch(child);
    await server.waitForRequests(2, 30_000);
    child.kill("SIGKILL");
    const killed = await out.exited;
    expect(killed.signal).toBe("SIGKILL");
    const runId = runIdFrom(killed.stdout);
    expect((await p.show(runId)).run.status).toBe("running");

    const worker = await p.run(["worker", "--once"]);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toMatch(/↺ model served from the journal/);
    expect(worker.stdout).toMatch(/↺ tool\.get_weather served from the journal/);
    expect(worker.stdout).toMatch(/▸ model#2/);

    const shown = await p.show(runId);
    expect(shown.run.status).toBe("completed");
    expect(shown.run.output?.text).toBe("It is sunny in Paris.");
    expect(server.requests).toHaveLength(3);
    expect(firstCalls(server.requests)).toBe(1);
    expect(followUpCalls(server.requests)).toBe(2);
    expect(p.marks("start:get_weather")).toBe(1);
    expect(shown.steps.map((s) => [s.stepId, s.status])).toEqual([
      ["model", "completed"],
      ["tool.get_weather", "completed"],
      ["model#2", "completed"],
    ]);
    const [first, , resent] = shown.steps;
    expect(first!.output?.resent).toBeUndefined();
    // Its first attempt was never recorded (no intent commit): it is attempt 1, marked re-sent.
    expect(resent).toMatchObject({ attempt: 1, output: { resent: true } });
    expect(shown.usage).toMatchObject({ modelCalls: 2, resentCalls: 1 });

    const text = await p.run(["runs", "show", runId]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/model#2.*re-sent/);
    expect(text.stdout).toContain("1 call(s) re-sent after a crash");
  }, 60_000);

  it("during a tool call: the tool runs again (at least once), the finished model call is not re-sent", async () => {
    const p = new AgentProject(server);
    server.script([TOOL_TURN, FINAL_TURN]);
    const child = p.spawn(["run", "forecaster", "Weather in Paris?"], { TOOL_MS: "3000" });
    const out = watch(child);
    await p.waitForMark("start:get_weather");
    child.kill("SIGKILL");
    const killed = await out.exited;
    expect(killed.signal).toBe("SIGKILL");
    expect(p.marks("end:get_weather")).toBe(0);
    expect(server.requests).toHaveLength(1);
    const runId = runIdFrom(killed.stdout);

    const worker = await p.run(["worker", "--once"], { TOOL_MS: "10" });
    expect(worker.code).toBe(0);
    expect(worker.stdout).toMatch(/↺ model served from the journal/);

    const shown = await p.show(runId);
    expect(shown.run.status).toBe("completed");
    expect(shown.run.output?.text).toBe("It is sunny in Paris.");
    expect(server.requests).toHaveLength(2);
    expect(firstCalls(server.requests)).toBe(1);
    expect(p.marks("start:get_weather")).toBe(2);
    expect(p.marks("end:get_weather")).toBe(1);
    expect(shown.steps.map((s) => [s.stepId, s.status])).toEqual([
      ["model", "completed"],
      ["tool.get_weather", "completed"],
      ["model#2", "completed"],
    ]);
    expect(shown.usage).toMatchObject({ modelCalls: 2, resentCalls: 0 });
  }, 60_000);
});
