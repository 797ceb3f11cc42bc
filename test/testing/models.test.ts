import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { tool } from "../../src/agent/tool.js";
import { mockModel, recordedModel, toolCall } from "../../src/testing/index.js";
import { scrubSecrets } from "../../src/testing/recording-codec.js";
import { describeRequestChange, sameRequest } from "../../src/testing/request-diff.js";
import { tempDir } from "../helpers.js";
import type { FakeModelServer } from "../support/fake-model-server.js";
import { startFakeModelServer } from "../support/fake-model-server.js";
import { testEnv } from "./support.js";

const posted: string[] = [];
const post = tool({
  description: "Posts a short text to the team's channel",
  input: z.object({ text: z.string() }),
  execute: ({ text }) => {
    posted.push(text);
    return { posted: true, chars: text.length };
  },
});

describe("mockModel", () => {
  it("answers from its script, tool calls included, and keeps what it was asked", async () => {
    const model = mockModel([
      {
        text: "Posting it.",
        toolCalls: [toolCall("post", { text: "hello team" })],
        usage: { input: 30, output: 8 },
      },
      { text: "Done: posted.", usage: { input: 50, output: 4 } },
    ]);
    const poster = agent({ name: "poster", instructions: "You post updates.", model, tools: { post } });
    const env = await testEnv({ agents: [poster] });
    const run = await env.start(poster, "say hello to the team");
    expect(await run.result()).toMatchObject({ text: "Done: posted.", turns: 2 });
    const steps = await run.steps();
    expect(steps.map((s) => s.id)).toEqual(["model", "tool.post", "model#2"]);
    expect(steps[0]!.usage).toEqual({ input: 30, output: 8, cached: 0 });
    expect(steps[1]).toMatchObject({ input: { text: "hello team" }, output: { posted: true } });
    expect(model.calls).toHaveLength(2);
    expect(model.calls[0]!.text).toContain("say hello to the team");
    expect(model.calls[1]!.text).toContain('"posted":true');
    expect((await run.usage()).usage).toEqual({ input: 80, output: 12, cached: 0 });
  });

  it("a call past the end of the script fails the run, saying so", async () => {
    const model = mockModel([{ toolCalls: [toolCall("post", { text: "x" })] }]);
    const poster = agent({ name: "poster", instructions: "You post.", model, tools: { post } });
    const env = await testEnv({ agents: [poster] });
    const run = await env.start(poster, "post x");
    await expect(run.result()).rejects.toThrow(/mockModel: model call 2, but the script has 1 reply/);
  });
});

describe("recordedModel: record against a provider, replay offline", () => {
  let server: FakeModelServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const SECRET = "sk-test-d0-not-leak-4f9a21c7";

  async function recordAndReplay(spec: string, keyVar: string, baseVar: string) {
    server = await startFakeModelServer();
    server.script([
      { text: "I will post it.", toolCalls: [{ name: "post", args: { text: "release 1.2 is out" } }] },
      { text: "Posted the release note.", usage: { input: 40, output: 6 } },
    ]);
    const fixture = join(tempDir(), "recordings", "poster.json");
    const recordEnv = { CAIRN_RECORD: "1", [keyVar]: SECRET, [baseVar]: server.openaiBaseURL };
    const make = (instructions: string, env: Record<string, string>) =>
      agent({
        name: "poster",
        instructions,
        model: recordedModel(spec, { fixture, env }),
        tools: { post },
      });

    const recording = await testEnv({ agents: [make("You post release notes.", recordEnv)] });
    const first = await recording.start("poster", "announce release 1.2");
    const recorded = await first.result();
    expect(server.requests).toHaveLength(2);
    // The provider really was called with the key; the file keeps none of it.
    expect(JSON.stringify(server.requests[0]!.headers)).toContain(SECRET);
    const file = readFileSync(fixture, "utf8");
    expect(file).not.toContain(SECRET);
    expect(file.toLowerCase()).not.toContain("authorization");
    expect(file.toLowerCase()).not.toContain("x-api-key");
    expect(JSON.parse(file)).toMatchObject({ cairn: "model-recording", exchanges: [{}, {}] });
    await server.close();
    server = undefined;

    // Replay: no server, no key, no CAIRN_RECORD.
    const replaying = await testEnv({ agents: [make("You post release notes.", {})] });
    const again = await replaying.start("poster", "announce release 1.2");
    expect(await again.result()).toEqual(recorded);
    expect((await again.steps()).map((s) => [s.id, s.input])).toEqual([
      ["model", undefined],
      ["tool.post", { text: "release 1.2 is out" }],
      ["model#2", undefined],
    ]);

    // A changed prompt is not answered by the stale recording.
    const changed = await testEnv({ agents: [make("You post release notes in French.", {})] });
    const stale = await changed.start("poster", "announce release 1.2");
    const error = await stale.result().then(
      () => undefined,
      (e: Error) => e,
    );
    return { error, recorded };
  }

  it("OpenAI (Responses API): records the exchanges without the key, replays them with the server gone", async () => {
    const { error, recorded } = await recordAndReplay(
      "openai:gpt-4.1-mini",
      "OPENAI_API_KEY",
      "OPENAI_BASE_URL",
    );
    expect(recorded).toMatchObject({ text: "Posted the release note.", turns: 2 });
    expect(error?.message).toContain(
      "recorded model: request 1 does not match openai:gpt-4.1-mini's recording",
    );
    expect(error?.message).toContain("messages[0] (system) content:");
    expect(error?.message).toContain('- recorded: "You post release notes."');
    expect(error?.message).toContain('+ now:      "You post release notes in French."');
    expect(error?.message).toContain("CAIRN_RECORD=1");
  });

  it("Anthropic: the same, through the Anthropic provider and wire format", async () => {
    const { error, recorded } = await recordAndReplay(
      "anthropic:claude-haiku-4-5",
      "ANTHROPIC_API_KEY",
      "ANTHROPIC_BASE_URL",
    );
    expect(recorded).toMatchObject({ text: "Posted the release note.", turns: 2 });
    expect(error?.message).toContain("messages[0] (system) content:");
  });

  it("a missing recording says how to make one", async () => {
    const fixture = join(tempDir(), "none.json");
    const lonely = agent({
      name: "lonely",
      instructions: "Hi.",
      model: recordedModel("openai:gpt-4.1-mini", { fixture, env: {} }),
    });
    const env = await testEnv({ agents: [lonely] });
    const run = await env.start(lonely, "hi");
    await expect(run.result()).rejects.toThrow(
      /no model recording at .*none\.json: run this test once with CAIRN_RECORD=1/,
    );
  });
});

