import { describe, expect, it } from "vitest";
import type { SseMessage } from "../../src/client/sse.js";
import { workflow } from "../../src/engine/workflow.js";
import { Entry } from "../../src/store/entry-types.js";
import { chatAgent, shipIt } from "./fixtures.js";
import type { ServerHarness } from "./support.js";
import { eventually, gate, serverHarness } from "./support.js";

let release = gate();
let failFirst = false;

/** Says three words, waits for the test, says two more; with failFirst, attempt 1 fails mid-way. */
const speaker = workflow("speaker", async ({ step }) => {
  await step.run("warm-up", () => "ready");
  const said = await step.run(
    "speak",
    async (ctx) => {
      for (const w of ["one ", "two ", "three "]) ctx.progress({ type: "text-delta", text: w });
      if (failFirst && ctx.attempt === 1) throw new Error("the model dropped the connection");
      await release.promise;
      for (const w of ["four ", "five "]) ctx.progress({ type: "text-delta", text: w });
      return "one two three four five";
    },
    { retries: 2, backoff: { initial: 0 } },
  );
  return { said };
});

const data = (m: SseMessage) => JSON.parse(m.data);
const tokens = (events: SseMessage[]) =>
  events
    .filter((e) => e.event === Entry.StepProgress)
    .flatMap((e) => (data(e).data.parts as { text: string }[]).map((p) => p.text))
    .join("");

async function setup(): Promise<ServerHarness & { k: string; start(): Promise<string> }> {
  release = gate();
  failFirst = false;
  const s = await serverHarness([speaker]);
  const k = await s.key(["read", "run"]);
  s.startWorker();
  return Object.assign(s, {
    k,
    start: async () =>
      (await s.call("POST", "/v1/runs", { key: k, body: { workflow: "speaker" } })).body.run.id as string,
  });
}

/** Waits until the run's log holds `n` step.progress entries. */
async function progressStored(s: ServerHarness, runId: string, n: number): Promise<void> {
  await eventually(`${n} step.progress entries of run ${runId}`, async () => {
    const entries = await s.journal.readEntries("default", runId);
    return entries.filter((e) => e.type === Entry.StepProgress).length >= n;
  });
}

describe("run streams over SSE", () => {
  it("streams every step, the tokens and the result, each event with an id, then ends", async () => {
    const s = await setup();
    const runId = await s.start();
    const stream = await s.sse(`/v1/runs/${runId}/stream`, { key: s.k });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    await progressStored(s, runId, 1);
    release.open();
    const events = await stream.rest();
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.event);
    expect(types[0]).toBe("run.created");
    expect(types).toContain("run.started");
    expect(types.at(-1)).toBe("run.ended");
    expect(tokens(events)).toBe("one two three four five ");
    const ended = events.filter((e) => e.event === "step.ended").map(data);
    expect(ended.map((e) => [e.stepId, e.output])).toEqual([
      ["warm-up", "ready"],
      ["speak", "one two three four five"],
    ]);
    expect(data(events.at(-1)!)).toMatchObject({
      status: "completed",
      output: { said: "one two three four five" },
    });
    // Every token before the step's result.
    const lastToken = events.findLastIndex((e) => e.event === Entry.StepProgress);
    expect(lastToken).toBeLessThan(
      events.findIndex((e) => e.event === "step.ended" && data(e).stepId === "speak"),
    );
  });

  it("a client joining mid-step first gets the tokens the step already produced", async () => {
    const s = await setup();
    const runId = await s.start();
    await progressStored(s, runId, 1);
    const late = await s.sse(`/v1/runs/${runId}/stream`, { key: s.k });
    const seen: SseMessage[] = [];
    await eventually("the tokens said so far", async () => {
      seen.push(...(await late.next(1)));
      return tokens(seen) === "one two three ";
    });
    expect(seen.some((e) => e.event === "step.ended" && data(e).stepId === "speak")).toBe(false);
    release.open();
    const rest = await late.rest();
    expect(tokens([...seen, ...rest])).toBe("one two three four five ");
  });

  it("resumes with Last-Event-ID or startIndex: no gap, no duplicate", async () => {
    const s = await setup();
    const runId = await s.start();
    await progressStored(s, runId, 1);
    const first = await s.sse(`/v1/runs/${runId}/stream`, { key: s.k });
    const part1 = await first.next(3);
    first.close();
    release.open();
    const second = await s.sse(`/v1/runs/${runId}/stream`, {
      key: s.k,
      headers: { "last-event-id": part1.at(-1)!.id! },
    });
    const part2 = await second.rest();
    const whole = await (await s.sse(`/v1/runs/${runId}/stream`, { key: s.k })).rest();
    expect([...part1, ...part2].map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect([...part1, ...part2]).toEqual(whole);
    const from5 = await (await s.sse(`/v1/runs/${runId}/stream?startIndex=5`, { key: s.k })).rest();
    expect(from5).toEqual(whole.slice(5));
    const last3 = await (await s.sse(`/v1/runs/${runId}/stream?startIndex=-3`, { key: s.k })).rest();
    expect(last3).toEqual(whole.slice(-3));
    const bad = await s.call("GET", `/v1/runs/${runId}/stream`, {
      key: s.k,
      headers: { "last-event-id": "abc" },
    });
    expect(bad.status).toBe(400);
  });

  it("one store reader per run serves every subscriber the same events", async () => {
    const s = await setup();
    const runId = await s.start();
    const subscribers = await Promise.all(
      Array.from({ length: 50 }, () => s.sse(`/v1/runs/${runId}/stream`, { key: s.k })),
    );
    await eventually("50 subscribers attached", () =>
      Promise.resolve(s.cairn.services.hub.stats.subscribers === 50),
    );
    expect(s.cairn.services.hub.stats.runs).toBe(1);
    await progressStored(s, runId, 1);
    release.open();
    const all = await Promise.all(subscribers.map((x) => x.rest()));
    for (const events of all) expect(events).toEqual(all[0]);
    expect(tokens(all[0]!)).toBe("one two three four five ");
    await eventually("the reader gone after the run ended", () =>
      Promise.resolve(s.cairn.services.hub.stats.runs === 0),
    );
  });

  it("tags tokens with their attempt: a retried step's partial output is told apart", async () => {
    const s = await setup();
    failFirst = true;
    release.open();
    const runId = await s.start();
    const events = await (await s.sse(`/v1/runs/${runId}/stream`, { key: s.k })).rest();
    const progress = events.filter((e) => e.event === Entry.StepProgress).map(data);
    expect(new Set(progress.map((p) => p.data.attempt))).toEqual(new Set([1, 2]));
    const retrying = events.findIndex((e) => e.event === "step.retrying");
    expect(retrying).toBeGreaterThan(0);
    const latest = progress
      .filter((p) => p.data.attempt === 2)
      .flatMap((p) => p.data.parts.map((x: { text: string }) => x.text));
    expect(latest.join("")).toBe("one two three four five ");
  });
});

