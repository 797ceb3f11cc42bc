/** The fake model server's own controls: script queue, respond(), delays, loud failures, standalone mode. */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, streamText, tool } from "ai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { within } from "../helpers.js";
import { startFakeModelServer, type FakeModelServer, type ScriptedTurn } from "./fake-model-server.js";

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const model = () => createOpenAI({ baseURL: server.openaiBaseURL, apiKey: "test" }).chat("gpt-4o-mini");
const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("fake model server", () => {
  it("listens on 127.0.0.1 with /v1 base URLs", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.openaiBaseURL).toBe(`${server.url}/v1`);
    expect(server.anthropicBaseURL).toBe(`${server.url}/v1`);
  });

  it("consumes the script one turn per request, across calls to script()", async () => {
    server.script([{ text: "one" }]);
    server.script([{ text: "two" }]);
    expect((await generateText({ model: model(), prompt: "a", maxRetries: 0 })).text).toBe("one");
    expect((await generateText({ model: model(), prompt: "b", maxRetries: 0 })).text).toBe("two");
    expect(server.requests.map((r) => r.api)).toEqual(["openai-chat", "openai-chat"]);
  });

  it("fails loudly with a 500 when the script has run out", async () => {
    const err = await generateText({ model: model(), prompt: "unexpected", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(500);
    expect((err as APICallError).message).toMatch(
      /script ran out: request #1 \(openai-chat \/v1\/chat\/completions\)/,
    );
    expect(server.requests).toHaveLength(1); // still recorded
  });

  it("respond() computes the turn from the request once the queue is empty", async () => {
    server.respond((req) => ({
      text: `echo ${JSON.stringify((req.body as { messages: unknown[] }).messages.length)}`,
    }));
    server.script([{ text: "queued first" }]);
    expect((await generateText({ model: model(), prompt: "a", maxRetries: 0 })).text).toBe("queued first");
    expect((await generateText({ model: model(), prompt: "b", maxRetries: 0 })).text).toBe("echo 1");
  });

  it("a respond() that throws, or an invalid turn, gives a 500 naming the problem", async () => {
    server.respond(() => {
      throw new Error("boom");
    });
    const e1 = await generateText({ model: model(), prompt: "a", maxRetries: 0 }).catch((e: unknown) => e);
    expect((e1 as APICallError).message).toMatch(/respond\(\) threw.*boom/);
    server.script([{ error: { status: "teapot" } } as unknown as ScriptedTurn]);
    const e2 = await generateText({ model: model(), prompt: "a", maxRetries: 0 }).catch((e: unknown) => e);
    expect((e2 as APICallError).message).toMatch(/invalid scripted turn/);
  });

  it("delayMs: the request is recorded at once and answered after the delay", async () => {
    server.script([{ delayMs: 300, then: { text: "late" } }]);
    const started = Date.now();
    const result = generateText({ model: model(), prompt: "a", maxRetries: 0 });
    const seen = await server.waitForRequests(1);
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(300);
    expect((await result).text).toBe("late");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("a client that goes away during a delay does not disturb the server", async () => {
    server.script([{ delayMs: 200, then: { text: "never read" } }, { text: "next" }]);
    const abort = new AbortController();
    const result = streamText({ model: model(), prompt: "a", maxRetries: 0, abortSignal: abort.signal });
    await server.waitForRequests(1);
    abort.abort();
    await result.consumeStream({ onError: () => {} });
    await new Promise((r) => setTimeout(r, 300)); // let the delayed response find the closed socket
    expect((await generateText({ model: model(), prompt: "b", maxRetries: 0 })).text).toBe("next");
  });

  it("also serves @ai-sdk/openai-compatible; usage only comes with stream_options.include_usage", async () => {
    const turn = {
      text: "compatible",
      toolCalls: [{ name: "lookup", args: { q: "x" } }],
      usage: { input: 9, output: 4 },
    };
    const tools = { lookup: tool({ description: "look up", inputSchema: z.object({ q: z.string() }) }) };
    for (const includeUsage of [true, false]) {
      server.script([turn]);
      const provider = createOpenAICompatible({ name: "local", baseURL: server.openaiBaseURL, includeUsage });
      const result = streamText({
        model: provider.chatModel("some-model"),
        prompt: "a",
        tools,
        maxRetries: 0,
      });
      expect(await result.text).toBe("compatible");
      expect(await result.toolCalls).toMatchObject([{ toolName: "lookup", input: { q: "x" } }]);
      expect(await result.finishReason).toBe("tool-calls");
      expect((await result.usage).inputTokens).toBe(includeUsage ? 9 : undefined);
    }
    expect(server.requests.map((r) => r.api)).toEqual(["openai-chat", "openai-chat"]);
  });

  it("waitForRequests rejects after its timeout", async () => {
    await expect(server.waitForRequests(1, 50)).rejects.toThrow(/0 request\(s\) after 50 ms, wanted 1/);
  });

  it("GET /_fake/requests reports the count; unknown routes get a 404", async () => {
    server.script([{ text: "x" }]);
    const res = await post("/v1/chat/completions", { model: "m", messages: [] });
    expect(res.status).toBe(200);
    const report = (await (await fetch(`${server.url}/_fake/requests`)).json()) as { count: number };
    expect(report.count).toBe(1);
    const missing = await post("/v1/embeddings", {});
    expect(missing.status).toBe(404);
    expect(server.requests).toHaveLength(1);
  });
});

describe("standalone mode", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fake-model-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("node --import tsx fake-model-server.ts --port 0 --script file prints its URL and serves the script", async () => {
    const scriptPath = join(dir, "turns.json");
    await writeFile(scriptPath, JSON.stringify([{ text: "from a file" }]));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/support/fake-model-server.ts", "--port", "0", "--script", scriptPath],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const line = await within(
        new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout }).once("line", resolve);
          child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
        }),
        "the fake model server to say where it listens",
        30_000,
      );
      const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
      expect(url).toBeDefined();
      const openai = createOpenAI({ baseURL: `${url}/v1`, apiKey: "test" });
      const result = await generateText({ model: openai.chat("gpt-4o-mini"), prompt: "hi", maxRetries: 0 });
      expect(result.text).toBe("from a file");
      const report = (await (await fetch(`${url}/_fake/requests`)).json()) as { count: number };
      expect(report.count).toBe(1);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await within(exited, "the fake model server to exit on SIGTERM").catch((err: unknown) => {
        child.kill("SIGKILL");
        throw err;
      });
    }
  });
});