describe("a replayed request's change, as the error shows it", () => {
  const recorded = {
    prompt: [
      { role: "system", content: "You post." },
      { role: "user", content: [{ type: "text", text: "hi" }] },
    ],
    tools: [{ type: "function", name: "post", description: "Posts a text", inputSchema: { type: "object" } }],
    temperature: 0,
  };

  it("names a changed tool description, an added tool, a changed parameter and a new message", () => {
    const now = {
      prompt: [...recorded.prompt, { role: "user", content: [{ type: "text", text: "and more" }] }],
      tools: [
        { ...recorded.tools[0], description: "Posts a short text" },
        { type: "function", name: "delete", description: "Deletes a post", inputSchema: { type: "object" } },
      ],
      temperature: 0.7,
      maxOutputTokens: 100,
    };
    const text = describeRequestChange(recorded, now);
    expect(text).toContain('messages[2] (user): added in the request now: {"role":"user"');
    expect(text).toContain(
      'tools[0] "post" description:\n    - recorded: "Posts a text"\n    + now:      "Posts a short text"',
    );
    expect(text).toContain('tools[1] "delete": added in the request now:');
    expect(text).toContain("temperature:\n    - recorded: 0\n    + now:      0.7");
    expect(text).toContain("maxOutputTokens: added in the request now: 100");
    expect(sameRequest(recorded, { temperature: 0, tools: recorded.tools, prompt: recorded.prompt })).toBe(
      true,
    );
  });

  it("shows a long prompt's change where it is, not its unchanged beginning", () => {
    const long = "You are a careful assistant. ".repeat(20);
    const text = describeRequestChange(
      { prompt: [{ role: "system", content: `${long}Answer in English.` }] },
      { prompt: [{ role: "system", content: `${long}Answer in French.` }] },
    );
    expect(text).toContain('- recorded: …" careful assistant. Answer in English."');
    expect(text).toContain('+ now:      …" careful assistant. Answer in French."');
  });
});

describe("what a recording never keeps", () => {
  it("drops credential fields and replaces the environment's secrets and bearer tokens wherever they appear", () => {
    const env = { OPENAI_API_KEY: "sk-live-0123456789abcdef", HOME: "/home/ada" };
    const scrubbed = scrubSecrets(
      {
        headers: {
          Authorization: "Bearer sk-live-0123456789abcdef",
          "x-api-key": "k-123456789",
          accept: "json",
        },
        providerMetadata: { echo: "called with sk-live-0123456789abcdef today", auth: "Bearer abcdefghijkl" },
        home: "/home/ada",
      },
      env,
    );
    expect(scrubbed).toEqual({
      headers: { accept: "json" },
      providerMetadata: { echo: "called with [redacted] today", auth: "Bearer [redacted]" },
      home: "/home/ada",
    });
  });
});
