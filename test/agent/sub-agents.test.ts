import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { runUsage } from "../../src/agent/run-usage.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { harness } from "../helpers.js";

function model(name: string, reply: (text: string) => ScriptedReply) {
  const prompts: string[] = [];
  return {
    prompts,
    model: scriptedModel({
      name,
      respond: (p) => {
        const text = promptText(p);
        prompts.push(text);
        return reply(text);
      },
    }),
  };
}

describe("sub-agents", () => {
  it("delegates a task to a child run, waits for its answer, and rolls its usage up", async () => {
    const researcher = model("researcher", () => ({
      text: "cairns mark trails",
      usage: { input: 50, output: 10 },
    }));
    const lead = model("lead", (t) =>
      t.includes("cairns mark trails")
        ? { text: "Summary: cairns mark trails.", usage: { input: 30, output: 5 } }
        : {
            toolCalls: [{ name: "researcher", args: { task: "what are cairns for?" } }],
            usage: { input: 20, output: 5 },
          },
    );
    const sub = agent({ name: "researcher", instructions: "You research.", model: researcher.model });
    const top = agent({
      name: "lead",
      instructions: "You lead.",
      model: lead.model,
      agents: { researcher: sub },
    });
    const h = await harness([sub.workflow, top.workflow]);
    const { runId } = await h.engine.start(top.workflow, "explain cairns");
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.output).toMatchObject({
      text: "Summary: cairns mark trails.",
      usage: { input: 100, output: 20 },
    });
    expect(researcher.prompts[0]).toContain("what are cairns for?");
    const children = await h.journal.listRuns("default", { parentRunId: runId });
    expect(children.map((c) => [c.workflow, c.parentStepId, c.status])).toEqual([
      ["researcher", "agent.researcher", "completed"],
    ]);
    expect((await runUsage(h.journal, "default", runId)).usage).toEqual({
      input: 100,
      output: 20,
      cached: 0,
    });
  });

  it("starts a task in the background, or at a later time, without waiting", async () => {
    const worker = model("bg", () => ({ text: "done in the background" }));
    const lead = model("lead2", (t) =>
      t.includes("started")
        ? { text: "I'll check later." }
        : { toolCalls: [{ name: "helper", args: { task: "tidy up", at: "2026-01-02T00:00:00Z" } }] },
    );
    const sub = agent({ name: "helper", instructions: "You help.", model: worker.model });
    const top = agent({ name: "lead2", instructions: "", model: lead.model, agents: { helper: sub } });
    const h = await harness([sub.workflow, top.workflow]);
    const { runId } = await h.engine.start(top.workflow, "go");
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    const [child] = await h.journal.listRuns("default", { parentRunId: runId });
    expect(child?.status).toBe("queued");
    expect(worker.prompts).toHaveLength(0);
    h.clock.set(Date.UTC(2026, 0, 2));
    await h.drain();
    expect((await h.journal.getRunSummary("default", child!.id))?.status).toBe("completed");
  });

  it("a depth limit stops recursive delegation and tells the model", async () => {
    const self = model("rec", (t) =>
      t.includes("depth limit") || t.includes("myself")
        ? { text: "I'll do it myself." }
        : { toolCalls: [{ name: "me", args: { task: "recurse" } }] },
    );
    const inner = agent({ name: "rec-inner", instructions: "", model: self.model, maxDepth: 1 });
    const outer = agent({
      name: "rec-outer",
      instructions: "",
      model: self.model,
      agents: { me: agent({ ...inner.options, name: "rec-mid", agents: { me: inner } }) },
      maxDepth: 1,
    });
    const mid = outer.options.agents!.me!;
    const h = await harness([inner.workflow, mid.workflow, outer.workflow]);
    const { runId } = await h.engine.start(outer.workflow, "go");
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    const [child] = await h.journal.listRuns("default", { parentRunId: runId });
    expect(child?.workflow).toBe("rec-mid");
    expect(await h.journal.listRuns("default", { parentRunId: child!.id })).toHaveLength(0);
    expect(self.prompts.some((p) => p.includes("depth limit (1)"))).toBe(true);
  });
});
