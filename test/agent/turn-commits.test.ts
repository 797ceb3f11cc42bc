/**
 * What an agent turn writes, and what a crash between those writes costs. A tool turn with
 * checkpoint "calls" commits twice (the model result, the tool result), the next call's intent
 * folded into the commit before it; a run cut off after a tool result's commit, inside the next
 * model call, resumes at that call, sends it once more (marked re-sent) and never sends a
 * committed call again.
 */
import type { LanguageModelV3, LanguageModelV3Prompt } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { runUsage } from "../../src/agent/run-usage.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { silentLogger } from "../../src/shared/logger.js";
import type { Journal } from "../../src/store/journal.js";
import { harness } from "../helpers.js";

const WS = "default";
const TURNS = 5;

/** Tool turns the prompt holds so far. */
function toolTurns(prompt: LanguageModelV3Prompt): number {
  return prompt.filter((m) => m.role === "tool").length;
}

/** Calls `step({ i })` for turns 1..`turns`, then answers "done". Records each prompt's tool turns. */
function steppingModel(turns: number) {
  const seen: number[] = [];
  const model = scriptedModel({
    name: "stepper",
    respond: (prompt) => {
      const done = toolTurns(prompt);
      seen.push(done);
      return done < turns ? { toolCalls: [{ name: "step", args: { i: done + 1 } }] } : { text: "done" };
    },
  });
  return { model, seen };
}

function stepTool(onCall: () => void | Promise<void> = () => {}) {
  return tool({
    description: "Takes a step",
    input: z.object({ i: z.number() }),
    execute: async ({ i }) => {
      await onCall();
      return { took: i };
    },
  });
}

/** Counts the journal's step writes from now on: intents recorded, and steps committed. */
function countWrites(journal: Journal) {
  const counts = { intents: 0, commits: 0 };
  const intent = journal.recordIntent.bind(journal);
  const commit = journal.commitStep.bind(journal);
  journal.recordIntent = (lease, start) => (counts.intents++, intent(lease, start));
  journal.commitStep = (lease, c) => (counts.commits++, commit(lease, c));
  return counts;
}

describe("an agent turn's commits", () => {
  it.each(["calls", "turn"] as const)(
    "checkpoint %s: the next call's intent rides on the commit before it",
    async (checkpoint) => {
      const { model, seen } = steppingModel(TURNS);
      const a = agent({ name: "stepper", instructions: "", model, tools: { step: stepTool() }, checkpoint });
      const h = await harness([a.workflow]);
      const writes = countWrites(h.journal);
      const { runId } = await h.engine.start(a.workflow, { message: "go" });
      await h.drain();
      expect((await h.journal.getRun(WS, runId))?.output).toMatchObject({ text: "done", turns: TURNS + 1 });
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
      // Only the run's first call records an intent of its own (nothing commits before it).
      expect(writes.intents).toBe(1);
      // calls: a model result and a tool result per tool turn, and the answer; turn: one per turn.
      expect(writes.commits).toBe(checkpoint === "calls" ? 2 * TURNS + 1 : TURNS + 1);
    },
  );

  it("after a wait (an approval), the next call records its own intent and is not taken for a re-send", async () => {
    const { model } = steppingModel(2);
    const gatedStep = tool({ ...stepTool(), needsApproval: true });
    const a = agent({ name: "stepper", instructions: "", model, tools: { step: gatedStep } });
    const h = await harness([a.workflow]);
    const writes = countWrites(h.journal);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    for (let turn = 1; turn <= 2; turn++) {
      const [pending] = await h.journal.listApprovals(WS, { status: "pending" });
      expect(pending, `approval of turn ${turn}`).toBeDefined();
      // The second is rejected: no tool step runs between the decision and the next call.
      await h.engine.decide(pending!.id, { approve: turn === 1, by: "ada" });
      await h.drain();
    }
    expect((await h.journal.getRun(WS, runId))?.status).toBe("completed");
    // The first call, and each call after an approval.
    expect(writes.intents).toBe(3);
    expect(await runUsage(h.journal, WS, runId)).toMatchObject({ modelCalls: 3, resentCalls: 0 });
  });

  it("cut off inside the model call after a tool result's commit: resumes there, re-sends it once, never a committed call", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let heldOnce = false;
    let started = false;
    const { model: inner, seen } = steppingModel(1);
    // The second model call of the first worker never answers: that worker is as good as dead.
    const model: LanguageModelV3 = {
      ...inner,
      doStream: async (options) => {
        if (toolTurns(options.prompt) === 1 && !heldOnce) {
          heldOnce = true;
          started = true;
          await held;
        }
        return inner.doStream(options);
      },
    };
    let toolRuns = 0;
    const a = agent({
      name: "stepper",
      instructions: "",
      model,
      tools: { step: stepTool(() => void toolRuns++) },
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    const first = h.worker.drain();
    const deadline = Date.now() + 20_000;
    while (!started) {
      if (Date.now() > deadline) throw new Error("the second model call never started (20 s)");
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await h.journal.loadSteps(WS, runId)).map((s) => [s.stepId, s.status])).toEqual([
      ["model", "completed"],
      ["tool.step", "completed"],
    ]);

    // Its lease lapses; a worker of another process takes the run over and finishes it.
    h.clock.advance(h.engine.leaseTtlMs + 1);
    const journal = await h.reopen();
    const other = new Engine({ journal, workflows: [a.workflow], logger: silentLogger });
    await new Worker(other).drain();
    release();
    await first;

    const run = await journal.getRun(WS, runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toMatchObject({ text: "done", turns: 2 });
    // The first call was paid once; the cut-off call twice (once unanswered); the tool ran once.
    expect(seen).toEqual([0, 1, 1]);
    expect(toolRuns).toBe(1);
    const steps = await journal.loadSteps(WS, runId);
    expect(steps.map((s) => [s.stepId, s.status, s.attempt])).toEqual([
      ["model", "completed", 1],
      ["tool.step", "completed", 1],
      ["model#2", "completed", 1],
    ]);
    expect(steps[0]!.output).not.toHaveProperty("resent");
    expect(steps[2]!.output).toMatchObject({ resent: true, text: "done" });
    expect(await runUsage(journal, WS, runId)).toMatchObject({ modelCalls: 2, resentCalls: 1 });
  });
});
