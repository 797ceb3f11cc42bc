/**
 * Tools that act on the world, in both checkpoint modes: each call gets its own idempotency key
 * (what an external API deduplicates on), and with checkpoint "turn" a side effect that is not
 * idempotent runs as its own step after the turn, never inside a step a crash would repeat.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { harness } from "../helpers.js";

const WS = "default";

/** Tools that record the idempotency key each call was given, by tool and argument. */
function recordingTools(charge: { idempotent: boolean }) {
  const keys = new Map<string, string>();
  return {
    keys,
    tools: {
      charge: tool({
        description: "Charges an amount",
        input: z.object({ amount: z.number() }),
        sideEffect: true,
        idempotent: charge.idempotent,
        execute: ({ amount }, ctx) => {
          keys.set(`charge ${amount}`, ctx.idempotencyKey);
          return { charged: amount };
        },
      }),
      lookup: tool({
        description: "Looks up a customer",
        input: z.object({ id: z.string() }),
        execute: ({ id }, ctx) => {
          keys.set(`lookup ${id}`, ctx.idempotencyKey);
          return { id, name: "Ada" };
        },
      }),
    },
  };
}

/** Asks for two charges and a lookup in one response, then answers with what it was told. */
function billingModel(prompts: string[]) {
  return scriptedModel({
    name: "biller",
    respond: (prompt) => {
      prompts.push(promptText(prompt));
      return prompts.length === 1
        ? {
            toolCalls: [
              { name: "charge", args: { amount: 5 } },
              { name: "charge", args: { amount: 7 } },
              { name: "lookup", args: { id: "c1" } },
            ],
          }
        : { text: "billed" };
    },
  });
}

describe("side-effecting tools", () => {
  it.each([
    ["calls", ["tool.charge", "tool.charge#2", "tool.lookup"]],
    ["turn", ["turn:charge", "turn:charge#2", "turn:lookup"]],
  ] as const)("checkpoint %s: every tool call has its own idempotency key", async (checkpoint, suffixes) => {
    const { keys, tools } = recordingTools({ idempotent: true });
    const prompts: string[] = [];
    const a = agent({ name: "biller", instructions: "", model: billingModel(prompts), tools, checkpoint });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "bill c1" });
    await h.drain();
    expect((await h.journal.getRun(WS, runId))?.status).toBe("completed");
    expect(new Set(keys.values()).size).toBe(3);
    expect([keys.get("charge 5"), keys.get("charge 7"), keys.get("lookup c1")]).toEqual(
      suffixes.map((s) => `${runId}:${s}`),
    );
  });

  it('checkpoint "turn": a side effect that is not idempotent runs after the turn, as its own step', async () => {
    const { keys, tools } = recordingTools({ idempotent: false });
    const prompts: string[] = [];
    const a = agent({
      name: "biller",
      instructions: "",
      model: billingModel(prompts),
      tools,
      checkpoint: "turn",
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "bill c1" });
    await h.drain();
    expect((await h.journal.getRun(WS, runId))?.output).toMatchObject({ text: "billed", turns: 2 });
    const steps = await h.journal.loadSteps(WS, runId);
    expect(steps.map((s) => s.stepId)).toEqual(["turn", "tool.charge", "tool.charge#2", "turn#2"]);
    // Their intent is recorded: a crash inside one pauses the run for a person.
    expect(steps.filter((s) => s.stepId.startsWith("tool.")).every((s) => s.sideEffect)).toBe(true);
    expect([keys.get("charge 5"), keys.get("charge 7"), keys.get("lookup c1")]).toEqual([
      `${runId}:tool.charge`,
      `${runId}:tool.charge#2`,
      `${runId}:turn:lookup`,
    ]);
    // The model was told every result, in the order it asked.
    expect(prompts[1]).toMatch(/charged.*5[\s\S]*charged.*7[\s\S]*Ada/);
  });
});
