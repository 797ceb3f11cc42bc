import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { workflow } from "../../src/engine/workflow.js";

/** A run that waits for alice's approval, then returns the decision. */
export const shipIt = workflow("ship-it", async ({ step }) => {
  const decision = await step.waitForApproval("ship", { title: "ship it?", approvers: ["alice"] });
  return { status: decision.status, by: decision.by };
});

/** Waits for an event, then returns its data. */
export const waitsForEvent = workflow("waits-for-event", async ({ step }) => {
  const ev = await step.waitForEvent("go", { event: "go.now" });
  return ev?.data ?? null;
});

/** The words of the answer the chat agent gives (one text delta each). */
export const ANSWER_WORDS = Array.from({ length: 40 }, (_, i) => `w${i} `);

function lastUser(prompt: LanguageModelV3Prompt): string {
  const users = prompt.filter((m) => m.role === "user");
  const last = users.at(-1);
  if (!last) return "";
  return typeof last.content === "string"
    ? last.content
    : last.content.map((p) => ("text" in p ? p.text : "")).join("");
}

export const posted: unknown[] = [];

/**
 * An agent on a scripted model: "post X" makes it call the gated `post` tool (approval first),
 * anything else gets ANSWER_WORDS, one word every `wordDelayMs`.
 */
export function chatAgent(wordDelayMs = 0) {
  return agent({
    name: "helper",
    instructions: "You help.",
    model: scriptedModel({
      name: "script",
      wordDelayMs,
      respond(prompt) {
        const last = prompt.at(-1);
        if (last?.role === "tool") return { text: "Posted it. " };
        const said = lastUser(prompt);
        if (said.startsWith("post "))
          return { text: "Posting now. ", toolCalls: [{ name: "post", args: { text: said.slice(5) } }] };
        return { text: ANSWER_WORDS.join(""), usage: { input: 10, output: ANSWER_WORDS.length } };
      },
    }),
    tools: {
      post: tool({
        description: "Posts a message",
        input: z.object({ text: z.string() }),
        needsApproval: true,
        execute: ({ text }) => {
          posted.push(text);
          return { posted: text };
        },
      }),
    },
    session: { onBusy: "queue" },
  });
}
