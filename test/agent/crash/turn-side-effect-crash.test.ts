/**
 * A side-effecting tool that is not idempotent, in an agent with checkpoint "turn", killed with
 * SIGKILL mid-call: the charge must not be made again by itself. The turn (model call and the
 * other tools) is committed before the charge starts, and the charge records its intent, so the
 * resumed run pauses as needs-attention for a person, who decides.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FakeModelServer } from "../../support/fake-model-server.js";
import { startFakeModelServer } from "../../support/fake-model-server.js";
import { AgentProject, BILLER_CONFIG, runIdFrom, watch } from "./support.js";

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

/** The idempotency keys the tools marked, by tool. */
function keys(p: AgentProject, tool: string): string[] {
  return [...p.project.executions().keys()]
    .filter((line) => line.startsWith(`key:${tool} `))
    .map((line) => line.slice(`key:${tool} `.length));
}

describe('checkpoint "turn" with a side-effecting tool', () => {
  it("killed inside the charge: the run pauses as needs-attention, the charge was made once", async () => {
    const p = new AgentProject(server, BILLER_CONFIG);
    server.script([
      {
        text: "Charging.",
        toolCalls: [
          { name: "lookup", args: { id: "c1" } },
          { name: "charge", args: { amount: 30 } },
        ],
      },
      { text: "Charged $30." },
    ]);
    const child = p.spawn(["run", "biller", "Charge customer c1 $30"], { TOOL_MS: "5000" });
    const out = watch(child);
    await p.waitForMark("start:charge");
    child.kill("SIGKILL");
    const killed = await out.exited;
    expect(killed.signal).toBe("SIGKILL");
    expect(p.marks("end:charge")).toBe(0);
    const runId = runIdFrom(killed.stdout);

    const worker = await p.run(["worker", "--once"], { TOOL_MS: "10" });
    expect(worker.code).toBe(0);
    let shown = await p.show(runId);
    expect(shown.run.status).toBe("needs-attention");
    // The charge did not run again, nor did the turn: its model call is not re-sent.
    expect(p.marks("start:charge")).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(keys(p, "lookup")).toHaveLength(1);
    expect(shown.steps.map((s) => [s.stepId, s.status])).toEqual([
      ["turn", "completed"],
      ["tool.charge", "started"],
    ]);

    // A person checks the card and records the charge as made; the agent goes on.
    const skip = await p.run(["runs", "skip-step", runId, "tool.charge", "--output", '{"charged":30}']);
    expect(skip.code).toBe(0);
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    shown = await p.show(runId);
    expect(shown.run.status).toBe("completed");
    expect(shown.run.output?.text).toBe("Charged $30.");
    expect(p.marks("start:charge")).toBe(1);
    expect(server.requests).toHaveLength(2);
    // The answering call was sent once: the charge recorded by hand did not pass for its intent.
    expect(shown.usage).toMatchObject({ modelCalls: 2, resentCalls: 0 });
    // Each tool call had its own idempotency key.
    expect(keys(p, "charge")).toEqual([`${runId}:tool.charge`]);
    expect(keys(p, "lookup")).toEqual([`${runId}:turn:lookup`]);
  }, 60_000);
});
