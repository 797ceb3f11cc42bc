/**
 * A session's run that is parked (waiting on an approval, a retry's backoff, or a sub-agent) is
 * still the session's run in flight: each `onBusy` policy must hold in that state as it does
 * while the run executes. What is asserted is what a user sees: the outcome `sendToAgent`
 * reports, what each model call was shown, the session's history and the runs' statuses.
 */
import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentOptions } from "../../src/agent/agent.js";
import { agent } from "../../src/agent/agent.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { sendToAgent } from "../../src/agent/send-to-agent.js";
import { tool } from "../../src/agent/tool.js";
import { CairnError } from "../../src/shared/errors.js";
import type { Harness } from "../helpers.js";
import { harness } from "../helpers.js";

type Parked = "approval" | "retry" | "sub-agent";
const PARKED: Parked[] = ["approval", "retry", "sub-agent"];
const WS = "default";

/** The text of a prompt's messages, one line each: `role: text`. */
function lines(prompt: LanguageModelV3Prompt): string[] {
  return prompt.map((m) => {
    const text =
      typeof m.content === "string"
        ? m.content
        : m.content
            .map((p) => ("text" in p ? p.text : p.type === "tool-result" ? `[result ${p.toolName}]` : ""))
            .join("");
    return `${m.role}: ${text}`;
  });
}

/**
 * The chat agent of these tests. Its model parks the run on the first message of a run ("park
 * …") with the tool of the parked state; anything else it answers with `answer: <last user
 * message>`. Every prompt the model is shown is recorded (the child agent's too, apart).
 */
function parkingChat(parked: Parked, onBusy: NonNullable<AgentOptions["session"]>["onBusy"]) {
  const prompts: string[][] = [];
  const childPrompts: string[][] = [];
  let flakyCalls = 0;
  const respond = (prompt: LanguageModelV3Prompt): ScriptedReply => {
    const said = lines(prompt);
    const lastUser =
      [...said]
        .reverse()
        .find((l) => l.startsWith("user: "))
        ?.slice(6) ?? "";
    const last = said[said.length - 1]!;
    if (last.startsWith("user: park")) {
      const name = parked === "approval" ? "pay" : parked === "retry" ? "flaky" : "helper";
      const args = parked === "sub-agent" ? { task: "pay the vendor" } : { amount: 5 };
      return { toolCalls: [{ name, args }] };
    }
    return { text: `answer: ${lastUser}` };
  };
  const model = scriptedModel({
    name: "chat",
    respond: (p) => {
      prompts.push(lines(p));
      return respond(p);
    },
  });
  const pay = tool({
    description: "Pays",
    input: z.object({ amount: z.number() }),
    needsApproval: true,
    execute: ({ amount }) => ({ paid: amount }),
  });
  const flaky = tool({
    description: "Fails once, then works",
    input: z.object({ amount: z.number() }),
    execute: ({ amount }) => {
      if (++flakyCalls === 1) throw new Error("upstream hiccup");
      return { done: amount };
    },
  });
  // The sub-agent parks on an approval of its own; the parent waits for it, holding nothing.
  const helper = agent({
    name: "helper",
    instructions: "You help.",
    model: scriptedModel({
      name: "helper",
      respond: (p) => {
        childPrompts.push(lines(p));
        const said = lines(p);
        return said[said.length - 1]!.startsWith("user: ")
          ? { toolCalls: [{ name: "pay", args: { amount: 7 } }] }
          : { text: "paid the vendor" };
      },
    }),
    tools: { pay },
  });
  const chat = agent({
    name: "chat",
    instructions: "You chat.",
    model,
    tools: parked === "approval" ? { pay } : parked === "retry" ? { flaky } : {},
    ...(parked === "sub-agent" ? { agents: { helper } } : {}),
    session: { onBusy },
  });
  return { chat, helper, prompts, childPrompts };
}

/** Sends the parking message and drains: the session's run is then parked in `parked`. */
async function parkFirstRun(h: Harness, a: ReturnType<typeof parkingChat>, parked: Parked) {
  const first = await sendToAgent(h.engine, a.chat, { message: "park first", session: "s" });
  expect(first.outcome).toBe("started");
  await h.drain();
  expect(await status(h, first.runId)).toBe("waiting");
  const steps = await h.journal.loadSteps(WS, first.runId);
  const last = steps[steps.length - 1]!;
  if (parked === "approval") expect(last).toMatchObject({ stepId: "approve.pay", status: "waiting" });
  if (parked === "retry") expect(last).toMatchObject({ stepId: "tool.flaky", status: "retrying" });
  if (parked === "sub-agent") expect(last).toMatchObject({ stepId: "agent.helper", status: "waiting" });
  return first.runId;
}

/** Lets the parked run go on: approve what waits for a person, or let the backoff pass. */
async function unpark(h: Harness, parked: Parked): Promise<void> {
  if (parked === "retry") {
    await h.advance(60 * 60_000);
    return;
  }
  const pending = await h.journal.listApprovals(WS, { status: "pending" });
  expect(pending.length).toBeGreaterThan(0);
  for (const p of pending) await h.engine.decide(p.id, { approve: true, by: "ada" });
  await h.drain();
}

async function status(h: Harness, runId: string) {
  return (await h.journal.getRunSummary(WS, runId))?.status;
}

