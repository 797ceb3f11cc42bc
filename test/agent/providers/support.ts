/**
 * Shared setup of the provider tests: the three wire APIs (model objects, string specs and the
 * environment they read), what each API's request body carries back to the model, a fresh fake
 * model server per test, and an agent with one counting tool over the test harness.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { afterEach, beforeEach } from "vitest";
import { z } from "zod";
import type { Agent, AgentOptions, AgentResult } from "../../../src/agent/agent.js";
import { agent } from "../../../src/agent/agent.js";
import type { ModelSpec } from "../../../src/agent/models.js";
import { tool } from "../../../src/agent/tool.js";
import type { Progress } from "../../../src/engine/progress.js";
import type { RunSummary, StepRecord } from "../../../src/store/records.js";
import type { Harness } from "../../helpers.js";
import { harness } from "../../helpers.js";
import type { ApiName, FakeModelServer } from "../../support/fake-model-server.js";
import { startFakeModelServer } from "../../support/fake-model-server.js";

/** What a request sent to the model: the user's texts and the tool results, per API. */
export interface Sent {
  userTexts: string[];
  toolResults: { id: string; output: string }[];
}

export interface Api {
  name: ApiName;
  /** The AI SDK model object pointed at the fake server. */
  model(s: FakeModelServer): Exclude<ModelSpec, string>;
  /** The same model as a string spec, resolved from the environment. */
  spec: string;
  /** `provider:model` of the spec, for the built-in price table. */
  priceKey: string;
  keyVar: "OPENAI_API_KEY" | "ANTHROPIC_API_KEY";
  baseVar: "OPENAI_BASE_URL" | "ANTHROPIC_BASE_URL";
  sent(body: unknown): Sent;
}

type Block = { type?: string; text?: string; tool_use_id?: string; content?: unknown };

export const APIS: Api[] = [
  {
    name: "openai-chat",
    model: (s) => createOpenAI({ baseURL: s.openaiBaseURL, apiKey: "test" }).chat("gpt-4.1-mini"),
    spec: "openai-chat:gpt-4.1-mini",
    priceKey: "openai:gpt-4.1-mini",
    keyVar: "OPENAI_API_KEY",
    baseVar: "OPENAI_BASE_URL",
    sent: (body) => {
      const b = body as { messages: { role: string; content: unknown; tool_call_id?: string }[] };
      return {
        userTexts: b.messages.filter((m) => m.role === "user").map((m) => String(m.content)),
        toolResults: b.messages
          .filter((m) => m.role === "tool")
          .map((m) => ({ id: m.tool_call_id ?? "", output: JSON.stringify(m.content) })),
      };
    },
  },
  {
    name: "openai-responses",
    model: (s) => createOpenAI({ baseURL: s.openaiBaseURL, apiKey: "test" }).responses("gpt-4.1-mini"),
    spec: "openai:gpt-4.1-mini",
    priceKey: "openai:gpt-4.1-mini",
    keyVar: "OPENAI_API_KEY",
    baseVar: "OPENAI_BASE_URL",
    sent: (body) => {
      const b = body as {
        input: { role?: string; type?: string; content?: Block[]; call_id?: string; output?: unknown }[];
      };
      return {
        userTexts: b.input
          .filter((m) => m.role === "user")
          .flatMap((m) => (m.content ?? []).map((c) => c.text ?? "")),
        toolResults: b.input
          .filter((m) => m.type === "function_call_output")
          .map((m) => ({ id: m.call_id ?? "", output: JSON.stringify(m.output) })),
      };
    },
  },
  {
    name: "anthropic",
    model: (s) => createAnthropic({ baseURL: s.anthropicBaseURL, apiKey: "test" })("claude-haiku-4-5"),
    spec: "anthropic:claude-haiku-4-5",
    priceKey: "anthropic:claude-haiku-4-5",
    keyVar: "ANTHROPIC_API_KEY",
    baseVar: "ANTHROPIC_BASE_URL",
    sent: (body) => {
      const b = body as { messages: { role: string; content: Block[] | string }[] };
      const blocks = b.messages
        .filter((m) => m.role === "user")
        .flatMap((m) => (typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content));
      return {
        userTexts: blocks.filter((c) => c.type === "text").map((c) => c.text ?? ""),
        toolResults: blocks
          .filter((c) => c.type === "tool_result")
          .map((c) => ({ id: c.tool_use_id ?? "", output: JSON.stringify(c.content) })),
      };
    },
  },
];

/** A fresh fake model server for each test (so a failed test's leftover script cannot leak). */
export function useFakeServer(): { readonly server: FakeModelServer } {
  const holder = {} as { server: FakeModelServer };
  beforeEach(async () => {
    holder.server = await startFakeModelServer();
  });
  afterEach(async () => {
    await holder.server.close();
  });
  return holder;
}

/** Sets environment variables for one test; restores the old values afterwards. */
export function setEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    const old = process.env[k];
    restores.push(() => {
      if (old === undefined) delete process.env[k];
      else process.env[k] = old;
    });
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
const restores: (() => void)[] = [];
afterEach(() => {
  while (restores.length > 0) restores.pop()!();
});

/** A tool the scripts call: counts its calls, and fails its first `failFirst` attempts. */
export function weatherTool(options: { failFirst?: number } = {}) {
  const calls: string[] = [];
  const t = tool({
    description: "Current weather for a city",
    input: z.object({ city: z.string() }),
    execute: ({ city }) => {
      calls.push(city);
      if (calls.length <= (options.failFirst ?? 0)) throw new Error("weather service unavailable");
      return { city, forecast: "sunny, 21°C" };
    },
  });
  return { tool: t, calls };
}

export interface AgentHarness extends Harness {
  agent: Agent;
  events: Progress[];
  /** Starts a run with `message` and drains the worker. */
  run(message: string): Promise<string>;
  summary(runId: string): Promise<RunSummary>;
  output(runId: string): Promise<AgentResult>;
  steps(runId: string): Promise<StepRecord[]>;
}

/** An agent named "weather" over a fresh harness, recording every progress event. */
export async function agentHarness(
  options: Omit<AgentOptions, "name" | "instructions">,
): Promise<AgentHarness> {
  const a = agent({ name: "weather", instructions: "You answer weather questions.", ...options });
  const h = await harness([a.workflow]);
  const events: Progress[] = [];
  h.engine.on((p) => events.push(p));
  return {
    ...h,
    agent: a,
    events,
    run: async (message) => {
      const { runId } = await h.engine.start(a.workflow, { message });
      await h.drain();
      return runId;
    },
    summary: async (runId) => (await h.journal.getRunSummary("default", runId))!,
    output: async (runId) => (await h.journal.getRun("default", runId))!.output as AgentResult,
    steps: (runId) => h.journal.loadSteps("default", runId),
  };
}

/** The streamed text deltas of one step, in order. */
export function deltasOf(events: Progress[], stepId: string): string[] {
  return events.flatMap((e) =>
    e.type === "step.progress" && e.stepId === stepId && e.data.type === "text-delta"
      ? [String(e.data.text)]
      : [],
  );
}
