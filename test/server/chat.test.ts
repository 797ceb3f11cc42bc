import type { ChatState, ChatStatus, UIMessage, UIMessageChunk } from "ai";
import {
  AbstractChat,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  readUIMessageStream,
} from "ai";
import { describe, expect, it } from "vitest";
import { ANSWER_WORDS, chatAgent, posted } from "./fixtures.js";
import { eventually, serverHarness } from "./support.js";

/** useChat without React: the AI SDK's own chat logic over a plain array. */
class TestChat extends AbstractChat<UIMessage> {
  constructor(
    init: ConstructorParameters<typeof AbstractChat<UIMessage>>[0] extends infer O
      ? Omit<O, "state"> & { messages?: UIMessage[] }
      : never,
  ) {
    const { messages = [], ...rest } = init;
    super({ ...rest, state: new ArrayState(messages) });
  }
}

class ArrayState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  constructor(public messages: UIMessage[]) {}
  pushMessage = (m: UIMessage) => void this.messages.push(m);
  popMessage = () => void this.messages.pop();
  replaceMessage = (i: number, m: UIMessage) => void (this.messages[i] = m);
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

const textOf = (m: UIMessage | undefined) =>
  (m?.parts ?? [])
    .filter((p) => p.type === "text")
    .map((p) => (p as { text: string }).text)
    .join("");

const ANSWER = ANSWER_WORDS.join("");

async function setup(wordDelayMs: number) {
  const s = await serverHarness([], { agents: [chatAgent(wordDelayMs)] });
  const key = await s.key(["read", "run", "approve"], "default", "alice");
  s.startWorker();
  const transport = new DefaultChatTransport<UIMessage>({
    api: `${s.url}/v1/agents/helper/chat`,
    headers: { authorization: `Bearer ${key}` },
  });
  return { s, key, transport };
}

