import { fileURLToPath } from "node:url";
import { createTestEnv, mockModel, recordedModel, toolCall } from "cairn-runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { poster } from "./agent.js";

describe("the poster agent", () => {
  let env: Awaited<ReturnType<typeof createTestEnv>>;
  afterEach(() => env.close());

  it("posts what a scripted model asks for", async () => {
    const model = mockModel([
      {
        text: "Posting it.",
        toolCalls: [toolCall("post", { text: "1.2 is out!" })],
        usage: { input: 120, output: 15 },
      },
      "Posted the announcement.",
    ]);
    env = await createTestEnv({ agents: [poster(model)] });
    const run = await env.start("poster", "announce the 1.2 release");
    expect(await run.result()).toMatchObject({ text: "Posted the announcement.", turns: 2 });
    const tool = await run.step("tool.post");
    expect(tool.input).toEqual({ text: "1.2 is out!" });
    expect(tool.output).toEqual({ posted: true, length: 11 });
    expect((await run.step("model")).usage).toEqual({ input: 120, output: 15, cached: 0 });
    expect(model.calls[1]!.text).toContain('"posted":true');
  });

  it("replays the exchanges recorded from the real provider, offline", async () => {
    // Recorded once with: CAIRN_RECORD=1 OPENAI_API_KEY=… npx vitest run docs/examples/testing
    const fixture = fileURLToPath(new URL("./recordings/poster.json", import.meta.url));
    env = await createTestEnv({ agents: [poster(recordedModel("openai:gpt-4.1-mini", { fixture }))] });
    const run = await env.start("poster", "announce the 1.2 release");
    const result = await run.result();
    expect(result).toMatchObject({ turns: 2 });
    expect((await run.step("tool.post")).output).toMatchObject({ posted: true });
  });
});
