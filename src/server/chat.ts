import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { sendToAgent } from "../agent/send-to-agent.js";
import { decideApproval } from "../agent/tool-approval.js";
import type { Engine } from "../engine/engine.js";
import { CairnError, ErrorCode, InputError } from "../shared/errors.js";
import { isTerminal } from "../store/records.js";
import { allows } from "./auth.js";
import { dropSuperseded, UiMessageTranslator } from "./chat-stream.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json } from "./schemas.js";
import { agentNamed, sessionRuns } from "./session-runs.js";
import { eventStream } from "./sse.js";

const Part = z.looseObject({ type: z.string() });
const Message = z.looseObject({
  id: z.string(),
  role: z.enum(["system", "user", "assistant"]),
  parts: z.array(Part),
});

/** What `useChat`'s DefaultChatTransport sends. */
const ChatBody = z
  .looseObject({
    id: z.string().min(1).max(200).openapi({ description: "The chat id: the agent session" }),
    messages: z.array(Message).min(1),
    trigger: z.enum(["submit-message", "regenerate-message"]).optional(),
    messageId: z.string().optional(),
  })
  .openapi("ChatRequest");

const uiStream = {
  "text/event-stream": {
    schema: z
      .string()
      .openapi({ description: "AI SDK UI message stream v1 (x-vercel-ai-ui-message-stream: v1)" }),
  },
};

const post = createRoute({
  method: "post",
  path: "/v1/agents/{name}/chat",
  summary: "Chat with an agent as the AI SDK's useChat does (UI message stream protocol v1)",
  description:
    "The chat id is the agent session: the last user message goes to it (the session policy applies) and " +
    "the answer streams as it is produced by whichever worker runs it; X-Cairn-Run-Id names the run. A " +
    "gated tool call appears as a tool-approval-request part; send the messages back with the part's " +
    "approval answered (addToolApprovalResponse) to decide it and continue the answer.",
  request: {
    params: z.object({
      name: z
        .string()
        .min(1)
        .openapi({ param: { name: "name", in: "path" } }),
    }),
    body: { content: json(ChatBody), required: true },
  },
  responses: { 200: { description: "The answer", content: uiStream }, ...errorResponses },
});

const resume = createRoute({
  method: "get",
  path: "/v1/agents/{name}/chat/{chatId}/stream",
  summary: "Resume the answer in progress (useChat({ resume: true })); 204 when there is none",
  description: "Replays the answer from its start, then follows it live (DefaultChatTransport replays).",
  request: {
    params: z.object({
      name: z
        .string()
        .min(1)
        .openapi({ param: { name: "name", in: "path" } }),
      chatId: z
        .string()
        .min(1)
        .openapi({ param: { name: "chatId", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "The answer so far, then live", content: uiStream },
    204: { description: "No answer in progress" },
    ...errorResponses,
  },
});

interface ApprovalAnswer {
  id: string;
  approved: boolean;
  reason?: string;
}

export function chatRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(post, async (c) => {
    const { engine, principal, services } = c.var;
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const agent = agentNamed(services.agents, name);
    const last = body.messages.at(-1)!;
    const answers = last.role === "assistant" ? approvalAnswers(last.parts) : [];
    if (answers.length > 0) {
      if (!allows(principal, "approve"))
        throw new InputError(
          ErrorCode.Forbidden,
          'answering an approval needs a key with the "approve" scope',
        );
      let runId: string | undefined;
      for (const a of answers) {
        const approval = await engine.journal.getApproval(engine.workspace, a.id);
        if (approval === undefined)
          throw new CairnError(ErrorCode.NotFound, `no approval ${a.id} in this workspace`);
        runId ??= approval.runId;
        if (approval.status !== "pending") continue; // answered already (a resent request)
        const reason = a.reason ?? (a.approved ? undefined : "rejected in the chat");
        await decideApproval(engine, services.agents, a.id, {
          approve: a.approved,
          by: principal.name,
          ...(reason !== undefined ? { reason } : {}),
        });
      }
      const entries = await engine.journal.readEntries(engine.workspace, runId!);
      const ids = new Set(answers.map((a) => a.id));
      const decided = entries.find(
        (e) => e.type === "approval.decided" && ids.has(e.data.approvalId as string),
      );
      return streamAnswer(c, engine, runId!, (decided?.seq ?? entries.at(-1)?.seq ?? 1) - 1);
    }
    if (last.role !== "user")
      throw new InputError(ErrorCode.InvalidInput, "body.messages: the last message must be the user's");
    const text = last.parts
      .filter((p) => p.type === "text" && typeof p.text === "string")
      .map((p) => p.text as string)
      .join("");
    if (text.trim() === "")
      throw new InputError(ErrorCode.InvalidInput, "body.messages: the last message has no text");
    const sent = await sendToAgent(engine, agent, { message: text, session: body.id, user: principal.name });
    return streamAnswer(c, engine, sent.runId, 0);
  });

  app.openapi(resume, async (c) => {
    const { engine, services } = c.var;
    const { name, chatId } = c.req.valid("param");
    agentNamed(services.agents, name);
    // A chat with no runs yet (a page opening a new chat resumes on load) has nothing in progress.
    const runs = await sessionRuns(engine, name, chatId);
    const active = runs.find((r) => !isTerminal(r.status));
    if (active === undefined) return c.body(null, 204);
    return streamAnswer(c, engine, active.id, 0);
  });
}

/** The run's answer as a UI message stream: the events after `emitAfter`, until it is finished. */
function streamAnswer(c: Context<ServerEnv>, engine: Engine, runId: string, emitAfter: number): Response {
  const { services } = c.var;
  const headers = { "x-vercel-ai-ui-message-stream": "v1", "x-cairn-run-id": runId };
  return eventStream(
    c,
    services,
    (sink) => {
      const translator = new UiMessageTranslator(`msg_${runId}`, emitAfter);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        sink.send({ data: "[DONE]" });
        sink.end();
      };
      const sub = services.hub.subscribe(engine.workspace, runId, {
        afterSeq: 0,
        onEvents: (events) => {
          for (const e of dropSuperseded(events)) {
            if (finished) return;
            for (const chunk of translator.push(e)) sink.send({ data: JSON.stringify(chunk) });
            if (translator.done) finish();
          }
        },
        onEnd: finish,
      });
      return () => sub.close();
    },
    headers,
  );
}

function approvalAnswers(parts: { type: string; [k: string]: unknown }[]): ApprovalAnswer[] {
  const out: ApprovalAnswer[] = [];
  for (const p of parts) {
    if (!(p.type.startsWith("tool-") || p.type === "dynamic-tool") || p.state !== "approval-responded")
      continue;
    const a = p.approval as { id?: unknown; approved?: unknown; reason?: unknown } | undefined;
    if (typeof a?.id !== "string" || typeof a.approved !== "boolean") continue;
    out.push({
      id: a.id,
      approved: a.approved,
      ...(typeof a.reason === "string" ? { reason: a.reason } : {}),
    });
  }
  return out;
}
