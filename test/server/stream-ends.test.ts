import { Agent as HttpAgent, request } from "node:http";
import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { CairnClient } from "../../src/client/cairn-client.js";
import type { SseMessage } from "../../src/client/sse.js";
import { workflow } from "../../src/engine/workflow.js";
import { NonRetriableError } from "../../src/shared/errors.js";
import { within } from "../helpers.js";
import { chatAgent, shipIt } from "./fixtures.js";
import type { ServerHarness } from "./support.js";
import { eventually, serverHarness } from "./support.js";

/** Ends its run failed: its one step throws. */
const kaboom = workflow("kaboom", async ({ step }) => {
  await step.run("explode", () => {
    throw new NonRetriableError("kaboom");
  });
});

/** An agent whose model fails on every call: its session's runs end failed. */
const broken = agent({
  name: "broken",
  instructions: "You fail.",
  model: scriptedModel({
    name: "script",
    respond: () => {
      throw new NonRetriableError("kaboom");
    },
  }),
});

const data = (m: SseMessage) => JSON.parse(m.data);

/** A HEAD over a connection the client keeps open afterwards, as a keep-alive client does. */
function head(agent: HttpAgent, url: string, key: string) {
  return new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
    const req = request(url, {
      method: "HEAD",
      agent,
      headers: { authorization: `Bearer ${key}` },
      timeout: 20_000,
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"] });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to HEAD ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

/** Reads a session stream until the run.ended of `runId`, failing after the reader's deadline. */
async function untilEnded(stream: { next(n: number): Promise<SseMessage[]> }, runId: string) {
  const seen: SseMessage[] = [];
  while (!seen.some((e) => e.event === "run.ended" && data(e).runId === runId))
    seen.push(...(await stream.next(1)));
  return seen;
}

/** A finished run of `kaboom` and its whole stream. */
async function endedRun(s: ServerHarness, k: string): Promise<{ runId: string; events: SseMessage[] }> {
  const started = await s.call("POST", "/v1/runs", { key: k, body: { workflow: "kaboom" } });
  const runId = started.body.run.id as string;
  await s.drain();
  const events = await (await s.sse(`/v1/runs/${runId}/stream`, { key: k })).rest();
  expect(events.at(-1)?.event).toBe("run.ended");
  return { runId, events };
}

describe("streams hold nothing once their client cannot read them", () => {
  it("answers HEAD with the headers and no subscription, and the server still shuts down", async () => {
    const helper = chatAgent();
    const s = await serverHarness([shipIt], { agents: [helper] });
    const k = await s.key(["read", "run"]);
    // Neither run ends (no worker, an approval nobody gives): a subscription would stay open.
    const run = await s.call("POST", "/v1/runs", { key: k, body: { workflow: "ship-it" } });
    await s.call("POST", "/v1/sessions/helper/chat-1/messages", { key: k, body: { message: "hi" } });
    const agent = new HttpAgent({ keepAlive: true });
    try {
      for (const path of [
        `/v1/runs/${run.body.run.id}/stream`,
        "/v1/sessions/helper/chat-1/stream",
        "/v1/events",
      ]) {
        const answer = await head(agent, s.url + path, k);
        expect(answer, path).toEqual({ status: 200, type: "text/event-stream" });
        // Nothing subscribed for it: the connection stays open, so nothing would release it.
        expect(s.cairn.services.hub.stats.subscribers, path).toBe(0);
      }
    } finally {
      agent.destroy();
    }
    await within(s.server.close(), "the server to shut down after HEAD requests on streams", 10_000);
  });

  it("writes GET streams straight to Node's socket (no-transform) and releases a client that goes away", async () => {
    const helper = chatAgent();
    const s = await serverHarness([shipIt], { agents: [helper] });
    const k = await s.key(["read", "run"]);
    const run = await s.call("POST", "/v1/runs", { key: k, body: { workflow: "ship-it" } });
    await s.call("POST", "/v1/sessions/helper/chat-1/messages", { key: k, body: { message: "hi" } });
    const streams = await Promise.all(
      [`/v1/runs/${run.body.run.id}/stream`, "/v1/sessions/helper/chat-1/stream", "/v1/events"].map((p) =>
        s.sse(p, { key: k }),
      ),
    );
    // Only the Node path sends this header: Hono's streamSSE would say "no-cache" alone.
    for (const stream of streams) expect(stream.headers.get("cache-control")).toBe("no-cache, no-transform");
    await eventually("the run and session streams subscribed", () =>
      Promise.resolve(s.cairn.services.hub.stats.subscribers === 2),
    );
    for (const stream of streams) stream.close();
    await eventually("the subscriptions of the closed streams released", () =>
      Promise.resolve(s.cairn.services.hub.stats.subscribers === 0 && s.cairn.services.hub.stats.runs === 0),
    );
  });
});

describe("a stream resumed after its run ended", () => {
  it("answers 204 from run.ended's id or any later one, so clients stop reconnecting, and refuses ids beyond a safe integer", async () => {
    const s = await serverHarness([kaboom]);
    const k = await s.key(["read", "run"]);
    const { runId, events } = await endedRun(s, k);
    const endedSeq = Number(events.at(-1)!.id);
    const path = `/v1/runs/${runId}/stream`;
    const lastOne = await s.sse(path, { key: k, headers: { "last-event-id": String(endedSeq - 1) } });
    expect(await lastOne.rest(10_000)).toEqual(events.slice(-1));
    for (const [query, lastEventId] of [
      ["", String(endedSeq)],
      ["", String(endedSeq + 100)],
      ["", String(Number.MAX_SAFE_INTEGER)],
      [`?startIndex=${endedSeq}`, undefined],
      [`?startIndex=${Number.MAX_SAFE_INTEGER}`, undefined],
    ] as const) {
      const resumed = await s.sse(path + query, {
        key: k,
        ...(lastEventId !== undefined ? { headers: { "last-event-id": lastEventId } } : {}),
      });
      expect(resumed.status, `${query} ${lastEventId}`).toBe(204);
    }
    // Cairn's client, resuming there, ends instead of reconnecting for ever.
    const client = new CairnClient({ baseUrl: s.url, apiKey: k });
    const drain = async () => {
      const got = [];
      for await (const e of client.stream(runId, { after: endedSeq })) got.push(e);
      return got;
    };
    const after = await within(drain(), "the client's stream resumed after run.ended to end", 10_000);
    expect(after).toEqual([]);
    for (const [query, lastEventId] of [
      ["", "99999999999999999999"],
      ["?startIndex=99999999999999999999", undefined],
    ] as const) {
      const absurd = await s.call("GET", path + query, {
        key: k,
        ...(lastEventId !== undefined ? { headers: { "last-event-id": lastEventId } } : {}),
      });
      expect(absurd.status, `${query} ${lastEventId}`).toBe(400);
      expect(absurd.body.error.code).toBe("CAIRN_INVALID_INPUT");
    }
    await eventually("no subscription left by the resumed streams", () =>
      Promise.resolve(s.cairn.services.hub.stats.subscribers === 0),
    );
  });

  it("a session stream resumed at a finished run's run.ended delivers all of the next run, like a fresh one", async () => {
    const helper = chatAgent();
    const s = await serverHarness([], { agents: [helper] });
    const k = await s.key(["read", "run"]);
    s.startWorker();
    const first = await s.call("POST", "/v1/sessions/helper/chat-1/messages", {
      key: k,
      body: { message: "hello" },
    });
    const firstRunId = first.body.runId as string;
    const before = await untilEnded(await s.sse("/v1/sessions/helper/chat-1/stream", { key: k }), firstRunId);
    const lastSeen = before.at(-1)!.id!;
    expect(lastSeen).toMatch(new RegExp(`^${firstRunId}:\\d+$`));
    // The session is idle between answers when both connect.
    const [resumed, fresh] = await Promise.all([
      s.sse("/v1/sessions/helper/chat-1/stream", { key: k, headers: { "last-event-id": lastSeen } }),
      s.sse("/v1/sessions/helper/chat-1/stream", { key: k }),
    ]);
    const second = await s.call("POST", "/v1/sessions/helper/chat-1/messages", {
      key: k,
      body: { message: "again" },
    });
    const secondRunId = second.body.runId as string;
    const [fromResumed, fromFresh] = await Promise.all([
      untilEnded(resumed, secondRunId),
      untilEnded(fresh, secondRunId),
    ]);
    const ofSecond = fromFresh.filter((e) => data(e).runId === secondRunId);
    expect(ofSecond[0]!.id).toBe(`${secondRunId}:1`);
    expect(fromResumed).toEqual(ofSecond);
    // Opened, not read to its end: a stream that was wrongly accepted would not end.
    const absurd = await s.sse("/v1/sessions/helper/chat-1/stream", {
      key: k,
      headers: { "last-event-id": `${firstRunId}:99999999999999999999` },
    });
    expect(absurd.status).toBe(400);
  });
});

describe("errors in streamed events", () => {
  it("run.ended carries the error's name, message and code, never its stack (run and session streams)", async () => {
    const s = await serverHarness([kaboom], { agents: [broken] });
    const k = await s.key(["read", "run"]);
    const { events } = await endedRun(s, k);
    const ended = data(events.at(-1)!);
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatchObject({
      name: expect.any(String),
      message: expect.stringContaining("kaboom"),
    });
    expect(ended.error.code).toEqual(expect.any(String));
    for (const e of events) expect(e.data).not.toContain('"stack"');
    const sent = await s.call("POST", "/v1/sessions/broken/chat-1/messages", {
      key: k,
      body: { message: "hello" },
    });
    expect(sent.status).toBe(202);
    await s.drain();
    const session = await untilEnded(
      await s.sse("/v1/sessions/broken/chat-1/stream", { key: k }),
      sent.body.runId,
    );
    const sessionEnded = data(session.at(-1)!);
    expect(sessionEnded.status).toBe("failed");
    expect(sessionEnded.error).toMatchObject({ message: expect.stringContaining("kaboom") });
    for (const e of session) expect(e.data).not.toContain('"stack"');
    // The run as GET shows it: the same error.
    const got = await s.call("GET", `/v1/runs/${sent.body.runId}`, { key: k });
    expect(sessionEnded.error).toEqual(got.body.run.error);
  });
});
