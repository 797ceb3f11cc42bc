import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { z } from "zod";
import type { Agent } from "../../agent/agent.js";
import { agent } from "../../agent/agent.js";
import type { ModelSpec } from "../../agent/models.js";
import { scriptedModel } from "../../agent/scripted-model.js";
import type { ScriptedReply } from "../../agent/scripted-model.js";
import { tool } from "../../agent/tool.js";
import { drawImage } from "./draw-image.js";

import { DEMO_AGENT } from "./demo-name.js";

export { DEMO_AGENT };

/** Where the demo writes its images and its outbox (under the current directory). */
export function demoDir(cwd = process.cwd()): string {
  return resolve(cwd, ".cairn/demo");
}

/** The model the demo uses: a real one when a key is set, otherwise the offline script. */
export function demoModel(env: Record<string, string | undefined> = process.env): {
  spec: ModelSpec;
  offline: boolean;
  label: string;
} {
  if (env.CAIRN_DEMO_MODEL)
    return { spec: env.CAIRN_DEMO_MODEL, offline: false, label: env.CAIRN_DEMO_MODEL };
  if (env.OPENAI_API_KEY)
    return { spec: "openai:gpt-4.1-mini", offline: false, label: "openai:gpt-4.1-mini" };
  if (env.ANTHROPIC_API_KEY)
    return { spec: "anthropic:claude-haiku-4-5", offline: false, label: "anthropic:claude-haiku-4-5" };
  return {
    spec: scriptedModel({ name: "demo-script", respond: scriptedPoster, wordDelayMs: demoWordDelay(env) }),
    offline: true,
    label: "offline scripted model",
  };
}

/** How long the offline model takes per word: CAIRN_DEMO_WORD_DELAY_MS (to watch it stream), default 25. */
function demoWordDelay(env: Record<string, string | undefined>): number {
  const ms = Number(env.CAIRN_DEMO_WORD_DELAY_MS ?? 25);
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 5_000) : 25;
}

/** The hello-world agent: topic → image → caption → post. */
export function posterAgent(
  cwd = process.cwd(),
  env: Record<string, string | undefined> = process.env,
): Agent {
  const dir = demoDir(cwd);
  const generateImage = tool({
    description: "Generates an image for a prompt and returns the path of the image file.",
    input: z.object({ prompt: z.string().min(3).describe("What the image shows") }),
    execute: ({ prompt }, ctx) => {
      mkdirSync(join(dir, "images"), { recursive: true });
      const path = join(dir, "images", `${ctx.runId}-${ctx.stepId.replace(/[^\w-]/g, "_")}.svg`);
      const svg = drawImage(prompt);
      writeFileSync(path, svg);
      // The picture itself travels with the result (under 2 KiB), so the dashboard can show it.
      return {
        image: path,
        prompt,
        preview: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`,
      };
    },
  });
  const post = tool({
    description: "Publishes a post with a caption and an image. Posting is public and cannot be undone.",
    input: z.object({
      caption: z.string().min(1).max(280),
      image: z.string().describe("Path returned by generate_image"),
    }),
    // Posting is the consequential act: a person approves each post; its intent is recorded, and
    // the outbox file is named by the idempotency key, so a retry after a crash cannot post twice.
    needsApproval: true,
    sideEffect: true,
    idempotent: true,
    execute: ({ caption, image }, ctx) => {
      mkdirSync(join(dir, "outbox"), { recursive: true });
      const path = join(dir, "outbox", `${ctx.idempotencyKey.replace(/[^\w-]/g, "_")}.json`);
      writeFileSync(
        path,
        JSON.stringify({ caption, image, postedAt: new Date().toISOString(), runId: ctx.runId }, null, 2) +
          "\n",
      );
      return { posted: true, outbox: path };
    },
  });
  return agent({
    name: DEMO_AGENT,
    instructions:
      "You run a small social account. Given a topic: call generate_image once with a vivid prompt, " +
      "then write a short, upbeat caption (under 200 characters), then call post with the caption and the image path. " +
      "Finish with one sentence saying what you posted.",
    model: demoModel(env).spec,
    tools: { generate_image: generateImage, post },
    maxTurns: 8,
    // The offline script costs nothing; real models use the built-in price table.
    prices: { "scripted:demo-script": { input: 0, output: 0 } },
  });
}

/** The offline script: one reply per stage of the conversation, decided from what happened so far. */
export function scriptedPoster(prompt: LanguageModelV3Prompt): ScriptedReply {
  const topic = firstUserText(prompt).trim() || "a durable agent";
  const results = toolResults(prompt);
  const image = results.find((r) => r.toolName === "generate_image")?.value as { image?: string } | undefined;
  const posts = results.filter((r) => r.toolName === "post");
  const last = posts.at(-1);
  const usage = { input: 120 + 40 * results.length, output: 35 };
  if (image === undefined) {
    return {
      text: `I'll start with an image about ${topic}.`,
      toolCalls: [{ name: "generate_image", args: { prompt: `A bright, bold poster about ${topic}` } }],
      usage,
    };
  }
  if (last === undefined || typeof last.value === "string") {
    // No post yet, or the last one was rejected (or expired): write a caption and ask again.
    const caption = CAPTIONS[posts.length % CAPTIONS.length]!(capitalize(topic));
    const feedback =
      typeof last?.value === "string" ? `Understood: ${reasonOf(last.value)}. ` : "The image is ready. ";
    return {
      text: `${feedback}Caption: "${caption}" Posting it now.`,
      toolCalls: [{ name: "post", args: { caption, image: image.image ?? "" } }],
      usage,
    };
  }
  return { text: `Posted an image and a caption about ${topic}.`, usage };
}

const CAPTIONS: ((topic: string) => string)[] = [
  (t) => `${t}: built to finish what it starts, even after a crash. #durable`,
  (t) => `${t}, one checkpoint at a time.`,
  (t) => `${t}. Short and steady.`,
];

/** The approver's words out of the loop's rejection message. */
function reasonOf(message: string): string {
  const m = /rejected this call of post: (.*?)\. It was not made/.exec(message);
  if (m) return `"${m[1]}"`;
  return message.includes("expired") ? "the request expired" : "the post was not approved";
}

function firstUserText(prompt: LanguageModelV3Prompt): string {
  for (const m of prompt) {
    if (m.role !== "user") continue;
    return m.content.map((p) => (p.type === "text" ? p.text : "")).join(" ");
  }
  return "";
}

function toolResults(prompt: LanguageModelV3Prompt): { toolName: string; value: unknown }[] {
  const out: { toolName: string; value: unknown }[] = [];
  for (const m of prompt) {
    if (m.role !== "tool") continue;
    for (const p of m.content) {
      if (p.type !== "tool-result") continue;
      const o = p.output;
      // A rejected or failed call comes back as error text: a string, told apart from results.
      out.push({
        toolName: p.toolName,
        value: o.type === "json" ? o.value : o.type === "error-text" ? o.value : o,
      });
    }
  }
  return out;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