describe("session streams and the workspace feed", () => {
  it("streams a session's runs one after the other, and the feed shows each run's changes", async () => {
    const helper = chatAgent();
    const s = await serverHarness([], { agents: [helper] });
    const k = await s.key(["read", "run"]);
    const feed = await s.sse("/v1/events", { key: k });
    s.startWorker();
    const first = await s.call("POST", "/v1/sessions/helper/chat-1/messages", {
      key: k,
      body: { message: "hello" },
    });
    expect(first).toMatchObject({ status: 202, body: { outcome: "started" } });
    const stream = await s.sse("/v1/sessions/helper/chat-1/stream", { key: k });
    const firstRun: SseMessage[] = [];
    while (firstRun.at(-1)?.event !== "run.ended") firstRun.push(...(await stream.next(1)));
    expect(firstRun[0]!.id).toBe(`${first.body.runId}:1`);
    const second = await s.call("POST", "/v1/sessions/helper/chat-1/messages", {
      key: k,
      body: { message: "again" },
    });
    const secondRun: SseMessage[] = [];
    while (secondRun.at(-1)?.event !== "run.ended") secondRun.push(...(await stream.next(1)));
    expect(new Set(secondRun.map((e) => data(e).runId))).toEqual(new Set([second.body.runId]));
    stream.close();
    const history = await s.call("GET", "/v1/sessions/helper/chat-1", { key: k });
    expect(history.body.messages.map((m: { message: { role: string } }) => m.message.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    expect(history.body.runs.map((r: { id: string }) => r.id)).toEqual([first.body.runId, second.body.runId]);
    // The feed: run.created … run.ended for both runs, in order, cursors increasing.
    const items: SseMessage[] = [];
    while (items.filter((e) => e.event === "run.ended").length < 2) items.push(...(await feed.next(1)));
    const byRun = (id: string) => items.filter((e) => data(e).runId === id).map((e) => e.event);
    expect(byRun(first.body.runId)[0]).toBe("run.created");
    expect(byRun(first.body.runId).at(-1)).toBe("run.ended");
    expect(byRun(second.body.runId)).toContain("run.started");
    // Resuming the feed from a cursor gives exactly what followed it.
    feed.close();
    const resumed = await s.sse("/v1/events", { key: k, headers: { "last-event-id": items[1]!.id! } });
    expect(await resumed.next(items.length - 2)).toEqual(items.slice(2));
  });

  it("starts the feed at its present end with from=now, at its beginning without", async () => {
    const s = await serverHarness([shipIt]);
    const k = await s.key(["read", "run"]);
    const start = (body: object) => s.call("POST", "/v1/runs", { key: k, body });
    const earlier = await start({ workflow: "ship-it", input: {} });
    await start({ workflow: "ship-it", input: {} });
    const live = await s.sse("/v1/events?from=now", { key: k });
    const later = await start({ workflow: "ship-it", input: {} });
    const [first] = await live.next(1);
    expect([data(first!).runId, first!.event]).toEqual([later.body.run.id, "run.created"]);
    const [oldest] = await s.sse("/v1/events", { key: k }).then((f) => f.next(1));
    expect(data(oldest!).runId).toBe(earlier.body.run.id);
    live.close();
  });
});
