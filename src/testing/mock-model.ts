import type { LanguageModelV3, LanguageModelV3Prompt } from "@ai-sdk/provider";
import type { ScriptedReply } from "../agent/scripted-model.js";
import { promptText, scriptedModel } from "../agent/scripted-model.js";
import { NonRetriableError } from "../shared/errors.js";

/** A tool call a scripted reply makes. */
export interface ScriptedToolCall {
  name: string;
  args: unknown;
}

/** One reply of a mock model: its text (a string is text alone), tool calls, and tokens used. */
export type MockReply =
  | string
  | {
      text?: string;
      toolCalls?: ScriptedToolCall[];
      usage?: { input: number; output: number };
    };

/** What the model was asked, one entry per call, for assertions. */
export interface MockModelCall {
  /** The prompt as the AI SDK sent it: system, user, assistant and tool messages. */
  prompt: LanguageModelV3Prompt;
  /** The prompt's text, messages joined by newlines (tool results as JSON): easy to match. */
  text: string;
}

export interface MockModel extends LanguageModelV3 {
  /** Every call made so far, in order. */
  readonly calls: readonly MockModelCall[];
}

/** A tool call for a mock reply: `{ toolCalls: [toolCall("post", { text: "hi" })] }`. */
export function toolCall(name: string, args: unknown = {}): ScriptedToolCall {
  return { name, args };
}

/**
 * A model for tests that answers from a script, through the real AI SDK interface (its tool calls
 * go through the agent loop's parsing and schema checks as a provider's would). Give a list (one
 * reply per call; a call past its end fails the run, saying so) or a function of the call.
 *
 * @example
 * const model = mockModel([
 *   { text: "Posting.", toolCalls: [toolCall("post", { text: "hello" })] },
 *   "Posted.",
 * ]);
 * const poster = agent({ name: "poster", instructions: "…", model, tools: { post } });
 * // …run it, then: expect(model.calls[1].text).toContain('"posted":true')
 */
export function mockModel(
  script: readonly MockReply[] | ((call: MockModelCall, index: number) => MockReply),
  options: { name?: string } = {},
): MockModel {
  const calls: MockModelCall[] = [];
  const model = scriptedModel({
    name: options.name ?? "mock",
    respond: (prompt) => {
      const call: MockModelCall = { prompt, text: promptText(prompt) };
      const index = calls.length;
      calls.push(call);
      const reply = typeof script === "function" ? script(call, index) : script[index];
      if (reply === undefined) {
        throw new NonRetriableError(
          `mockModel: model call ${index + 1}, but the script has ${calls.length - 1} ${calls.length - 1 === 1 ? "reply" : "replies"}; ` +
            `add a reply (the agent asked again after: ${JSON.stringify(call.text.slice(-200))})`,
        );
      }
      return toScripted(reply);
    },
  });
  return Object.assign(model, { calls });
}

function toScripted(reply: MockReply): ScriptedReply {
  if (typeof reply === "string") return { text: reply };
  return {
    ...(reply.text !== undefined ? { text: reply.text } : {}),
    ...(reply.toolCalls !== undefined ? { toolCalls: reply.toolCalls } : {}),
    ...(reply.usage !== undefined ? { usage: reply.usage } : {}),
  };
}
