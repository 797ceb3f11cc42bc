/**
 * Model specs as strings ("openai-chat:…", "openai:…", "anthropic:…"), resolved from the
 * environment (base URL and API key) to the REAL AI SDK providers talking to the fake server;
 * a missing key; and the run's cost from the built-in price table.
 */
import { describe, expect, it } from "vitest";
import { runUsage } from "../../../src/agent/run-usage.js";
import type { Api } from "./support.js";
import { APIS, agentHarness, setEnv, useFakeServer, weatherTool } from "./support.js";

const fake = useFakeServer();

/** List prices (USD per 1M tokens) as documented in src/agent/usage.ts. */
const PRICES: Record<string, { input: number; output: number; cachedInput: number }> = {
  "openai:gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "anthropic:claude-haiku-4-5": { input: 1, output: 5, cachedInput: 0.1 },
};

const TURN_1 = { input: 1000, output: 200, cached: 400 };
const TURN_2 = { input: 2000, output: 100, cached: 1500 };

function expectedCost(priceKey: string): number {
  const p = PRICES[priceKey]!;
  const one = (u: typeof TURN_1) =>
    ((u.input - u.cached) * p.input + u.cached * p.cachedInput + u.output * p.output) / 1e6;
  return one(TURN_1) + one(TURN_2);
}

function pointEnvAtServer(api: Api, key: string | undefined): void {
  const base = api.baseVar === "OPENAI_BASE_URL" ? fake.server.openaiBaseURL : fake.server.anthropicBaseURL;
  setEnv({ [api.baseVar]: base, [api.keyVar]: key });
}

describe.each(APIS)("model spec $spec", (api) => {
  it("resolves the provider, base URL and API key from the environment", async () => {
    const server = fake.server;
    pointEnvAtServer(api, "sk-from-the-env");
    server.script([
      { text: "Checking.", toolCalls: [{ name: "get_weather", args: { city: "Lima" } }] },
      { text: "Lima is sunny." },
    ]);
    const weather = weatherTool();
    const h = await agentHarness({ model: api.spec, tools: { get_weather: weather.tool } });
    const runId = await h.run("Weather in Lima?");

    expect((await h.summary(runId)).status).toBe("completed");
    expect((await h.output(runId)).text).toBe("Lima is sunny.");
    expect(server.requests.map((r) => r.api)).toEqual([api.name, api.name]);
    const auth = api.keyVar === "OPENAI_API_KEY" ? "authorization" : "x-api-key";
    expect(server.requests[0]!.headers[auth]).toContain("sk-from-the-env");
    expect(api.sent(server.requests[1]!.body).toolResults[0]!.output).toContain("sunny, 21°C");
    const model = (await h.steps(runId))[0]!.output as { model: string };
    expect(model.model).toBe(api.priceKey);
  });

  it("without the API key in the environment, the run fails with an error naming the variable", async () => {
    const server = fake.server;
    pointEnvAtServer(api, undefined);
    server.script([{ text: "never sent" }]);
    const h = await agentHarness({ model: api.spec });
    const runId = await h.run("hello");

    const run = await h.summary(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toContain(api.keyVar);
    expect(run.error?.message).toContain(api.spec);
    await h.advance(3_600_000);
    expect((await h.summary(runId)).status).toBe("failed");
    expect(server.requests).toHaveLength(0);
  });

  it("the run's cost is the documented price of the scripted usage", async () => {
    const server = fake.server;
    pointEnvAtServer(api, "test");
    server.script([
      { toolCalls: [{ name: "get_weather", args: { city: "Kyiv" } }], usage: TURN_1 },
      { text: "Kyiv is sunny.", usage: TURN_2 },
    ]);
    const h = await agentHarness({ model: api.spec, tools: { get_weather: weatherTool().tool } });
    const runId = await h.run("Weather in Kyiv?");

    const out = await h.output(runId);
    expect(out.usage).toEqual({ input: 3000, output: 300, cached: 1900 });
    const expected = expectedCost(api.priceKey);
    if (api.priceKey === "openai:gpt-4.1-mini") expect(expected).toBeCloseTo(0.0006 + 0.00051, 12);
    expect(out.cost).toBeCloseTo(expected, 10);
    const usage = await runUsage(h.journal, "default", runId);
    expect(usage.modelCalls).toBe(2);
    expect(usage.cost).toBeCloseTo(expected, 10);
  });

  it("a provider model object is priced like its spec", async () => {
    const server = fake.server;
    server.script([
      { toolCalls: [{ name: "get_weather", args: { city: "Kyiv" } }], usage: TURN_1 },
      { text: "Kyiv is sunny.", usage: TURN_2 },
    ]);
    const h = await agentHarness({ model: api.model(server), tools: { get_weather: weatherTool().tool } });
    const runId = await h.run("Weather in Kyiv?");
    expect((await h.output(runId)).cost).toBeCloseTo(expectedCost(api.priceKey), 10);
  });
});
