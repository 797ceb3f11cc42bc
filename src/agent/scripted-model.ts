import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
} from "@ai-sdk/provider";

/** What a scripted model answers: some text, and the tool calls it makes. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: { name: string; args: unknown }[];
  usage?: { input: number; output: number };
}

export interface ScriptedModelOptions {
  /** Shown as the model's id, e.g. "demo". */
  name: string;
  /** Decides the reply from the conversation so far (the AI SDK's prompt). */
  respond(prompt: LanguageModelV3Prompt): ScriptedReply;
  /** Pause between streamed words, ms (default 0). */
  wordDelayMs?: number;
}

/**
 * An offline language model that answers by a script, through the real AI SDK interface: its
 * tool calls go through the same parsing, validation and agent loop as a provider's. Used by
 * `cairn demo` without an API key, and by tests.
 */
export function scriptedModel(options: ScriptedModelOptions): LanguageModelV3 {
  let calls = 0;
  return {
    specificationVersion: "v3",
    provider: "scripted",
    modelId: options.name,
    supportedUrls: {},
    doGenerate() {
      return Promise.reject(new Error("the scripted model only streams; use streamText"));
    },
    doStream(call: LanguageModelV3CallOptions) {
      const reply = options.respond(call.prompt);
      const id = `call-${++calls}`;
      const parts = replyParts(reply, id);
      const delay = options.wordDelayMs ?? 0;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          for (const part of parts) {
            if (delay > 0 && part.type === "text-delta") await new Promise((r) => setTimeout(r, delay));
            if (call.abortSignal?.aborted) {
              controller.error(call.abortSignal.reason);
              return;
            }
            controller.enqueue(part);
          }
          controller.close();
        },
      });
      return Promise.resolve({ stream });
    },
  };
}

function replyParts(reply: ScriptedReply, id: string): LanguageModelV3StreamPart[] {
  const parts: LanguageModelV3StreamPart[] = [{ type: "stream-start", warnings: [] }];
  if (reply.text) {
    parts.push({ type: "text-start", id: `${id}-text` });
    for (const word of reply.text.match(/\S+\s*/g) ?? [])
      parts.push({ type: "text-delta", id: `${id}-text`, delta: word });
    parts.push({ type: "text-end", id: `${id}-text` });
  }
  (reply.toolCalls ?? []).forEach((c, i) => {
    parts.push({
      type: "tool-call",
      toolCallId: `${id}-tool-${i + 1}`,
      toolName: c.name,
      input: JSON.stringify(c.args),
    });
  });
  const input = reply.usage?.input ?? 0;
  const output = reply.usage?.output ?? 0;
  parts.push({
    type: "finish",
    finishReason: { unified: reply.toolCalls?.length ? "tool-calls" : "stop", raw: undefined },
    usage: {
      inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: output, text: output, reasoning: 0 },
    },
  });
  return parts;
}

/** The text of the messages in a prompt, for scripts that react to what was said. */
export function promptText(prompt: LanguageModelV3Prompt): string {
  return prompt
    .map((m) =>
      typeof m.content === "string"
        ? m.content
        : m.content
            .map((p) => ("text" in p ? p.text : p.type === "tool-result" ? JSON.stringify(p.output) : ""))
            .join(" "),
    )
    .join("\n");
}
