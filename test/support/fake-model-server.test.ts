/**
 * The fake model server against the REAL AI SDK provider code, for each API: OpenAI Chat Completions
 * (`openai.chat`), OpenAI Responses (`openai.responses`) and Anthropic Messages.
 *
 * Observed SDK behaviour the agent loop relies on (ai@6, @ai-sdk/openai@3, @ai-sdk/anthropic@3), identical
 * for the three APIs unless noted:
 * - HTTP error (4xx/5xx) with streamText: nothing is thrown by the stream; fullStream yields an `error` part
 *   whose `error` is an APICallError (statusCode, responseHeaders incl. `retry-after`, isRetryable true for
 *   408/409/429/5xx, message = the provider's `error.message`); `onError` is called; `await result.text`
 *   then rejects with NoOutputGeneratedError. With generateText the APICallError itself is thrown. (With
 *   maxRetries > 0 retryable errors are retried first, honouring retry-after; the final error is a RetryError.)
 * - Malformed tool-call JSON: no error is thrown and no `error` part is emitted. The step gets a `tool-call`
 *   part with `invalid: true`, `dynamic: true`, `input` = the raw string, `error` = InvalidToolInputError, then
 *   a `tool-error` part (error = its message) — the SDK produces the tool-error even though the tool has no
 *   `execute`. finishReason stays "tool-calls". generateText puts the same two parts in `content`.
 *   (Anthropic non-streaming bodies can only carry JSON, so there the raw text is sent as a JSON string: the
 *   error is a type-validation InvalidToolInputError instead of a JSON-parse one.)
 * - Stream cut mid-way (socket closed after some deltas): the deltas already received are delivered, then
 *   consuming fullStream/textStream REJECTS (no `error` part, and `onError` is NOT called) with an
 *   APICallError "Failed to process successful response", statusCode 200, isRetryable true, cause
 *   `TypeError: terminated`; `result.text`/`usage`/`steps` reject with the same error. Nothing hangs.
 *   generateText with a truncated JSON body throws the same kind of APICallError.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import {
  APICallError,
  InvalidToolInputError,
  NoOutputGeneratedError,
  generateText,
  stepCountIs,
  streamText,
  tool,
  type LanguageModel,
  type TextStreamPart,
  type ToolSet,
} from "ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { startFakeModelServer, type FakeModelServer } from "./fake-model-server.js";

const tools = {
  get_weather: tool({ description: "Weather for a city", inputSchema: z.object({ city: z.string() }) }),
};

interface Sent {
  userTexts: string[];
  toolNames: string[];
  toolResults: { id: string; output: string }[];
}
type Block = { type?: string; text?: string; tool_use_id?: string; content?: unknown };

const apis: {
  name: "openai-chat" | "openai-responses" | "anthropic";
  model: (s: FakeModelServer) => LanguageModel;
  path: string;
  authHeader: [string, string];
  rawToolFinish: string | undefined;
  errorBodyType: (body: unknown) => unknown;
  sent: (body: unknown) => Sent;
}[] = [
  {
    name: "openai-chat",
    model: (s) => createOpenAI({ baseURL: s.openaiBaseURL, apiKey: "test" }).chat("gpt-4o-mini"),
    path: "/v1/chat/completions",
    authHeader: ["authorization", "Bearer test"],
    rawToolFinish: "tool_calls",
    errorBodyType: (b) => (b as { error: { type: string } }).error.type,
    sent: (body) => {
      const b = body as {
        messages: { role: string; content: unknown; tool_call_id?: string }[];
        tools?: { function: { name: string } }[];
      };
      return {
        userTexts: b.messages.filter((m) => m.role === "user").map((m) => String(m.content)),
        toolNames: (b.tools ?? []).map((t) => t.function.name),
        toolResults: b.messages
          .filter((m) => m.role === "tool")
          .map((m) => ({ id: m.tool_call_id ?? "", output: JSON.stringify(m.content) })),
      };
    },
  },
  {
    name: "openai-responses",
    model: (s) => createOpenAI({ baseURL: s.openaiBaseURL, apiKey: "test" }).responses("gpt-4o-mini"),
    path: "/v1/responses",
    authHeader: ["authorization", "Bearer test"],
    rawToolFinish: undefined, // Responses has no raw finish reason unless the response is incomplete
    errorBodyType: (b) => (b as { error: { type: string } }).error.type,
    sent: (body) => {
      const b = body as {
        input: { role?: string; type?: string; content?: Block[]; call_id?: string; output?: unknown }[];
        tools?: { name: string }[];
      };
      return {
        userTexts: b.input
          .filter((m) => m.role === "user")
          .flatMap((m) => (m.content ?? []).map((c) => c.text ?? "")),
        toolNames: (b.tools ?? []).map((t) => t.name),
        toolResults: b.input
          .filter((m) => m.type === "function_call_output")
          .map((m) => ({ id: m.call_id ?? "", output: JSON.stringify(m.output) })),
      };
    },
  },
  {
    name: "anthropic",
    model: (s) => createAnthropic({ baseURL: s.anthropicBaseURL, apiKey: "test" })("claude-sonnet-4-5"),
    path: "/v1/messages",
    authHeader: ["x-api-key", "test"],
    rawToolFinish: "tool_use",
    errorBodyType: (b) => (b as { type: string; error: { type: string } }).error.type,
    sent: (body) => {
      const b = body as { messages: { role: string; content: Block[] }[]; tools?: { name: string }[] };
      const blocks = b.messages.filter((m) => m.role === "user").flatMap((m) => m.content);
      return {
        userTexts: blocks.filter((c) => c.type === "text").map((c) => c.text ?? ""),
        toolNames: (b.tools ?? []).map((t) => t.name),
        toolResults: blocks
          .filter((c) => c.type === "tool_result")
          .map((c) => ({ id: c.tool_use_id ?? "", output: JSON.stringify(c.content) })),
      };
    },
  },
];

async function parts<T extends ToolSet>(
  fullStream: AsyncIterable<TextStreamPart<T>>,
): Promise<TextStreamPart<T>[]> {
  const out: TextStreamPart<T>[] = [];
  for await (const p of fullStream) out.push(p);
  return out;
}

async function thrown(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

function asApiCallError(err: unknown): APICallError {
  expect(APICallError.isInstance(err), `expected an APICallError, got ${String(err)}`).toBe(true);
  return err as APICallError;
}

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

describe.each(apis)("$name", (api) => {
  const prompt = "What's the weather in Paris?";
  const textAndTool = {
    text: "Let me check the weather.",
    toolCalls: [{ name: "get_weather", args: { city: "Paris" }, id: "call_abc" }],
    usage: { input: 120, output: 30, cached: 80 },
  };

  it("streamText: text deltas, a tool call with parsed input, usage with cached tokens, the recorded request", async () => {
    server.script([textAndTool]);
    const result = streamText({ model: api.model(server), prompt, tools, maxRetries: 0 });
    const all = await parts(result.fullStream);

    const deltas = all.flatMap((p) => (p.type === "text-delta" ? [p.text] : []));
    expect(deltas).toEqual(["Let ", "me c", "heck", " the", " wea", "ther", "."]);
    const calls = all.filter((p) => p.type === "tool-call");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      toolCallId: "call_abc",
      toolName: "get_weather",
      input: { city: "Paris" },
    });
    expect(calls[0]).not.toHaveProperty("invalid");
    expect(await result.finishReason).toBe("tool-calls");
    expect(await result.rawFinishReason).toBe(api.rawToolFinish);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(120);
    expect(usage.outputTokens).toBe(30);
    expect(usage.totalTokens).toBe(150);
    expect(usage.inputTokenDetails.cacheReadTokens).toBe(80);
    expect(usage.inputTokenDetails.noCacheTokens).toBe(40);
    expect(usage.cachedInputTokens).toBe(80);

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req).toMatchObject({ api: api.name, path: api.path, stream: true });
    expect(req.headers[api.authHeader[0]]).toBe(api.authHeader[1]);
    expect(api.sent(req.body)).toMatchObject({ userTexts: [prompt], toolNames: ["get_weather"] });
  });

  it("streamText: a text-only turn finishes with stop, and chunkSize controls the deltas", async () => {
    server.script([{ text: "Sunny, 21°C.", chunkSize: 100 }]);
    const result = streamText({ model: api.model(server), prompt, tools, maxRetries: 0 });
    const all = await parts(result.fullStream);
    expect(all.flatMap((p) => (p.type === "text-delta" ? [p.text] : []))).toEqual(["Sunny, 21°C."]);
    expect(await result.finishReason).toBe("stop");
    expect(await result.toolCalls).toEqual([]);
  });

  it("generateText (non-streaming): text, tool call, usage", async () => {
    server.script([textAndTool]);
    const result = await generateText({ model: api.model(server), prompt, tools, maxRetries: 0 });
    expect(result.text).toBe("Let me check the weather.");
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({
      toolCallId: "call_abc",
      toolName: "get_weather",
      input: { city: "Paris" },
    });
    expect(result.usage).toMatchObject({ inputTokens: 120, outputTokens: 30, cachedInputTokens: 80 });
    expect(server.requests[0]).toMatchObject({ api: api.name, stream: false });
  });

  it("records the tool result the SDK sends back on the next step", async () => {
    server.script([textAndTool, { text: "It is sunny." }]);
    const result = await generateText({
      model: api.model(server),
      prompt,
      tools: { get_weather: tool({ ...tools.get_weather, execute: async () => ({ forecast: "sunny" }) }) },
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    expect(result.text).toBe("It is sunny.");
    expect(server.requests).toHaveLength(2);
    const second = api.sent(server.requests[1]!.body);
    expect(second.toolResults).toHaveLength(1);
    expect(second.toolResults[0]!.id).toBe("call_abc");
    expect(second.toolResults[0]!.output).toContain("sunny");
  });

  it("429 with retry-after: APICallError with statusCode, header and isRetryable (streamText: an error part)", async () => {
    server.script([{ error: { status: 429, retryAfter: 7 } }]);
    let onErrorCalls = 0;
    const result = streamText({
      model: api.model(server),
      prompt,
      maxRetries: 0,
      onError: () => void onErrorCalls++,
    });
    const errors = (await parts(result.fullStream)).flatMap((p) => (p.type === "error" ? [p.error] : []));
    expect(errors).toHaveLength(1);
    const err = asApiCallError(errors[0]);
    expect(err.statusCode).toBe(429);
    expect(err.responseHeaders?.["retry-after"]).toBe("7");
    expect(err.isRetryable).toBe(true);
    expect(onErrorCalls).toBe(1);
    expect(NoOutputGeneratedError.isInstance(await thrown(result.text))).toBe(true);

    server.script([{ error: { status: 429, retryAfter: 3, message: "slow down" } }]);
    const e2 = asApiCallError(
      await thrown(generateText({ model: api.model(server), prompt, maxRetries: 0 })),
    );
    expect(e2).toMatchObject({ statusCode: 429, message: "slow down", isRetryable: true });
    expect(e2.responseHeaders?.["retry-after"]).toBe("3");
  });

  it("500: APICallError, statusCode 500, isRetryable", async () => {
    server.script([{ error: { status: 500 } }]);
    const err = asApiCallError(
      await thrown(generateText({ model: api.model(server), prompt, maxRetries: 0 })),
    );
    expect(err.statusCode).toBe(500);
    expect(err.isRetryable).toBe(true);
    expect(api.errorBodyType(JSON.parse(err.responseBody ?? "null"))).toMatch(/server_error|api_error/);
  });

  it.each([400, 401])(
    "%i: APICallError with the status and the provider's message, not retryable",
    async (status) => {
      server.script([{ error: { status, message: `nope ${status}` } }, { error: { status } }]);
      const err = asApiCallError(
        await thrown(generateText({ model: api.model(server), prompt, maxRetries: 0 })),
      );
      expect(err).toMatchObject({ statusCode: status, message: `nope ${status}`, isRetryable: false });
      const body: unknown = JSON.parse(err.responseBody ?? "null");
      expect(api.errorBodyType(body)).toMatch(/invalid_request_error|authentication_error/);
      // without a scripted message, the provider's usual message
      const dflt = asApiCallError(
        await thrown(generateText({ model: api.model(server), prompt, maxRetries: 0 })),
      );
      expect(dflt.statusCode).toBe(status);
      expect(dflt.message.length).toBeGreaterThan(0);
    },
  );

  it("malformed tool-call JSON: an invalid tool-call part and a tool-error part, no thrown error", async () => {
    server.script([{ malformedToolCall: { name: "get_weather", rawArgs: '{"city": "Par' } }]);
    const result = streamText({ model: api.model(server), prompt, tools, maxRetries: 0 });
    const all = await parts(result.fullStream);
    expect(all.filter((p) => p.type === "error")).toEqual([]);
    const call = all.find((p) => p.type === "tool-call");
    expect(call).toMatchObject({
      toolName: "get_weather",
      input: '{"city": "Par',
      invalid: true,
      dynamic: true,
    });
    expect(InvalidToolInputError.isInstance((call as { error?: unknown }).error)).toBe(true);
    const toolError = all.find((p) => p.type === "tool-error");
    expect(toolError).toMatchObject({
      toolName: "get_weather",
      toolCallId: (call as { toolCallId: string }).toolCallId,
    });
    expect(String((toolError as { error: unknown }).error)).toMatch(/Invalid input for tool get_weather/);
    expect(await result.finishReason).toBe("tool-calls");

    server.script([{ malformedToolCall: { name: "get_weather", rawArgs: '{"city": "Par' } }]);
    const gen = await generateText({ model: api.model(server), prompt, tools, maxRetries: 0 });
    expect(gen.content.map((c) => c.type)).toEqual(["tool-call", "tool-error"]);
    expect(gen.toolCalls[0]).toMatchObject({ invalid: true });
  });

  it(
    "a stream cut mid-way: the deltas sent arrive, then consumption rejects (does not hang)",
    { timeout: 10_000 },
    async () => {
      server.script([{ cutAfterChunks: 2, text: "Hello there, world" }]);
      let onErrorCalls = 0;
      const result = streamText({
        model: api.model(server),
        prompt,
        maxRetries: 0,
        onError: () => void onErrorCalls++,
      });
      const seen: string[] = [];
      const err = await thrown(
        (async () => {
          for await (const p of result.fullStream) if (p.type === "text-delta") seen.push(p.text);
        })(),
      );
      expect(seen).toEqual(["Hell", "o th"]);
      const apiErr = asApiCallError(err);
      expect(apiErr).toMatchObject({ statusCode: 200, isRetryable: true });
      expect(String(apiErr.cause)).toMatch(/terminated/);
      expect(APICallError.isInstance(await thrown(result.text))).toBe(true);
      expect(onErrorCalls).toBe(0);

      server.script([{ cutAfterChunks: 1, text: "Hello" }]);
      const genErr = await thrown(generateText({ model: api.model(server), prompt, maxRetries: 0 }));
      expect(asApiCallError(genErr).isRetryable).toBe(true);
    },
  );
});
