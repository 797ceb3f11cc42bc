import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { sendToAgent } from "../agent/send-to-agent.js";
import { ErrorCode } from "../shared/errors.js";
import { CairnError } from "../shared/errors.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json, RunStatusSchema, sseContent } from "./schemas.js";
import { agentNamed, sessionRuns } from "./session-runs.js";
import { streamSession } from "./session-stream.js";

const SessionParams = z.object({
  agent: z
    .string()
    .min(1)
    .openapi({ param: { name: "agent", in: "path" } }),
  session: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "session", in: "path" } }),
});

const MessageBody = z
  .object({
    message: z.string().min(1).max(100_000),
    user: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Who the agent acts for; default the key's principal" }),
  })
  .openapi("SessionMessage");

const post = createRoute({
  method: "post",
  path: "/v1/sessions/{agent}/{session}/messages",
  summary: "Send a message to an agent session",
  description:
    "The agent's session policy applies to a session already answering: queue (a run after it), " +
    "interrupt (replaces it), steer (joins it) or reject (409).",
  request: { params: SessionParams, body: { content: json(MessageBody), required: true } },
  responses: {
    202: {
      description: "The run that answers",
      content: json(
        z.object({
          runId: z.string(),
          outcome: z.enum(["started", "queued", "interrupted", "steered"]),
        }),
      ),
    },
    409: errorResponses[404],
    ...errorResponses,
  },
});

const history = createRoute({
  method: "get",
  path: "/v1/sessions/{agent}/{session}",
  summary: "A session's conversation and runs",
  request: { params: SessionParams },
  responses: {
    200: {
      description: "The session",
      content: json(
        z
          .object({
            agent: z.string(),
            session: z.string(),
            messages: z.array(
              z.object({
                seq: z.number().int(),
                runId: z.string(),
                message: z.unknown(),
                at: z.number().int(),
              }),
            ),
            runs: z.array(z.object({ id: z.string(), status: RunStatusSchema, createdAt: z.number().int() })),
          })
          .openapi("Session"),
      ),
    },
    ...errorResponses,
  },
});

const stream = createRoute({
  method: "get",
  path: "/v1/sessions/{agent}/{session}/stream",
  summary: "A session's runs, one after the other, live, as Server-Sent Events",
  description:
    "Events as in /v1/runs/{id}/stream with ids `runId:seq`. Starts with the session's first active run " +
    "(or its latest); Last-Event-ID resumes where a dropped connection left off.",
  request: { params: SessionParams, headers: z.object({ "last-event-id": z.string().optional() }) },
  responses: { 200: { description: "The session's events", content: sseContent }, ...errorResponses },
});

export function sessionRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(post, async (c) => {
    const { engine, principal, services } = c.var;
    const { agent: name, session } = c.req.valid("param");
    const body = c.req.valid("json");
    const agent = agentNamed(services.agents, name);
    const sent = await sendToAgent(engine, agent, {
      message: body.message,
      session,
      user: body.user ?? principal.name,
    });
    c.header("Location", `/v1/runs/${sent.runId}`);
    return c.json(sent, 202);
  });

  app.openapi(history, async (c) => {
    const { engine, services } = c.var;
    const { agent: name, session } = c.req.valid("param");
    agentNamed(services.agents, name);
    const [messages, runs] = await Promise.all([
      engine.journal.loadSession(engine.workspace, name, session),
      sessionRuns(engine, name, session),
    ]);
    if (messages.length === 0 && runs.length === 0) throw sessionNotFound(name, session);
    return c.json(
      {
        agent: name,
        session,
        messages,
        runs: runs.map((r) => ({ id: r.id, status: r.status, createdAt: r.createdAt })),
      },
      200,
    );
  });

  app.openapi(stream, async (c) => {
    const { engine, services } = c.var;
    const { agent: name, session } = c.req.valid("param");
    agentNamed(services.agents, name);
    const runs = await sessionRuns(engine, name, session);
    if (runs.length === 0) throw sessionNotFound(name, session);
    return streamSession(c, engine, name, session, c.req.valid("header")["last-event-id"]);
  });
}

function sessionNotFound(agent: string, session: string): CairnError {
  return new CairnError(ErrorCode.NotFound, `agent ${agent} has no session "${session}" in this workspace`);
}
