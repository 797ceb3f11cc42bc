/**
 * Provider failures through the REAL AI SDK providers and the fake model server: a 429 waits its
 * Retry-After durably, a 500 and a cut stream are retried with backoff, a 401 fails at once.
 * Time moves with the harness's ManualClock: nothing here sleeps for real.
 */
import { describe, expect, it } from "vitest";
import { APIS, agentHarness, deltasOf, useFakeServer } from "./support.js";

const fake = useFakeServer();

describe.each(APIS)("model errors over $name", (api) => {
  it("a 429 with Retry-After 7 leaves the run waiting 7 s; then it completes with exactly 2 requests", async () => {
    const server = fake.server;
    server.script([{ error: { status: 429, retryAfter: 7 } }, { text: "Back after the rate limit." }]);
    const h = await agentHarness({ model: api.model(server) });
    const runId = await h.run("hello");

    const waiting = await h.summary(runId);
    expect(waiting.status).toBe("waiting");
    expect(waiting.wakeAt).toBe(h.clock.now() + 7000);
    expect(server.requests).toHaveLength(1);
    const model = (await h.steps(runId))[0]!;
    expect(model).toMatchObject({ stepId: "model", status: "retrying" });
    expect(model.error?.message).toContain("HTTP 429");

    await h.advance(6999);
    expect(server.requests).toHaveLength(1);
    expect((await h.summary(runId)).status).toBe("waiting");

    await h.advance(1);
    expect((await h.summary(runId)).status).toBe("completed");
    expect((await h.output(runId)).text).toBe("Back after the rate limit.");
    expect(server.requests).toHaveLength(2);
  });

  it("a 500 is retried with backoff and the run completes", async () => {
    const server = fake.server;
    server.script([{ error: { status: 500 } }, { text: "Recovered." }]);
    const h = await agentHarness({ model: api.model(server) });
    const runId = await h.run("hello");

    const waiting = await h.summary(runId);
    expect(waiting.status).toBe("waiting");
    expect(waiting.wakeAt).toBeGreaterThan(h.clock.now());
    expect(server.requests).toHaveLength(1);

    await h.advance(2000); // the model step's first backoff is at most its initial 2 s
    expect((await h.summary(runId)).status).toBe("completed");
    expect((await h.output(runId)).text).toBe("Recovered.");
    expect(server.requests).toHaveLength(2);
    expect((await h.steps(runId))[0]).toMatchObject({ stepId: "model", status: "completed", attempt: 2 });
  });

  it("a 401 fails the run at once with a non-retriable error naming the provider's message and the API key", async () => {
    const server = fake.server;
    server.script([{ error: { status: 401, message: "Incorrect API key provided: sk-wrong" } }]);
    const h = await agentHarness({ model: api.model(server) });
    const runId = await h.run("hello");

    const run = await h.summary(runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "NonRetriableError", code: "CAIRN_NON_RETRIABLE" });
    expect(run.error?.message).toContain("Incorrect API key provided: sk-wrong");
    expect(run.error?.message).toContain("check the API key");
    expect(run.error?.message).toContain("HTTP 401");
    await h.advance(3_600_000);
    expect(server.requests).toHaveLength(1);
  });

  it("a stream cut mid-way is retried and completes with the full answer", async () => {
    const server = fake.server;
    server.script([
      { cutAfterChunks: 2, text: "This answer will be cut." },
      { text: "This answer arrives whole." },
    ]);
    const h = await agentHarness({ model: api.model(server) });
    const runId = await h.run("hello");

    expect((await h.summary(runId)).status).toBe("waiting");
    expect(deltasOf(h.events, "model")).toEqual(["This", " ans"]);
    const cut = (await h.steps(runId))[0]!;
    expect(cut.status).toBe("retrying");

    await h.advance(2000);
    expect((await h.summary(runId)).status).toBe("completed");
    expect(await h.output(runId)).toMatchObject({ text: "This answer arrives whole.", turns: 1 });
    expect(server.requests).toHaveLength(2);
  });
});
