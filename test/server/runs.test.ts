import { describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow } from "../../src/engine/workflow.js";
import type { ServerHarness } from "./support.js";
import { serverHarness } from "./support.js";

const greet = workflow(
  "greet",
  async ({ input, step }) => {
    const text = await step.run("hello", () => `hello ${input.name}`);
    return { text };
  },
  { input: z.object({ name: z.string() }) },
);

const parent = workflow("parent", async ({ step }) => {
  const child = await step.invoke("child", greet, { name: "child" });
  await step.sleep("nap", "1h");
  return child;
});

const pay = workflow("pay", async ({ step }) => {
  const receipt = await step.run("charge", () => ({ receipt: "r-1" }), { sideEffect: true });
  return receipt;
});

async function setup(): Promise<ServerHarness & { k: string }> {
  const s = await serverHarness([greet, parent, pay]);
  return Object.assign(s, { k: await s.key(["read", "run"]) });
}

describe("runs over HTTP", () => {
  it("starts a run: 202 with Location; the same Idempotency-Key returns the same run", async () => {
    const s = await setup();
    const started = await s.call("POST", "/v1/runs", {
      key: s.k,
      body: { workflow: "greet", input: { name: "Ada" } },
      headers: { "idempotency-key": "order-1" },
    });
    expect(started.status).toBe(202);
    const id = started.body.run.id as string;
    expect(started.headers.get("location")).toBe(`/v1/runs/${id}`);
    expect(started.body).toMatchObject({
      created: true,
      run: { workflow: "greet", status: "queued", input: { name: "Ada" } },
    });
    const again = await s.call("POST", "/v1/runs", {
      key: s.k,
      body: { workflow: "greet", input: { name: "Ada" } },
      headers: { "idempotency-key": "order-1" },
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ created: false, run: { id } });
    const other = await s.call("POST", "/v1/runs", {
      key: s.k,
      body: { workflow: "greet", input: { name: "Bo" } },
    });
    expect(other.body.run.id).not.toBe(id);
    expect((await s.engine.findRun("greet", "order-1"))?.id).toBe(id);
  });

  it("waits for the result with Prefer: wait or ?wait, and long-polls a run's result", async () => {
    const s = await setup();
    s.startWorker();
    const waited = await s.call("POST", "/v1/runs", {
      key: s.k,
      body: { workflow: "greet", input: { name: "Ada" } },
      headers: { prefer: "wait=20" },
    });
    expect(waited.status).toBe(200);
    expect(waited.body.run).toMatchObject({ status: "completed", output: { text: "hello Ada" } });
    const q = await s.call("POST", "/v1/runs?wait=20s", {
      key: s.k,
      body: { workflow: "greet", input: { name: "Bo" } },
    });
    expect(q.status).toBe(200);
    expect(q.body.run.output).toEqual({ text: "hello Bo" });
    const result = await s.call("GET", `/v1/runs/${q.body.run.id}/result`, { key: s.k });
    expect(result).toMatchObject({
      status: 200,
      body: { status: "completed", output: { text: "hello Bo" } },
    });
  });

  it("answers 202 when the run has not ended within the wait, then 200 once it has", async () => {
    const s = await setup();
    const started = await s.call("POST", "/v1/runs", {
      key: s.k,
      body: { workflow: "greet", input: { name: "Cy" } },
    });
    const id = started.body.run.id as string;
    const t0 = Date.now();
    const pending = await s.call("GET", `/v1/runs/${id}/result?wait=300ms`, { key: s.k });
    expect(pending.status).toBe(202);
    expect(pending.body).toEqual({ runId: id, status: "queued" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    const polling = s.call("GET", `/v1/runs/${id}/result?wait=20s`, { key: s.k });
    await s.drain();
    expect((await polling).body).toMatchObject({ status: "completed", output: { text: "hello Cy" } });
  });

  it("gets a run with its steps, attempts, usage and child runs", async () => {
    const s = await setup();
    const started = await s.call("POST", "/v1/runs", { key: s.k, body: { workflow: "parent" } });
    const id = started.body.run.id as string;
    await s.drain();
    await s.drain();
    const got = await s.call("GET", `/v1/runs/${id}`, { key: s.k });
    expect(got.status).toBe(200);
    expect(got.body.run).toMatchObject({ id, workflow: "parent", status: "waiting" });
    expect(got.body.steps.map((x: { stepId: string; status: string }) => [x.stepId, x.status])).toEqual([
      ["child", "completed"],
      ["nap", "waiting"],
    ]);
    expect(got.body.steps[0].output).toMatchObject({ status: "completed", output: { text: "hello child" } });
    expect(got.body.children).toHaveLength(1);
    expect(got.body.children[0]).toMatchObject({ workflow: "greet", status: "completed", parentRunId: id });
    expect(got.body.usage).toMatchObject({ modelCalls: 0, usage: { input: 0, output: 0 } });
    expect(got.body.attempts).toEqual([]);
    const children = await s.call("GET", `/v1/runs?parent=${id}`, { key: s.k });
    expect(children.body.runs.map((r: { id: string }) => r.id)).toEqual([got.body.children[0].id]);
  });

  it("lists runs newest first, filtered by status, workflow and time, a page at a time", async () => {
    const s = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await s.call("POST", "/v1/runs", {
        key: s.k,
        body: { workflow: "greet", input: { name: `n${i}` } },
      });
      ids.push(r.body.run.id as string);
      s.clock.advance(1000);
    }
    await s.call("POST", "/v1/runs", { key: s.k, body: { workflow: "pay" } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { runs: { id: string }[]; nextCursor: string | null } } = await s.call(
        "GET",
        `/v1/runs?workflow=greet&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { key: s.k },
      );
      seen.push(...page.body.runs.map((r) => r.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);
    const t2 = (await s.journal.getRunSummary("default", ids[2]!))!.createdAt;
    const since = await s.call("GET", `/v1/runs?workflow=greet&createdAfter=${t2}`, { key: s.k });
    expect(since.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[3], ids[2]]);
    const iso = new Date(t2).toISOString();
    const before = await s.call("GET", `/v1/runs?createdBefore=${encodeURIComponent(iso)}`, { key: s.k });
    expect(before.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[1], ids[0]]);
    const queued = await s.call("GET", "/v1/runs?status=queued&workflow=pay", { key: s.k });
    expect(queued.body.runs).toHaveLength(1);
    const bad = await s.call("GET", "/v1/runs?status=sleeping", { key: s.k });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("query.status");
    const badCursor = await s.call("GET", "/v1/runs?cursor=nonsense", { key: s.k });
    expect(badCursor.status).toBe(400);
  });

  it("cancels a run", async () => {
    const s = await setup();
    const started = await s.call("POST", "/v1/runs", { key: s.k, body: { workflow: "parent" } });
    const id = started.body.run.id as string;
    await s.drain();
    await s.drain();
    const cancelled = await s.call("POST", `/v1/runs/${id}/cancel`, {
      key: s.k,
      body: { reason: "changed my mind" },
    });
    expect(cancelled).toMatchObject({ status: 200, body: { runId: id, status: "cancelled" } });
    const noBody = await s.call("POST", `/v1/runs/${id}/cancel`, { key: s.k });
    expect(noBody.status).toBe(200);
    const run = await s.call("GET", `/v1/runs/${id}`, { key: s.k });
    expect(run.body.run).toMatchObject({ status: "cancelled", reason: "changed my mind" });
  });

  it("retries and skips the interrupted step of a needs-attention run", async () => {
    const s = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await s.call("POST", "/v1/runs", { key: s.k, body: { workflow: "pay" } });
      ids.push(r.body.run.id as string);
      // Leave it as a crash would: intent recorded, no result, lease expired.
      const lease = await s.engine.claimRun(r.body.run.id as string);
      await s.journal.recordIntent(lease!, {
        stepId: "charge",
        seq: 0,
        kind: "run",
        attempt: 1,
        startedAt: s.clock.now(),
        sideEffect: true,
      });
      s.clock.advance(60_000);
      await s.drain();
      expect((await s.call("GET", `/v1/runs/${r.body.run.id}`, { key: s.k })).body.run.status).toBe(
        "needs-attention",
      );
    }
    const retried = await s.call("POST", `/v1/runs/${ids[0]}/steps/charge/retry`, { key: s.k });
    expect(retried).toMatchObject({ status: 200, body: { status: "queued" } });
    const skipped = await s.call("POST", `/v1/runs/${ids[1]}/steps/charge/skip`, {
      key: s.k,
      body: { output: { receipt: "manual" } },
    });
    expect(skipped.status).toBe(200);
    await s.drain();
    expect((await s.call("GET", `/v1/runs/${ids[0]}/result`, { key: s.k })).body.output).toEqual({
      receipt: "r-1",
    });
    expect((await s.call("GET", `/v1/runs/${ids[1]}/result`, { key: s.k })).body.output).toEqual({
      receipt: "manual",
    });
    const notAttention = await s.call("POST", `/v1/runs/${ids[0]}/steps/charge/retry`, { key: s.k });
    expect(notAttention.status).toBeGreaterThanOrEqual(400);
    expect(notAttention.status).toBeLessThan(500);
  });

  it("answers malformed requests with 400 naming the field, unknown workflows with 404", async () => {
    const s = await setup();
    const cases: [unknown, string][] = [
      [{}, "body.workflow"],
      [{ workflow: 12 }, "body.workflow"],
      [{ workflow: "greet", runAt: "soon" }, "body.runAt"],
    ];
    for (const [body, field] of cases) {
      const r = await s.call("POST", "/v1/runs", { key: s.k, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("CAIRN_INVALID_INPUT");
      expect(r.body.error.message).toContain(field);
    }
    const notJson = await s.call("POST", "/v1/runs", { key: s.k, rawBody: "{not json" });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe("CAIRN_INVALID_INPUT");
    const badInput = await s.call("POST", "/v1/runs", {
      key: s.k,
      body: { workflow: "greet", input: { name: 3 } },
    });
    expect(badInput.status).toBe(400);
    expect(badInput.body.error.message).toContain("name");
    const unknown = await s.call("POST", "/v1/runs", { key: s.k, body: { workflow: "nope" } });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "CAIRN_UNKNOWN_WORKFLOW" } } });
    const badWait = await s.call("POST", "/v1/runs?wait=forever", {
      key: s.k,
      body: { workflow: "greet", input: { name: "a" } },
    });
    expect(badWait.status).toBe(400);
    expect(badWait.body.error.message).toContain("query.wait");
    const noRoute = await s.call("GET", "/v1/nothing", { key: s.k });
    expect(noRoute).toMatchObject({ status: 404, body: { error: { code: "CAIRN_NOT_FOUND" } } });
  });

  it("answers a run's input or an event's data nested too deeply to store with 400, not 500", async () => {
    const s = await setup();
    // Parses fine, but storing it would run the stack out.
    const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    for (const [path, body] of [
      ["/v1/runs", `{"workflow":"pay","input":${deep}}`],
      ["/v1/events", `{"name":"deep","data":${deep}}`],
    ]) {
      const r = await s.call("POST", path!, { key: s.k, rawBody: body });
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error.code).toBe("CAIRN_UNSERIALIZABLE");
      expect(r.body.error.message).toContain("nested too deeply");
    }
    const listed = await s.call("GET", "/v1/runs", { key: s.k });
    expect(listed.body.runs).toEqual([]);
  });
});
