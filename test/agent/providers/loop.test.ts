/**
 * The durable agent loop over the REAL AI SDK providers (Chat Completions, Responses, Anthropic
 * Messages) talking to the fake model server: tool calls as steps, results sent back, usage,
 * streamed deltas, replay without re-streaming, malformed tool calls, and checkpoint "turn".
 */
import { describe, expect, it } from "vitest";
import { APIS, agentHarness, deltasOf, useFakeServer, weatherTool } from "./support.js";

const fake = useFakeServer();

describe.each(APIS)("agent loop over $name", (api) => {
  it("runs a tool call as its own step, sends its result back, returns the final text and sums usage", async () => {
    const server = fake.server;
    server.script([
      {
        text: "Let me check.",
        toolCalls: [{ name: "get_weather", args: { city: "Paris" } }],
        usage: { input: 100, output: 20, cached: 40 },
      },
      { text: "It is sunny in Paris.", usage: { input: 150, output: 10, cached: 100 } },
    ]);
    const weather = weatherTool();
    const h = await agentHarness({ model: api.model(server), tools: { get_weather: weather.tool } });
    const runId = await h.run("Weather in Paris?");

    expect((await h.summary(runId)).status).toBe("completed");
    expect(await h.output(runId)).toMatchObject({
      text: "It is sunny in Paris.",
      turns: 2,
      usage: { input: 250, output: 30, cached: 140 },
    });
    const steps = await h.steps(runId);
    expect(steps.map((s) => [s.stepId, s.status])).toEqual([
      ["model", "completed"],
      ["tool.get_weather", "completed"],
      ["model#2", "completed"],
    ]);
    expect(steps[1]!.output).toEqual({ city: "Paris", forecast: "sunny, 21°C" });
    expect(weather.calls).toEqual(["Paris"]);

    expect(server.requests).toHaveLength(2);
    const first = api.sent(server.requests[0]!.body);
    expect(first.userTexts).toEqual(["Weather in Paris?"]);
    expect(first.toolResults).toEqual([]);
    const second = api.sent(server.requests[1]!.body);
    expect(second.toolResults).toHaveLength(1);
    expect(second.toolResults[0]!.output).toContain("sunny, 21°C");
  });

  it("streams text deltas to engine listeners; a step served from the journal is not streamed again", async () => {
    const server = fake.server;
    server.script([
      { text: "Checking the forecast now.", toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }] },
      { text: "Oslo: sunny.", chunkSize: 3 },
    ]);
    // The tool fails once, so the run suspends (waiting for its retry) after the first model call.
    const weather = weatherTool({ failFirst: 1 });
    const h = await agentHarness({ model: api.model(server), tools: { get_weather: weather.tool } });
    const runId = await h.run("Weather in Oslo?");

    expect((await h.summary(runId)).status).toBe("waiting");
    const firstDeltas = deltasOf(h.events, "model");
    expect(firstDeltas.length).toBeGreaterThan(1);
    expect(firstDeltas.join("")).toBe("Checking the forecast now.");

    h.events.length = 0;
    await h.advance(60_000);
    expect((await h.summary(runId)).status).toBe("completed");
    expect(h.events).toContainEqual(expect.objectContaining({ type: "step.replayed", stepId: "model" }));
    expect(deltasOf(h.events, "model")).toEqual([]);
    expect(deltasOf(h.events, "model#2")).toEqual(["Osl", "o: ", "sun", "ny."]);
    expect(server.requests).toHaveLength(2);
    expect(weather.calls).toEqual(["Oslo", "Oslo"]);
    expect((await h.output(runId)).text).toBe("Oslo: sunny.");
  });

  it("malformed tool-call JSON: the model is told in the next request, and the run completes", async () => {
    const server = fake.server;
    server.script([
      { malformedToolCall: { name: "get_weather", rawArgs: '{"city": "Par' } },
      { text: "Sorry, let me answer without the tool." },
    ]);
    const weather = weatherTool();
    const h = await agentHarness({ model: api.model(server), tools: { get_weather: weather.tool } });
    const runId = await h.run("Weather in Paris?");

    expect((await h.summary(runId)).status).toBe("completed");
    expect((await h.output(runId)).text).toBe("Sorry, let me answer without the tool.");
    expect(weather.calls).toEqual([]);
    expect(server.requests).toHaveLength(2);
    const results = api.sent(server.requests[1]!.body).toolResults;
    // Exactly one result for the one call: the model is told once, by the loop.
    expect(results).toHaveLength(1);
    expect(results.some((r) => /invalid/i.test(r.output) && r.output.includes("get_weather"))).toBe(true);
  });
});

describe('checkpoint "turn" over openai-chat', () => {
  it("records one step per turn, runs the tool inside it and sends its result back", async () => {
    const server = fake.server;
    server.script([
      { toolCalls: [{ name: "get_weather", args: { city: "Rome" } }], usage: { input: 30, output: 5 } },
      { text: "Rome is sunny.", usage: { input: 50, output: 4 } },
    ]);
    const weather = weatherTool();
    const h = await agentHarness({
      model: APIS[0]!.model(server),
      tools: { get_weather: weather.tool },
      checkpoint: "turn",
    });
    const runId = await h.run("Weather in Rome?");

    expect(await h.output(runId)).toMatchObject({
      text: "Rome is sunny.",
      turns: 2,
      usage: { input: 80, output: 9, cached: 0 },
    });
    expect((await h.steps(runId)).map((s) => [s.stepId, s.status])).toEqual([
      ["turn", "completed"],
      ["turn#2", "completed"],
    ]);
    expect(weather.calls).toEqual(["Rome"]);
    expect(server.requests).toHaveLength(2);
    const results = APIS[0]!.sent(server.requests[1]!.body).toolResults;
    expect(results).toHaveLength(1);
    expect(results[0]!.output).toContain("sunny, 21°C");
  });
});
