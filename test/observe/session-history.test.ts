import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import { sendToAgent } from "../../src/agent/send-to-agent.js";
import { harness } from "../helpers.js";

/** A model that answers every message with the same number of characters, and keeps each prompt. */
function echo() {
  const prompts: string[] = [];
  const model = scriptedModel({
    name: "echo",
    respond: (prompt) => {
      prompts.push(promptText(prompt));
      return { text: `answer ${String(prompts.length).padStart(4, "0")} ${"z".repeat(200)}` };
    },
  });
  return { model, prompts };
}

describe("sessions are kept by reference", () => {
  it("a long session does not make each run's journal grow with the session's length", async () => {
    const { model, prompts } = echo();
    const chat = agent({ name: "chat", instructions: "You chat.", model });
    const h = await harness([chat.workflow]);
    const stored: number[] = [];
    for (let i = 1; i <= 30; i++) {
      const sent = await sendToAgent(h.engine, chat, {
        message: `message ${String(i).padStart(4, "0")} ${"m".repeat(200)}`,
        session: "long",
      });
      await h.drain();
      stored.push((await h.journal.getRunSummary("default", sent.runId))!.storedBytes);
    }
    // The model still sees the whole conversation.
    expect(prompts[29]).toContain("message 0001");
    expect(prompts[29]).toContain("answer 0029");
    expect((await h.journal.loadSession("default", "chat", "long")).length).toBe(60);
    // But each run stores about the same: its own message and answer, not the 58 before.
    expect(stored[29]! - stored[1]!).toBeLessThan(50);
    expect(stored[29]!).toBeLessThan(3_000);
  });

  it("session.history.maxMessages sends only the latest messages, starting at a user message", async () => {
    const { model, prompts } = echo();
    const chat = agent({
      name: "chat",
      instructions: "You chat.",
      model,
      session: { history: { maxMessages: 3 } },
    });
    const h = await harness([chat.workflow]);
    for (let i = 1; i <= 4; i++) {
      await sendToAgent(h.engine, chat, { message: `message ${i}`, session: "trim" });
      await h.drain();
    }
    // Run 4 gets the last 3 stored messages (assistant 2, user 3, assistant 3), trimmed to start
    // at the user's: "message 3" and its answer, then its own message.
    expect(prompts[3]).not.toContain("message 1");
    expect(prompts[3]).not.toContain("message 2");
    expect(prompts[3]).not.toContain("answer 0002");
    expect(prompts[3]).toContain("message 3");
    expect(prompts[3]).toContain("answer 0003");
    expect(prompts[3]).toContain("message 4");
    // The session itself keeps everything.
    expect((await h.journal.loadSession("default", "chat", "trim")).length).toBe(8);
    expect(() =>
      agent({ name: "bad", instructions: "", model, session: { history: { maxMessages: 0 } } }),
    ).toThrow(/maxMessages/);
  });
});