describe("chat with useChat's transport (AI SDK UI message stream v1)", () => {
  it("answers with the protocol's headers and chunks, the run id in a header", async () => {
    const { s, key } = await setup(0);
    const res = await fetch(`${s.url}/v1/agents/helper/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: "c0",
        trigger: "submit-message",
        messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: "hi" }] }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    const runId = res.headers.get("x-cairn-run-id")!;
    expect(runId).toMatch(/^run_/);
    const body = await res.text();
    const chunks = body
      .split("\n\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6));
    expect(chunks.at(-1)).toBe("[DONE]");
    const types = chunks.slice(0, -1).map((c) => (JSON.parse(c) as UIMessageChunk).type);
    expect(types[0]).toBe("start");
    expect(types).toEqual(
      expect.arrayContaining(["start-step", "text-start", "text-delta", "text-end", "finish-step"]),
    );
    expect(types.at(-1)).toBe("finish");
    const run = await s.call("GET", `/v1/runs/${runId}`, { key });
    expect(run.body.run).toMatchObject({ workflow: "helper", status: "completed" });
    const bad = await s.call("POST", "/v1/agents/helper/chat", { key, body: { id: "c0", messages: [] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("body.messages");
    expect(
      (
        await s.call("POST", "/v1/agents/nobody/chat", {
          key,
          body: { id: "c0", messages: [{ id: "m", role: "user", parts: [] }] },
        })
      ).status,
    ).toBe(404);
  });

  it("a client that drops its connection mid-answer resumes it with no token lost or repeated", async () => {
    const { s, transport } = await setup(40);
    const first = new TestChat({ id: "chat-1", transport });
    const sending = first.sendMessage({ text: "tell me" });
    await eventually("the first words of the answer", () =>
      Promise.resolve(textOf(first.messages[1]).split(" ").length > 5),
    );
    const seen = textOf(first.messages[1]);
    expect(ANSWER.startsWith(seen)).toBe(true);
    expect(seen.length).toBeLessThan(ANSWER.length);
    await first.stop(); // the page goes away mid-answer
    await sending;
    // A reload: a new chat with the persisted user message, resuming as useChat({ resume: true }) does.
    const reloaded = new TestChat({ id: "chat-1", transport, messages: [first.messages[0]!] });
    await reloaded.resumeStream();
    expect(reloaded.status).toBe("ready");
    expect(reloaded.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(textOf(reloaded.messages[1])).toBe(ANSWER);
    // The resumed stream itself: every token once, in order.
    const replay = await transport.reconnectToStream({ chatId: "chat-1" });
    if (replay !== null) {
      let last: UIMessage | undefined;
      for await (const m of readUIMessageStream({ stream: replay })) last = m;
      expect(textOf(last)).toBe(ANSWER);
    }
    // Once the answer is complete there is nothing to resume: 204.
    await eventually(
      "the run to end",
      async () => (await transport.reconnectToStream({ chatId: "chat-1" })) === null,
    );
    expect(s.cairn.services.hub.stats.runs).toBe(0);
    // A page opening a brand-new chat resumes too, as useChat({ resume: true }) does on load:
    // nothing in progress, 204, and the chat is ready, not in an error state.
    const fresh = new TestChat({ id: "chat-never-used", transport });
    await fresh.resumeStream();
    expect(fresh.status).toBe("ready");
    expect(fresh.error).toBeUndefined();
    expect(await transport.reconnectToStream({ chatId: "chat-never-used" })).toBeNull();
  });

  it("shows a gated tool call as an approval request; the client's approval decides it and the answer goes on", async () => {
    const { s, key, transport } = await setup(0);
    posted.length = 0;
    const chat = new TestChat({
      id: "chat-2",
      transport,
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    });
    await chat.sendMessage({ text: "post hello world" });
    expect(chat.status).toBe("ready");
    const tool = chat.messages[1]!.parts.find((p) => p.type === "tool-post") as
      { state: string; input: unknown; approval: { id: string } } | undefined;
    expect(tool).toMatchObject({ state: "approval-requested", input: { text: "hello world" } });
    expect(posted).toEqual([]);
    const approval = await s.call("GET", `/v1/approvals/${tool!.approval.id}`, { key });
    expect(approval.body).toMatchObject({ status: "pending", title: "helper wants to call post" });

    await chat.addToolApprovalResponse({ id: tool!.approval.id, approved: true });
    await eventually("the answer after the approval", () =>
      Promise.resolve(chat.status === "ready" && textOf(chat.messages[1]).includes("Posted it.")),
    );
    expect(posted).toEqual(["hello world"]);
    const done = chat.messages[1]!.parts.find((p) => p.type === "tool-post") as {
      state: string;
      output: unknown;
    };
    expect(done).toMatchObject({ state: "output-available", output: { posted: "hello world" } });
    expect(textOf(chat.messages[1])).toBe("Posting now. Posted it. ");
    const decided = await s.call("GET", `/v1/approvals/${tool!.approval.id}`, { key });
    expect(decided.body).toMatchObject({ status: "approved", decidedBy: "alice" });
  });

  it("a rejection in the chat is the tool's denied output, and the key needs the approve scope", async () => {
    const { s, transport } = await setup(0);
    posted.length = 0;
    const chat = new TestChat({
      id: "chat-3",
      transport,
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    });
    await chat.sendMessage({ text: "post nope" });
    const tool = chat.messages[1]!.parts.find((p) => p.type === "tool-post") as { approval: { id: string } };
    // A key without the approve scope cannot answer it.
    const runOnly = await s.key(["read", "run"]);
    const refused = await fetch(`${s.url}/v1/agents/helper/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${runOnly}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: "chat-3",
        messages: [
          chat.messages[0],
          {
            ...chat.messages[1],
            parts: chat.messages[1]!.parts.map((p) =>
              p.type === "tool-post"
                ? { ...p, state: "approval-responded", approval: { id: tool.approval.id, approved: true } }
                : p,
            ),
          },
        ],
      }),
    });
    expect(refused.status).toBe(403);
    await chat.addToolApprovalResponse({ id: tool.approval.id, approved: false, reason: "not today" });
    await eventually("the answer after the rejection", () =>
      Promise.resolve(
        chat.status === "ready" &&
          (chat.messages[1]!.parts.find((p) => p.type === "tool-post") as { state: string }).state ===
            "output-denied",
      ),
    );
    expect(posted).toEqual([]);
  });
});
