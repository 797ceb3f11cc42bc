/**
 * Runaway commands through the agent loop: a fork bomb and an infinite loop are stopped by the
 * sandbox's limits, the model is told which limit stopped them, and the worker goes on to the
 * next command and the next run.
 */
import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { workspaceTools } from "../../src/tools/workspace-tools.js";
import { harness } from "../helpers.js";
import { call, listModel, workspaceRoot } from "./support.js";

describe("exec in an agent run", () => {
  it("stops a fork bomb and an infinite loop within their limits; the worker survives and runs on", async () => {
    const m = listModel([
      call("exec", { command: ":(){ :|:& };:; sleep 60" }),
      call("exec", { command: "while :; do :; done" }),
      call("exec", { command: "echo alive" }),
      { text: "Survived." },
      call("exec", { command: "echo next run" }),
      { text: "Next." },
    ]);
    const a = agent({
      name: "runaway",
      instructions: "x",
      model: m.model,
      tools: workspaceTools({
        root: workspaceRoot(),
        exec: { limits: { wallSeconds: 3, cpuSeconds: 1, processes: 16 } },
      }),
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "misbehave" });
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    const out = Object.fromEntries(
      (await h.journal.loadSteps("default", runId)).map((s) => [s.stepId, s.output]),
    ) as Record<string, { limit?: string; stdout?: string; stderr?: string }>;
    expect(out["tool.exec"]?.limit).toBe("wall time: killed after 3 s");
    expect(out["tool.exec"]?.stderr).toMatch(/fork: (retry: )?Resource temporarily unavailable/);
    expect(out["tool.exec#2"]?.limit).toBe("CPU time: killed after 1 s");
    expect(out["tool.exec#3"]?.stdout).toBe("alive\n");
    // The model saw which limit stopped each command.
    expect(m.prompts[1]).toContain("wall time: killed after 3 s");
    expect(m.prompts[2]).toContain("CPU time: killed after 1 s");
    // And the same worker takes the next run.
    const next = await h.engine.start(a.workflow, { message: "again" });
    await h.drain();
    expect((await h.journal.getRun("default", next.runId))?.output).toMatchObject({ text: "Next." });
  }, 60_000);
});
