import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { modelTurnOf } from "../../src/agent/run-usage.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { sendToAgent } from "../../src/agent/send-to-agent.js";
import { tool } from "../../src/agent/tool.js";
import { workflow } from "../../src/engine/workflow.js";
import { runSpanId, stepSpanId, traceIdOf } from "../../src/telemetry/span-record.js";
import { startTracing } from "../../src/telemetry/start-tracing.js";
import { harness } from "../helpers.js";
import type { ReceivedSpan } from "./otlp-receiver.js";
import { startOtlpReceiver } from "./otlp-receiver.js";

const PASSWORD = "hunter2pass";
const ENV_SECRET = "supersecretvalue123";
const CLIENT = 3; // OTLP SpanKind CLIENT

function agents() {
  const researcher = agent({
    name: "researcher",
    instructions: "You find facts.",
    model: scriptedModel({
      name: "research-model",
      respond: () => ({ text: "Cairns mark trails.", usage: { input: 7, output: 4 } }),
    }),
  });
  const poster = agent({
    name: "poster",
    instructions: "You post.",
    model: scriptedModel({
      name: "poster-model",
      respond(prompt: LanguageModelV3Prompt) {
        if (prompt.some((m) => m.role === "tool"))
          return { text: "Posted.", usage: { input: 30, output: 3 } };
        return {
          text: "Working on it.",
          toolCalls: [
            { name: "researcher", args: { task: "find facts about cairns" } },
            { name: "image", args: { prompt: "a cairn" } },
            { name: "secret", args: {} },
          ],
          usage: { input: 20, output: 9 },
        };
      },
    }),
    tools: {
      image: tool({
        description: "draws",
        input: z.object({ prompt: z.string() }),
        execute: () => ({ path: "/img/cairn.svg" }),
      }),
      secret: tool({
        description: "reads a config",
        input: z.object({}),
        execute: () => ({
          url: `https://bob:${PASSWORD}@api.example.com/data?token=tok_abcdef123456`,
          note: `key ${ENV_SECRET}`,
        }),
      }),
    },
    agents: { researcher },
  });
  return { poster, researcher, map: new Map([poster, researcher].map((a) => [a.name, a])) };
}

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe("OpenTelemetry traces", () => {
  it("exports a run, its model and tool calls and its sub-agent as one trace with the GenAI conventions", async () => {
    const receiver = await startOtlpReceiver();
    const { poster, researcher, map } = agents();
    const h = await harness([poster.workflow, researcher.workflow]);
    const tracing = await startTracing(h.engine, {
      agents: map,
      endpoint: receiver.url,
      content: true,
      env: { MY_API_KEY: ENV_SECRET },
    });
    const { runId } = await sendToAgent(h.engine, poster, { message: "post about cairns", session: "s1" });
    await h.drain();
    await tracing!.flush();
    const spans = await receiver.until(
      "the poster's run span",
      (s) => byName(s, "invoke_agent poster").length > 0,
    );

    // One trace, derived from the run's id; no span twice (the parent's resumed execution
    // replays its first model call and tool calls and emits nothing for them).
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceIdOf(runId)]));
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);

    const run = byName(spans, "invoke_agent poster")[0]!;
    expect(run.spanId).toBe(runSpanId(runId));
    expect(run.parentSpanId).toBeUndefined();
    expect(run.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "poster",
      "gen_ai.conversation.id": "s1",
      "gen_ai.provider.name": "scripted",
      "gen_ai.request.model": "poster-model",
      "gen_ai.usage.input_tokens": 57,
      "gen_ai.usage.output_tokens": 16,
      "cairn.run.status": "completed",
    });

    const chats = byName(spans, "chat poster-model");
    expect(chats).toHaveLength(2);
    expect(chats.map((c) => c.spanId).sort()).toEqual(
      [stepSpanId(runId, "model"), stepSpanId(runId, "model#2")].sort(),
    );
    const first = chats.find((c) => c.spanId === stepSpanId(runId, "model"))!;
    expect(first.kind).toBe(CLIENT);
    expect(first.parentSpanId).toBe(run.spanId);
    expect(first.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "scripted",
      "gen_ai.request.model": "poster-model",
      "gen_ai.response.finish_reasons": ["tool-calls"],
      "gen_ai.usage.input_tokens": 20,
      "gen_ai.usage.output_tokens": 9,
      "gen_ai.conversation.id": "s1",
    });
    const output = JSON.parse(first.attributes["gen_ai.output.messages"] as string) as { parts: unknown[] }[];
    expect(output[0]!.parts[0]).toEqual({
      type: "text",
      content: "Working on it.",
    });

    // Tool calls carry the ids the model gave them.
    const steps = await h.journal.loadSteps("default", runId);
    const calls = modelTurnOf(steps.find((s) => s.stepId === "model")!.output)!.toolCalls;
    const image = byName(spans, "execute_tool image")[0]!;
    expect(image.parentSpanId).toBe(run.spanId);
    expect(image.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "image",
      "gen_ai.tool.call.id": calls.find((c) => c.name === "image")!.id,
      "gen_ai.tool.call.arguments": JSON.stringify({ prompt: "a cairn" }),
    });

    // The sub-agent's run nests under the parent's tool call that started it.
    const delegation = byName(spans, "execute_tool researcher")[0]!;
    expect(delegation.attributes["gen_ai.tool.call.id"]).toBe(calls.find((c) => c.name === "researcher")!.id);
    const child = byName(spans, "invoke_agent researcher")[0]!;
    expect(child.parentSpanId).toBe(delegation.spanId);
    const childChat = byName(spans, "chat research-model")[0]!;
    expect(childChat.parentSpanId).toBe(child.spanId);
    expect(childChat.attributes["gen_ai.usage.output_tokens"]).toBe(4);

    // Secrets in tool results never leave the process, even with contents on.
    const secret = byName(spans, "execute_tool secret")[0]!;
    expect(secret.attributes["gen_ai.tool.call.result"]).toContain("bob:***@api.example.com");
    const sent = receiver.bodies.join("\n");
    expect(sent).not.toContain(PASSWORD);
    expect(sent).not.toContain(ENV_SECRET);
    expect(sent).not.toContain("tok_abcdef123456");
    await tracing!.shutdown();
  });

  it("exports no message contents unless asked, and nothing at all without an endpoint", async () => {
    const receiver = await startOtlpReceiver();
    const { poster, researcher, map } = agents();
    const h = await harness([poster.workflow, researcher.workflow]);
    expect(await startTracing(h.engine, { agents: map, env: {} })).toBeUndefined();
    const tracing = await startTracing(h.engine, {
      agents: map,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    await sendToAgent(h.engine, poster, { message: "post about cairns" });
    await h.drain();
    await tracing!.shutdown();
    const spans = await receiver.until(
      "the poster's run span",
      (s) => byName(s, "invoke_agent poster").length > 0,
    );
    const keys = new Set(spans.flatMap((s) => Object.keys(s.attributes)));
    for (const key of [
      "gen_ai.input.messages",
      "gen_ai.output.messages",
      "gen_ai.tool.call.arguments",
      "gen_ai.tool.call.result",
    ])
      expect(keys.has(key), key).toBe(false);
    expect(receiver.bodies.join("\n")).not.toContain("post about cairns");
    expect(spans[0]!.resource["service.name"]).toBe("cairn");
  });

  it("a run cancelled while nobody executes it gets its run span, and its child's, from the process that cancels", async () => {
    const receiver = await startOtlpReceiver();
    const child = workflow("waiting-child", async ({ step }) => {
      await step.waitForEvent("go", { event: "never.sent" });
    });
    const parent = workflow("waiting-parent", async ({ step }) => {
      await step.run("prepare", () => 1);
      await step.invoke("child", child, {});
    });
    const h = await harness([parent, child]);
    const { runId } = await h.engine.start(parent, {});
    await h.drain();
    const kids = await h.journal.listRuns("default", { parentRunId: runId });
    expect(kids.map((r) => r.status)).toEqual(["waiting"]);
    const tracing = await startTracing(h.engine, { endpoint: receiver.url });
    expect(await h.engine.cancel(runId)).toBe("cancelled");
    // Cancelling again ends nothing more, so it exports nothing more.
    expect(await h.engine.cancel(runId)).toBe("cancelled");
    await tracing!.shutdown();
    const spans = await receiver.until(
      "the cancelled runs' spans",
      (s) =>
        byName(s, "invoke_workflow waiting-parent").length +
          byName(s, "invoke_workflow waiting-child").length >=
        2,
      10_000,
    );
    const run = byName(spans, "invoke_workflow waiting-parent");
    expect(run).toHaveLength(1);
    expect(run[0]).toMatchObject({ spanId: runSpanId(runId), traceId: traceIdOf(runId) });
    expect(run[0]!.attributes["cairn.run.status"]).toBe("cancelled");
    const kid = byName(spans, "invoke_workflow waiting-child");
    expect(kid).toHaveLength(1);
    expect(kid[0]).toMatchObject({ spanId: runSpanId(kids[0]!.id), traceId: traceIdOf(runId) });
  });
});
