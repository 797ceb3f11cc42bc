import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { forkWithChanges } from "../../src/agent/fork-agent-run.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { workflow } from "../../src/engine/workflow.js";
import { CairnError, ErrorCode } from "../../src/shared/errors.js";
import { Counter, harness } from "../helpers.js";

const BIG = "y".repeat(100 * 1024);

function pipeline(counter: Counter) {
  return workflow<{ base: number }>("pipeline", async ({ input, step: s }) => {
    const a = await s.run("a", () => {
      counter.hit("a");
      return input.base + 1;
    });
    const blob = await s.run("blob", () => {
      counter.hit("blob");
      return BIG;
    });
    const b = await s.run("b", () => {
      counter.hit("b");
      return a * 2;
    });
    const c = await s.run("c", () => {
      counter.hit("c");
      return `c saw ${b}`;
    });
    return { a, b, c, blob: blob.length };
  });
}

describe("fork: rerun from a step with changes", () => {
  it("reuses the steps before the fork step, runs the rest, and sees replaced outputs; the original is untouched", async () => {
    const counter = new Counter();
    const wf = pipeline(counter);
    const h = await harness([wf]);
    const original = await h.engine.start(wf, { base: 1 });
    await h.drain();
    expect(await original.result()).toEqual({ a: 2, b: 4, c: "c saw 4", blob: BIG.length });
    const blobsBefore = await h.sql("SELECT COUNT(*) AS n FROM blobs");

    // From "b", with a's result replaced: a and blob are not run again; b and c see the new a.
    const fork = await h.engine.fork(original.runId, { from: "b", stepOutputs: { a: 100 } });
    expect(fork).toMatchObject({ status: "queued", forkedFrom: { runId: original.runId, stepId: "b" } });
    await h.drain();
    const forked = await h.journal.getRun("default", fork.id);
    expect(forked).toMatchObject({ status: "completed", output: { a: 100, b: 200, c: "c saw 200" } });
    expect([counter.get("a"), counter.get("blob"), counter.get("b"), counter.get("c")]).toEqual([1, 1, 2, 2]);
    // The large result before the fork is shared, not copied.
    expect(await h.sql("SELECT COUNT(*) AS n FROM blobs")).toEqual(blobsBefore);

    // Replacing the fork step's own result: it is not run; the step after it sees the value.
    const given = await h.engine.fork(original.runId, { from: "b", stepOutputs: { b: 7 } });
    await h.drain();
    expect((await h.journal.getRun("default", given.id))?.output).toMatchObject({ b: 7, c: "c saw 7" });
    expect(counter.get("b")).toBe(2);

    // A new input: the reused steps keep their results; later steps read the new input.
    const input = await h.engine.fork(original.runId, { from: "a", input: { base: 10 } });
    await h.drain();
    expect((await h.journal.getRun("default", input.id))?.output).toMatchObject({ a: 11, b: 22 });

    // The original is as it was.
    const still = await h.journal.getRun("default", original.runId);
    expect(still).toMatchObject({ status: "completed", forkedFrom: null, output: { b: 4 } });
    expect((await h.journal.loadSteps("default", original.runId)).map((s) => s.output)).toEqual([
      2,
      BIG,
      4,
      "c saw 4",
    ]);
  });

  it("refuses an unknown step with the run's steps listed, and an output for a step after the fork", async () => {
    const counter = new Counter();
    const wf = pipeline(counter);
    const h = await harness([wf]);
    const original = await h.engine.start(wf, { base: 1 });
    await h.drain();
    const unknown = await h.engine.fork(original.runId, { from: "nope" }).catch((e: unknown) => e);
    expect(CairnError.is(unknown, ErrorCode.StepNotFound)).toBe(true);
    expect((unknown as Error).message).toContain("a, blob, b, c");
    const later = await h.engine
      .fork(original.runId, { from: "b", stepOutputs: { c: "x" } })
      .catch((e: unknown) => e);
    expect(CairnError.is(later, ErrorCode.InvalidInput)).toBe(true);
    const missing = await h.engine.fork("run_missing", { from: "a" }).catch((e: unknown) => e);
    expect(CairnError.is(missing, ErrorCode.RunNotFound)).toBe(true);
    expect(await h.journal.listRuns("default")).toHaveLength(1);
  });

  it("an agent forked at its caption call with new instructions does not call the image tool again", async () => {
    let images = 0;
    const systems: string[] = [];
    const model = scriptedModel({
      name: "poster",
      respond(prompt: LanguageModelV3Prompt) {
        const system = prompt.find((m) => m.role === "system");
        systems.push(typeof system?.content === "string" ? system.content : "");
        const hasImage = prompt.some((m) => m.role === "tool");
        if (!hasImage) return { text: "Drawing.", toolCalls: [{ name: "image", args: { prompt: "cairn" } }] };
        return { text: `Caption in the style of: ${systems.at(-1)}` };
      },
    });
    const poster = agent({
      name: "poster",
      instructions: "plain",
      model,
      tools: {
        image: tool({
          description: "draws",
          input: z.object({ prompt: z.string() }),
          execute: () => {
            images++;
            return { path: `/img/${images}.svg` };
          },
        }),
      },
    });
    const h = await harness([poster.workflow]);
    const run = await h.engine.start(poster.workflow, { message: "a post about cairns" });
    await h.drain();
    expect(await run.result()).toMatchObject({ text: "Caption in the style of: plain" });
    expect(images).toBe(1);
    const steps = (await h.journal.loadSteps("default", run.runId)).map((s) => s.stepId);
    expect(steps).toEqual(["model", "tool.image", "model#2"]);

    const agents = new Map([[poster.name, poster]]);
    const fork = await forkWithChanges(h.engine, agents, run.runId, {
      from: "model#2",
      agent: { instructions: "haiku" },
    });
    await h.drain();
    const forked = await h.journal.getRun("default", fork.id);
    expect(forked?.output).toMatchObject({ text: "Caption in the style of: haiku" });
    expect(images).toBe(1);
    // Only the caption call was sent again, with the new instructions.
    expect(systems).toEqual(["plain", "plain", "haiku"]);

    // A model or instructions cannot be changed for a workflow run, nor set to a non-spec.
    const bad = await forkWithChanges(h.engine, agents, run.runId, {
      from: "model#2",
      agent: { model: "gpt-4" },
    }).catch((e: unknown) => e);
    expect((bad as Error).message).toContain("not a model spec");
  });
});
