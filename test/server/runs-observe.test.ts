import { describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow } from "../../src/engine/workflow.js";
import { Counter } from "../helpers.js";
import { chatAgent } from "./fixtures.js";
import { serverHarness } from "./support.js";

const counter = new Counter();

const steps = workflow(
  "steps",
  async ({ input, step }) => {
    const a = await step.run("a", () => {
      counter.hit("a");
      return input.n;
    });
    const b = await step.run("b", () => a * 10);
    return { a, b };
  },
  { input: z.object({ n: z.number() }) },
);

const waits = workflow("waits", async ({ step }) => {
  await step.waitForEvent("go", { event: "go.now" });
  return "went";
});

describe("rerun, compare, act in bulk and delete over HTTP", () => {
  it("forks a run from a step: 201 with Location and forkedFrom; earlier steps not run again", async () => {
    const s = await serverHarness([steps]);
    const k = await s.key(["read", "run"]);
    const started = await s.call("POST", "/v1/runs", {
      key: k,
      body: { workflow: "steps", input: { n: 1 } },
    });
    const id = started.body.run.id as string;
    await s.drain();
    const before = counter.get("a");
    const fork = await s.call("POST", `/v1/runs/${id}/fork`, {
      key: k,
      body: { from: "b", stepOutputs: { a: 5 } },
    });
    expect(fork.status).toBe(201);
    const forkId = fork.body.run.id as string;
    expect(fork.headers.get("location")).toBe(`/v1/runs/${forkId}`);
    expect(fork.body.run).toMatchObject({
      status: "queued",
      forkedFrom: { runId: id, stepId: "b" },
      input: { n: 1 },
    });
    await s.drain();
    const detail = await s.call("GET", `/v1/runs/${forkId}`, { key: k });
    expect(detail.body.run).toMatchObject({ status: "completed", output: { a: 5, b: 50 } });
    expect(counter.get("a")).toBe(before);
    const listed = await s.call("GET", "/v1/runs", { key: k });
    expect(listed.body.runs.find((r: { id: string }) => r.id === id).forkedFrom).toBeNull();

    // Compared: a differs (5 vs 1) and is the first divergence.
    const diff = await s.call("GET", `/v1/runs/${id}/diff/${forkId}`, { key: k });
    expect(diff.status).toBe(200);
    expect(diff.body.firstDivergence).toBe("a");
    expect(diff.body.steps.map((x: { stepId: string; same: boolean }) => [x.stepId, x.same])).toEqual([
      ["a", false],
      ["b", false],
    ]);
    expect(diff.body.steps[0].a).toMatchObject({ status: "completed", output: 1, attempts: 1, error: null });
    expect(diff.body.a.id).toBe(id);
    expect(diff.body.b.forkedFrom).toEqual({ runId: id, stepId: "b" });

    const badStep = await s.call("POST", `/v1/runs/${id}/fork`, { key: k, body: { from: "zzz" } });
    expect(badStep.status).toBe(404);
    expect(badStep.body.error.message).toContain("a, b");
    const badBody = await s.call("POST", `/v1/runs/${id}/fork`, { key: k, body: {} });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.message).toContain("body.from");
    const notAgent = await s.call("POST", `/v1/runs/${id}/fork`, {
      key: k,
      body: { from: "b", agent: { instructions: "x" } },
    });
    expect(notAgent.status).toBe(400);
    expect(notAgent.body.error.message).toContain("not of an agent");
  });

  it("compares two agent runs with tokens and cost, and reports usage per agent and model by day", async () => {
    const helper = chatAgent();
    const s = await serverHarness([], { agents: [helper] });
    const k = await s.key(["read", "run"]);
    const one = await s.call("POST", "/v1/runs", {
      key: k,
      body: { workflow: "helper", input: { message: "hi" } },
    });
    const two = await s.call("POST", "/v1/runs", {
      key: k,
      body: { workflow: "helper", input: { message: "hi" } },
    });
    await s.drain();
    const diff = await s.call("GET", `/v1/runs/${one.body.run.id}/diff/${two.body.run.id}`, { key: k });
    expect(diff.body.firstDivergence).toBeNull();
    const model = diff.body.steps.find((x: { stepId: string }) => x.stepId === "model");
    expect(model).toMatchObject({ kind: "run", same: true, a: { tokens: { input: 10, output: 40 } } });
    const usage = await s.call("GET", "/v1/usage?bucket=day", { key: k });
    expect(usage.status).toBe(200);
    expect(usage.body.buckets).toEqual([
      {
        at: Math.floor(s.clock.now() / 86_400_000) * 86_400_000,
        agent: "helper",
        model: "scripted:script",
        inputTokens: 20,
        outputTokens: 80,
        costUsd: 0,
      },
    ]);
    const empty = await s.call("GET", `/v1/usage?from=0&to=1000`, { key: k });
    expect(empty.body.buckets).toEqual([]);
    const bad = await s.call("GET", `/v1/usage?from=2000&to=1000`, { key: k });
    expect(bad.status).toBe(400);
  });

  it("bulk: a preview does nothing; the confirmed count acts; a stale count is 409; delete needs admin", async () => {
    const s = await serverHarness([waits]);
    const k = await s.key(["read", "run"]);
    const admin = await s.key(["admin"]);
    for (let i = 0; i < 3; i++) await s.call("POST", "/v1/runs", { key: k, body: { workflow: "waits" } });
    await s.drain();
    const cancel = { action: "cancel", filter: { workflow: "waits", status: "waiting" } };
    const preview = await s.call("POST", "/v1/runs/bulk", { key: k, body: cancel });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ matched: 3, confirmWith: 3 });
    expect(preview.body.runIds).toHaveLength(3);
    expect((await s.call("GET", "/v1/runs?status=waiting", { key: k })).body.runs).toHaveLength(3);
    // Another run starts meanwhile: the count no longer holds.
    await s.call("POST", "/v1/runs", { key: k, body: { workflow: "waits" } });
    await s.drain();
    const stale = await s.call("POST", "/v1/runs/bulk", { key: k, body: { ...cancel, confirm: 3 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain("4 runs match now");
    expect((await s.call("GET", "/v1/runs?status=waiting", { key: k })).body.runs).toHaveLength(4);
    const done = await s.call("POST", "/v1/runs/bulk", { key: k, body: { ...cancel, confirm: 4 } });
    expect(done.body).toMatchObject({ matched: 4, affected: 4 });
    expect((await s.call("GET", "/v1/runs?status=cancelled", { key: k })).body.runs).toHaveLength(4);

    const rerun = await s.call("POST", "/v1/runs/bulk", {
      key: k,
      body: { action: "rerun", filter: { workflow: "waits", status: "cancelled" }, confirm: 4 },
    });
    expect(rerun.body).toMatchObject({ matched: 4, affected: 4 });
    expect((await s.call("GET", "/v1/runs?status=queued", { key: k })).body.runs).toHaveLength(4);

    const del = { action: "delete", filter: { status: "cancelled" } };
    const forbidden = await s.call("POST", "/v1/runs/bulk", { key: k, body: { ...del, confirm: 4 } });
    expect(forbidden.status).toBe(403);
    const deleted = await s.call("POST", "/v1/runs/bulk", { key: admin, body: { ...del, confirm: 4 } });
    expect(deleted.body).toMatchObject({ matched: 4, affected: 4 });
    expect((await s.call("GET", "/v1/runs", { key: k })).body.runs).toHaveLength(4);
  });

  it("DELETE /v1/runs/:id: admin only, 409 while the run has not ended, then gone", async () => {
    const s = await serverHarness([waits]);
    const k = await s.key(["read", "run"]);
    const admin = await s.key(["admin"]);
    const id = (await s.call("POST", "/v1/runs", { key: k, body: { workflow: "waits" } })).body.run
      .id as string;
    await s.drain();
    expect((await s.call("DELETE", `/v1/runs/${id}`, { key: k })).status).toBe(403);
    const active = await s.call("DELETE", `/v1/runs/${id}`, { key: admin });
    expect(active.status).toBe(409);
    expect(active.body.error.message).toContain(`cairn runs cancel ${id}`);
    await s.call("POST", `/v1/runs/${id}/cancel`, { key: k });
    const gone = await s.call("DELETE", `/v1/runs/${id}`, { key: admin });
    expect(gone).toMatchObject({ status: 200, body: { runId: id, deleted: [id] } });
    expect((await s.call("GET", `/v1/runs/${id}`, { key: k })).status).toBe(404);
    expect((await s.call("DELETE", `/v1/runs/${id}`, { key: admin })).status).toBe(404);
  });
});
