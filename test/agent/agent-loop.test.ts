import { MockLanguageModelV3 } from "ai/test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import type { Progress } from "../../src/engine/progress.js";
import { Counter, harness } from "../helpers.js";

/** A model that answers from a list, one reply per call, and counts its calls. */
function listModel(replies: ScriptedReply[]) {
  let i = 0;
  const model = scriptedModel({
    name: "list",
    respond: () => {
      const r = replies[i++];
      if (!r) throw new Error("the script ran out of replies");
      return r;
    },
  });
  return { model, calls: () => i };
}

const add = tool({
  description: "Adds two numbers",
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => ({ sum: a + b }),
});

describe("the agent loop", () => {
  it("calls the model, runs the tool it asks for, and returns the final answer", async () => {
    const { model, calls } = listModel([
      {
        text: "Let me add.",
        toolCalls: [{ name: "add", args: { a: 2, b: 3 } }],
        usage: { input: 10, output: 5 },
      },
      { text: "The sum is 5.", usage: { input: 20, output: 4 } },
    ]);
    const calc = agent({ name: "calc", instructions: "You add.", model, tools: { add } });
    const h = await harness([calc.workflow]);
    const events: Progress[] = [];
    h.engine.on((p) => events.push(p));
    const { runId } = await h.engine.start(calc.workflow, { message: "2+3?" });
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toMatchObject({
      text: "The sum is 5.",
      turns: 2,
      usage: { input: 30, output: 9, cached: 0 },
    });
    expect(calls()).toBe(2);
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => s.stepId)).toEqual(["model", "tool.add", "model#2"]);
    expect(steps[1]?.output).toEqual({ sum: 5 });
    const deltas = events
      .filter((e) => e.type === "step.progress")
      .map((e) => (e.type === "step.progress" ? e.data.text : ""));
    expect(deltas.join("")).toBe("Let me add.The sum is 5.");
  });

  it("runs several tool calls of one response concurrently, each its own step", async () => {
    const c = new Counter();
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = tool({
      description: "Slow lookup",
      input: z.object({ key: z.string() }),
      execute: async ({ key }) => {
        c.hit(key);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight--;
        return key.toUpperCase();
      },
    });
    const { model } = listModel([
      {
        toolCalls: [
          { name: "slow", args: { key: "a" } },
          { name: "slow", args: { key: "b" } },
          { name: "slow", args: { key: "c" } },
        ],
      },
      { text: "done" },
    ]);
    const a = agent({ name: "par", instructions: "", model, tools: { slow } });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    expect(maxInFlight).toBe(3);
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => [s.stepId, s.output])).toEqual([
      ["model", expect.anything()],
      ["tool.slow", "A"],
      ["tool.slow#2", "B"],
      ["tool.slow#3", "C"],
      ["model#2", expect.anything()],
    ]);
  });

  it("sends invalid arguments back to the model as a tool error, then stops after repeated ones", async () => {
    const seen: string[] = [];
    const model = scriptedModel({
      name: "sloppy",
      respond: (prompt) => {
        seen.push(promptText(prompt));
        return { toolCalls: [{ name: "add", args: { a: "two", b: 3 } }] };
      },
    });
    const a = agent({ name: "sloppy", instructions: "", model, tools: { add }, maxInvalidToolCalls: 2 });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "2+3?" });
    await h.drain();
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.code).toBe("CAIRN_AGENT_LIMIT");
    expect(run?.error?.message).toContain("invalid-tool-calls");
    expect(seen[1]).toContain("invalid");
    expect(seen).toHaveLength(3);
  });

  it("works with the AI SDK's MockLanguageModelV3", async () => {
    const model = new MockLanguageModelV3({
      doStream: {
        stream: new ReadableStream({
          start(c) {
            c.enqueue({ type: "text-start", id: "t" });
            c.enqueue({ type: "text-delta", id: "t", delta: "hello from the mock" });
            c.enqueue({ type: "text-end", id: "t" });
            c.enqueue({
              type: "finish",
              finishReason: { unified: "stop", raw: "stop" },
              usage: {
                inputTokens: { total: 7, noCache: 5, cacheRead: 2, cacheWrite: 0 },
                outputTokens: { total: 3, text: 3, reasoning: 0 },
              },
            });
            c.close();
          },
        }),
      },
    });
    const a = agent({ name: "mocked", instructions: "Be brief.", model });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, "hi");
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.output).toMatchObject({
      text: "hello from the mock",
      usage: { input: 7, output: 3, cached: 2 },
    });
    expect(model.doStreamCalls[0]?.prompt[0]).toEqual({ role: "system", content: "Be brief." });
  });

  it("stops at maxTurns, and on a tool loop, with the reason", async () => {
    const looping = scriptedModel({
      name: "loop",
      respond: () => ({ toolCalls: [{ name: "add", args: { a: 1, b: 1 } }] }),
    });
    const a = agent({ name: "looper", instructions: "", model: looping, tools: { add }, loopLimit: 3 });
    const b = agent({
      name: "turny",
      instructions: "",
      model: looping,
      tools: { add },
      maxTurns: 2,
      loopLimit: 10,
    });
    const h = await harness([a.workflow, b.workflow]);
    const r1 = await h.engine.start(a.workflow, "go");
    const r2 = await h.engine.start(b.workflow, "go");
    await h.drain();
    expect((await h.journal.getRunSummary("default", r1.runId))?.error?.message).toMatch(
      /^tool-loop: the model made the same tool call 3 turns in a row/,
    );
    expect((await h.journal.getRunSummary("default", r2.runId))?.error?.message).toMatch(
      /^max-turns: the agent made 2 model calls/,
    );
  });

  it("stops when the token budget is spent", async () => {
    const { model } = listModel([
      { toolCalls: [{ name: "add", args: { a: 1, b: 2 } }], usage: { input: 600, output: 500 } },
    ]);
    const a = agent({ name: "spender", instructions: "", model, tools: { add }, budget: { tokens: 1000 } });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, "go");
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.error?.message).toBe(
      "token-budget: the run used 1100 tokens, over its budget of 1000",
    );
  });

  it('a budget with onExceed "ask" pauses the run for a person to raise it', async () => {
    const { model } = listModel([
      { toolCalls: [{ name: "add", args: { a: 1, b: 2 } }], usage: { input: 600, output: 500 } },
      { toolCalls: [{ name: "add", args: { a: 2, b: 2 } }], usage: { input: 600, output: 500 } },
      { text: "4", usage: { input: 10, output: 1 } },
    ]);
    const a = agent({
      name: "asker",
      instructions: "",
      model,
      tools: { add },
      budget: { tokens: 1000, onExceed: "ask" },
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, "go");
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    const [first] = await h.journal.listApprovals("default", { status: "pending" });
    expect(first?.title).toBe("asker is over its budget");
    await h.engine.decide(first!.id, { approve: true, by: "ops" }); // raise by the original size: 2000
    await h.drain();
    const [second] = await h.journal.listApprovals("default", { status: "pending" });
    await h.engine.decide(second!.id, { approve: true, by: "ops", editedArgs: { tokens: 5000 } });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.output).toMatchObject({ text: "4" });

    const b = agent({
      name: "asker2",
      instructions: "",
      model: listModel([
        { toolCalls: [{ name: "add", args: { a: 1, b: 2 } }], usage: { input: 900, output: 200 } },
      ]).model,
      tools: { add },
      budget: { tokens: 1000, onExceed: "ask" },
    });
    const h2 = await harness([b.workflow]);
    const r2 = await h2.engine.start(b.workflow, "go");
    await h2.drain();
    const [req] = await h2.journal.listApprovals("default", { status: "pending" });
    await h2.engine.decide(req!.id, { approve: false, by: "ops", reason: "enough" });
    await h2.drain();
    expect((await h2.journal.getRunSummary("default", r2.runId))?.error?.message).toMatch(/^token-budget/);
  });

  it('checkpoint "turn" records one step per turn', async () => {
    const { model } = listModel([{ toolCalls: [{ name: "add", args: { a: 1, b: 2 } }] }, { text: "3" }]);
    const a = agent({ name: "turns", instructions: "", model, tools: { add }, checkpoint: "turn" });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, "go");
    await h.drain();
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => s.stepId)).toEqual(["turn", "turn#2"]);
    expect((await h.journal.getRun("default", runId))?.output).toMatchObject({ text: "3" });
  });
});
