import type { LanguageModelV3Prompt } from "@ai-sdk/provider";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import type { AgentOptions } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { sendToAgent } from "../../src/agent/send-to-agent.js";
import { tool } from "../../src/agent/tool.js";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { CairnError } from "../../src/shared/errors.js";
import { silentLogger } from "../../src/shared/logger.js";
import { harness, until } from "../helpers.js";

/** A model that echoes what it was told and records each prompt it saw. */
function echoModel(reply?: (prompt: LanguageModelV3Prompt, n: number) => ScriptedReply) {
  const prompts: string[] = [];
  const model = scriptedModel({
    name: "echo",
    respond: (prompt) => {
      prompts.push(promptText(prompt));
      return reply?.(prompt, prompts.length) ?? { text: `answer ${prompts.length}` };
    },
  });
  return { model, prompts };
}

function chat(extra: Partial<AgentOptions> & { model: AgentOptions["model"] }) {
  return agent({ name: "chat", instructions: "You chat.", ...extra });
}

describe("agent sessions", () => {
  it("a session keeps the conversation across runs and across a restart of the process", async () => {
    const { model, prompts } = echoModel();
    const a = chat({ model });
    const h = await harness([a.workflow]);
    await sendToAgent(h.engine, a, { message: "my name is Ada", session: "s1" });
    await h.drain();
    await sendToAgent(h.engine, a, { message: "what is my name?", session: "s1" });
    await h.drain();
    expect(prompts[1]).toContain("my name is Ada");
    expect(prompts[1]).toContain("answer 1");
    // A new process: a fresh journal and engine over the same file.
    await h.journal.close();
    const journal = await h.reopen();
    const engine = new Engine({ journal, workflows: [a.workflow], logger: silentLogger });
    await sendToAgent(engine, a, { message: "and again?", session: "s1" });
    await new Worker(engine).drain();
    expect(prompts[2]).toContain("my name is Ada");
    expect(prompts[2]).toContain("what is my name?");
    const session = await journal.loadSession("default", "chat", "s1");
    expect(session.map((m) => (m.message as { role: string }).role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    // Another session knows nothing of this one.
    await sendToAgent(engine, a, { message: "hello", session: "s2" });
    await new Worker(engine).drain();
    expect(prompts[3]).not.toContain("Ada");
    await journal.close();
  });

  it("queue: a message that arrives mid-run gets its own run, after the first", async () => {
    const { model, prompts } = echoModel();
    const a = chat({ model });
    const h = await harness([a.workflow]);
    const first = await sendToAgent(h.engine, a, { message: "first", session: "q" });
    const second = await sendToAgent(h.engine, a, { message: "second", session: "q" });
    expect([first.outcome, second.outcome]).toEqual(["started", "queued"]);
    expect(await h.engine.claim(10)).toHaveLength(1);
    h.clock.advance(60_000);
    await h.drain();
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toContain("first");
  });

  it("interrupt: the run in flight is cancelled and a new run answers both messages", async () => {
    const { model, prompts } = echoModel();
    const a = chat({ model, session: { onBusy: "interrupt" } });
    const h = await harness([a.workflow]);
    const first = await sendToAgent(h.engine, a, { message: "book a table", session: "i" });
    const second = await sendToAgent(h.engine, a, { message: "actually, for four", session: "i" });
    expect(second.outcome).toBe("interrupted");
    expect((await h.journal.getRunSummary("default", first.runId))?.status).toBe("cancelled");
    await h.drain();
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain("book a table");
    expect(prompts[0]).toContain("actually, for four");
  });

  it("interrupt mid-tool: the new run starts only once the interrupted one has stopped", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let toolStarted = false;
    const wait = tool({
      description: "Waits",
      input: z.object({}),
      execute: async () => ((toolStarted = true), await gate, "waited"),
    });
    const { model, prompts } = echoModel((_p, n) =>
      n === 1 ? { toolCalls: [{ name: "wait", args: {} }] } : { text: `answer ${n}` },
    );
    const a = chat({ model, tools: { wait }, session: { onBusy: "interrupt" } });
    const h = await harness([a.workflow]);
    const first = await sendToAgent(h.engine, a, { message: "book a table", session: "i" });
    const draining = h.drain();
    const deadline = Date.now() + 20_000;
    while (!toolStarted) {
      if (Date.now() > deadline) throw new Error("the first run's tool never started (20 s)");
      await new Promise((r) => setTimeout(r, 2));
    }
    const second = await sendToAgent(h.engine, a, { message: "actually, for four", session: "i" });
    expect(second.outcome).toBe("interrupted");
    // The first run is still inside its tool: the new one does not run beside it.
    expect(await h.engine.claim(10)).toEqual([]);
    // A third message replaces the second, which has not started: every message is answered once.
    const third = await sendToAgent(h.engine, a, { message: "no, five", session: "i" });
    expect(third.outcome).toBe("interrupted");
    release();
    await draining;
    await h.drain();
    expect((await h.journal.getRunSummary("default", first.runId))?.status).toBe("cancelled");
    expect((await h.journal.getRunSummary("default", second.runId))?.status).toBe("cancelled");
    expect((await h.journal.getRunSummary("default", third.runId))?.status).toBe("completed");
    expect(prompts).toHaveLength(2);
    const said = prompts[1]!;
    for (const m of ["book a table", "actually, for four", "no, five"]) expect(said.split(m)).toHaveLength(2);
    expect(said.indexOf("book a table")).toBeLessThan(said.indexOf("actually, for four"));
    expect(said.indexOf("actually, for four")).toBeLessThan(said.indexOf("no, five"));
  });

  it("steer: the message joins the running run before its next model call", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wait = tool({
      description: "Waits",
      input: z.object({}),
      execute: async () => (await gate, "waited"),
    });
    const { model, prompts } = echoModel((_p, n) =>
      n === 1 ? { toolCalls: [{ name: "wait", args: {} }] } : { text: "ok" },
    );
    const a = chat({ model, tools: { wait }, session: { onBusy: "steer" } });
    const h = await harness([a.workflow]);
    const first = await sendToAgent(h.engine, a, { message: "start", session: "st" });
    const draining = h.drain();
    await until("the first run to make its first model call", async () => {
      const steps = await h.journal.loadSteps("default", first.runId);
      return steps.some((s) => s.stepId.startsWith("model"));
    });
    const steered = await sendToAgent(h.engine, a, { message: "also mention cairns", session: "st" });
    expect(steered).toEqual({ runId: first.runId, outcome: "steered" });
    release();
    await draining;
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toContain("also mention cairns");
    expect(await h.journal.listRuns("default")).toHaveLength(1);
  });

  it("steer: a message that arrives while the run saves its answer is answered by that run", async () => {
    const { model, prompts } = echoModel();
    const a = chat({ model, session: { onBusy: "steer" } });
    const h = await harness([a.workflow]);
    // The message lands after the run's last look at its inbox before ending: while it saves.
    const append = h.journal.appendSession.bind(h.journal);
    let steered: Awaited<ReturnType<typeof sendToAgent>> | undefined;
    h.journal.appendSession = async (...args) => {
      steered ??= await sendToAgent(h.engine, a, { message: "one more thing", session: "late" });
      return append(...args);
    };
    const first = await sendToAgent(h.engine, a, { message: "hello", session: "late" });
    await h.drain();
    expect(steered).toEqual({ runId: first.runId, outcome: "steered" });
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toContain("one more thing");
    expect(await h.journal.listRuns("default")).toHaveLength(1);
    const history = await h.journal.loadSession("default", "chat", "late");
    expect(history.map((m) => (m.message as { role: string }).role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
  });

  it("steer: a message sent once the run closed its inbox gets a run after it, which sees its answer", async () => {
    const { model, prompts } = echoModel();
    const a = chat({ model, session: { onBusy: "steer" } });
    const h = await harness([a.workflow]);
    const take = h.journal.takeInbox.bind(h.journal);
    let late: Awaited<ReturnType<typeof sendToAgent>> | undefined;
    let later: Awaited<ReturnType<typeof sendToAgent>> | undefined;
    h.journal.takeInbox = async (...args) => {
      const taken = await take(...args);
      // The run's last look, which closes its inbox: it is still running, but done with messages.
      if (args[5] === true && late === undefined) {
        late = await sendToAgent(h.engine, a, { message: "and another", session: "closed" });
        later = await sendToAgent(h.engine, a, { message: "and one more", session: "closed" });
      }
      return taken;
    };
    const first = await sendToAgent(h.engine, a, { message: "hello", session: "closed" });
    await h.drain();
    expect(late?.outcome).toBe("queued");
    expect(late?.runId).not.toBe(first.runId);
    // The next message steers the queued run rather than queueing one more.
    expect(later).toEqual({ runId: late?.runId, outcome: "steered" });
    const runs = await h.journal.listRuns("default");
    expect(runs.map((r) => r.status)).toEqual(["completed", "completed"]);
    expect(prompts).toHaveLength(2);
    // The new run waited for the first: its conversation holds the first run's answer.
    expect(prompts[1]).toContain("answer 1");
    expect(prompts[1]).toContain("and another");
    expect(prompts[1]).toContain("and one more");
  });

  it("reject: a message for a busy session is refused with a conflict naming the run", async () => {
    const { model } = echoModel();
    const a = chat({ model, session: { onBusy: "reject" } });
    const h = await harness([a.workflow]);
    const first = await sendToAgent(h.engine, a, { message: "one", session: "r" });
    const err = await sendToAgent(h.engine, a, { message: "two", session: "r" }).catch((e: unknown) => e);
    expect(CairnError.is(err, "CAIRN_CONFLICT")).toBe(true);
    expect((err as Error).message).toContain(first.runId);
  });
});

describe("agent memory", () => {
  it("saves a note in one run and recalls it in another, per user", async () => {
    const { model, prompts } = echoModel((prompt, n) => {
      const text = promptText(prompt);
      if (text.includes("remember") && !text.includes("saved"))
        return {
          toolCalls: [{ name: "memory", args: { action: "save", key: "coffee", text: "likes it black" } }],
        };
      if (text.includes("how do I take") && !text.includes("notes"))
        return { toolCalls: [{ name: "memory", args: { action: "recall", query: "coffee" } }] };
      return { text: `done ${n}` };
    });
    const a = chat({ model, memory: true });
    const h = await harness([a.workflow]);
    await sendToAgent(h.engine, a, { message: "remember: I like my coffee black", user: "ada" });
    // Saved before it is asked for: runs drained together may run in any order.
    await h.drain();
    await sendToAgent(h.engine, a, { message: "how do I take my coffee?", user: "ada" });
    await sendToAgent(h.engine, a, { message: "how do I take my coffee?", user: "bob" });
    await h.drain();
    const recalls = prompts.filter((p) => p.includes("notes"));
    expect(recalls).toHaveLength(2);
    expect(recalls.some((p) => p.includes("likes it black"))).toBe(true);
    expect(recalls.some((p) => !p.includes("likes it black"))).toBe(true);
  });
});