/** The session's history as `role: text` lines, in the order it is stored. */
async function history(h: Harness): Promise<string[]> {
  const messages = await h.journal.loadSession(WS, "chat", "s");
  return messages.map((m) => {
    const msg = m.message as { role: string; content: unknown };
    const text =
      typeof msg.content === "string"
        ? msg.content
        : (msg.content as { type: string; text?: string; toolName?: string }[])
            .map((p) => (p.type === "text" ? p.text : p.type === "tool-call" ? `[call ${p.toolName}]` : ""))
            .join("");
    return `${msg.role}: ${text}`;
  });
}

/** The user and final-answer lines of a history: what a person reads back. */
function conversation(said: string[]): string[] {
  return said.filter((l) => l.startsWith("user: ") || /^assistant: answer/.test(l));
}

describe.each(PARKED)("a session whose run is parked on %s", (parked) => {
  it("queue: later messages wait for it, in order, and each run sees the turns before it", async () => {
    const a = parkingChat(parked, "queue");
    const h = await harness([a.chat.workflow, a.helper.workflow]);
    const first = await parkFirstRun(h, a, parked);
    const callsWhileParked = a.prompts.length;

    const second = await sendToAgent(h.engine, a.chat, { message: "second", session: "s" });
    const third = await sendToAgent(h.engine, a.chat, { message: "third", session: "s" });
    expect([second.outcome, third.outcome]).toEqual(["queued", "queued"]);
    await h.drain();
    // Nothing started behind the parked run: no model call, both still queued.
    expect(a.prompts).toHaveLength(callsWhileParked);
    expect(await status(h, second.runId)).toBe("queued");
    expect(await status(h, third.runId)).toBe("queued");

    await unpark(h, parked);
    for (const id of [first, second.runId, third.runId]) expect(await status(h, id)).toBe("completed");
    const ofSecond = a.prompts.find((p) => p[p.length - 1] === "user: second")!;
    const ofThird = a.prompts.find((p) => p[p.length - 1] === "user: third")!;
    expect(conversation(ofSecond)).toEqual([
      "user: park first",
      "assistant: answer: park first",
      "user: second",
    ]);
    expect(conversation(ofThird)).toEqual([
      "user: park first",
      "assistant: answer: park first",
      "user: second",
      "assistant: answer: second",
      "user: third",
    ]);
    expect(conversation(await history(h))).toEqual([
      "user: park first",
      "assistant: answer: park first",
      "user: second",
      "assistant: answer: second",
      "user: third",
      "assistant: answer: third",
    ]);
  });

  it("interrupt: the parked run is cancelled and a new run answers both messages", async () => {
    const a = parkingChat(parked, "interrupt");
    const h = await harness([a.chat.workflow, a.helper.workflow]);
    const first = await parkFirstRun(h, a, parked);

    const second = await sendToAgent(h.engine, a.chat, { message: "second", session: "s" });
    expect(second.outcome).toBe("interrupted");
    expect(await status(h, first)).toBe("cancelled");
    // What the parked run waited on is dropped with it: no approval is left to decide.
    expect(await h.journal.listApprovals(WS, { status: "pending" })).toEqual([]);
    const children = await h.journal.listRuns(WS, { parentRunId: first });
    for (const c of children) expect(c.status).toBe("cancelled");
    await h.drain();
    expect(await status(h, second.runId)).toBe("completed");
    const last = a.prompts[a.prompts.length - 1]!;
    expect(conversation(last)).toEqual(["user: park first", "user: second"]);
    expect(conversation(await history(h))).toEqual([
      "user: park first",
      "user: second",
      "assistant: answer: second",
    ]);
    if (parked === "retry") {
      await h.advance(60 * 60_000);
      expect(await status(h, first)).toBe("cancelled");
    }
  });

  it("steer: the message joins the parked run when it resumes", async () => {
    const a = parkingChat(parked, "steer");
    const h = await harness([a.chat.workflow, a.helper.workflow]);
    const first = await parkFirstRun(h, a, parked);
    const callsWhileParked = a.prompts.length;

    const steered = await sendToAgent(h.engine, a.chat, { message: "second", session: "s" });
    expect(steered).toEqual({ runId: first, outcome: "steered" });
    await h.drain();
    expect(a.prompts).toHaveLength(callsWhileParked);
    expect(await status(h, first)).toBe("waiting");

    await unpark(h, parked);
    expect(await status(h, first)).toBe("completed");
    expect(await h.journal.listRuns(WS, { workflow: "chat" })).toHaveLength(1);
    const last = a.prompts[a.prompts.length - 1]!;
    expect(last.slice(-2)).toEqual([expect.stringMatching(/^tool: \[result /), "user: second"]);
    expect(conversation(await history(h))).toEqual([
      "user: park first",
      "user: second",
      "assistant: answer: second",
    ]);
  });

  it("reject: the message is refused naming the parked run, which goes on undisturbed", async () => {
    const a = parkingChat(parked, "reject");
    const h = await harness([a.chat.workflow, a.helper.workflow]);
    const first = await parkFirstRun(h, a, parked);

    const err = await sendToAgent(h.engine, a.chat, { message: "second", session: "s" }).catch(
      (e: unknown) => e,
    );
    expect(CairnError.is(err, "CAIRN_CONFLICT")).toBe(true);
    expect((err as Error).message).toContain(first);
    expect(await h.journal.listRuns(WS, { workflow: "chat" })).toHaveLength(1);

    await unpark(h, parked);
    expect(await status(h, first)).toBe("completed");
    expect(a.prompts.flat().join("\n")).not.toContain("second");
    expect(conversation(await history(h))).toEqual(["user: park first", "assistant: answer: park first"]);
  });
});
