import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { tool } from "../../src/agent/tool.js";
import { checkReplay } from "../../src/engine/replay-check.js";
import type { Workflow } from "../../src/engine/workflow.js";
import { workflow } from "../../src/engine/workflow.js";
import { WorkflowRegistry } from "../../src/engine/workflow-registry.js";
import type { TestEnv } from "../../src/testing/index.js";
import { mockModel, toolCall } from "../../src/testing/index.js";
import { Counter } from "../helpers.js";
import { testEnv } from "./support.js";

const c = new Counter();

/** As shipped: reserve, charge, a day's wait, then ship; a child invoice; a sign-off. */
function orderCode(
  variant: "shipped" | "reordered" | "renamed" | "shorter" | "longer" | "throws" | "patched",
) {
  return workflow("order", async ({ step }) => {
    if (variant === "reordered") {
      await step.run("charge", () => c.hit("charge"));
      await step.run("reserve", () => c.hit("reserve"));
    } else {
      await step.run(variant === "renamed" ? "reserve-stock" : "reserve", () => c.hit("reserve"));
      await step.run("charge", () => c.hit("charge"));
    }
    if (variant === "patched" && (await step.patched("audit"))) await step.run("audit", () => c.hit("audit"));
    const [invoice] = await Promise.all([
      step.invoke("invoice", "invoice", { n: 1 }),
      step.sleep("cool-off", "1d"),
    ]);
    const ok = await step.waitForApproval("sign-off", { title: "ship it?" });
    if (variant === "throws") throw new Error("the invoice format changed");
    if (variant !== "shorter") await step.run("ship", () => c.hit("ship"));
    if (variant === "longer") await step.run("notify", () => c.hit("notify"));
    return { invoice, approved: ok.status };
  });
}
const invoice = workflow("invoice", async ({ input, step }) => step.run("render", () => ({ pdf: input })));

async function check(env: TestEnv, code: Workflow[], runIds: string[]) {
  return checkReplay({
    journal: env.journal,
    workspace: env.workspace,
    registry: new WorkflowRegistry(code),
    runIds,
  });
}

/** A completed run and one waiting for its sign-off, on the shipped code. */
async function history() {
  const env = await testEnv({ workflows: [orderCode("shipped"), invoice] });
  const done = await env.start("order");
  await env.advance("1d");
  await env.approve({ runId: done.id, step: "sign-off" });
  expect(await done.status()).toBe("completed");
  const waiting = await env.start("order");
  await env.advance("1d");
  expect(await waiting.status()).toBe("waiting");
  return { env, done: done.id, waiting: waiting.id };
}

describe("checkReplay", () => {
  it("passes completed and in-flight runs on unchanged code, running no step and writing nothing", async () => {
    const { env, done, waiting } = await history();
    const before = c.get("charge");
    const log = (await env.run(waiting).log()).length;
    const result = await check(env, [orderCode("shipped"), invoice], [done, waiting]);
    expect(result).toEqual({ passed: [done, waiting], diverged: [], skipped: [] });
    expect(c.get("charge")).toBe(before);
    expect(await env.run(waiting).log()).toHaveLength(log);
  });

  it("flags a reordered step in every run, naming the step, what the journal has and what the code does", async () => {
    const { env, done, waiting } = await history();
    const result = await check(env, [orderCode("reordered"), invoice], [done, waiting]);
    expect(result.passed).toEqual([]);
    expect(result.diverged).toHaveLength(2);
    expect(result.diverged[1]).toMatchObject({
      runId: waiting,
      workflow: "order",
      status: "waiting",
      stepId: "reserve",
      position: 1,
      expected: 'step "reserve" (run)',
      found: 'step "charge" (run)',
    });
    expect(result.diverged[1]!.message).toContain("step.patched");
  });

  it("flags a renamed step, a removed last step, and code that now throws where the run completed", async () => {
    const { env, done } = await history();
    expect((await check(env, [orderCode("renamed"), invoice], [done])).diverged[0]).toMatchObject({
      expected: 'step "reserve" (run)',
      found: 'step "reserve-stock" (run)',
    });
    expect((await check(env, [orderCode("shorter"), invoice], [done])).diverged[0]).toMatchObject({
      stepId: "ship",
      position: 6,
      found: "the workflow returns without calling it",
    });
    expect((await check(env, [orderCode("throws"), invoice], [done])).diverged[0]).toMatchObject({
      stepId: null,
      found: "the workflow throws: the invoice format changed",
    });
  });

  it("passes a step added after the last one any run reached, and a change behind step.patched", async () => {
    const { env, done, waiting } = await history();
    expect((await check(env, [orderCode("longer"), invoice], [waiting])).diverged).toEqual([]);
    expect((await check(env, [orderCode("patched"), invoice], [done, waiting])).diverged).toEqual([]);
    // Without the patched() guard the inserted audit step diverges.
    const unguarded = workflow("order", async ({ step }) => {
      await step.run("reserve", () => 1);
      await step.run("charge", () => 1);
      await step.run("audit", () => 1);
    });
    expect((await check(env, [unguarded, invoice], [waiting])).diverged[0]).toMatchObject({
      position: 3,
      found: 'step "audit" (run)',
    });
  });

  it("a run of a workflow the code no longer has: flagged while in flight, left out once ended", async () => {
    const { env, done, waiting } = await history();
    const result = await check(env, [invoice], [done, waiting]);
    expect(result.diverged.map((d) => [d.runId, d.found])).toEqual([[waiting, "not in this code"]]);
    expect(result.skipped.map((s) => s.runId)).toEqual([done]);
  });

  it("replays an agent's run without calling its model or its tools", async () => {
    const post = tool({
      description: "posts",
      input: z.object({ text: z.string() }),
      execute: () => c.hit("post"),
    });
    const model = mockModel([{ toolCalls: [toolCall("post", { text: "hi" })] }, "posted"]);
    const poster = agent({ name: "poster", instructions: "Post.", model, tools: { post } });
    const env = await testEnv({ agents: [poster] });
    const run = await env.start(poster, "post hi");
    expect(await run.status()).toBe("completed");
    const posts = c.get("post");
    const result = await check(env, [poster.workflow], [run.id]);
    expect(result).toEqual({ passed: [run.id], diverged: [], skipped: [] });
    expect(model.calls).toHaveLength(2);
    expect(c.get("post")).toBe(posts);
    // Without its tool, the agent no longer takes the recorded call: the tool step is missing.
    const toolless = agent({ name: "poster", instructions: "Post.", model });
    expect((await check(env, [toolless.workflow], [run.id])).diverged[0]).toMatchObject({
      expected: 'step "tool.post" (run)',
      found: 'step "model#2" (run)',
    });
  });
});
