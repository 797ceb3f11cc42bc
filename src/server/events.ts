import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { ServerEnv } from "./context.js";
import { errorResponses, json, sseContent } from "./schemas.js";
import { eventStream } from "./sse.js";

const EventBody = z
  .object({
    name: z.string().min(1).max(200).openapi({ example: "order.paid" }),
    data: z.unknown().optional(),
    id: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Deduplication id: sent twice, stored once" }),
  })
  .openapi("Event");

const send = createRoute({
  method: "post",
  path: "/v1/events",
  summary: "Send an event: resumes the runs waiting for it, starts the workflows it triggers",
  request: { body: { content: json(EventBody), required: true } },
  responses: {
    202: {
      description: "Stored",
      content: json(
        z
          .object({
            eventId: z.string(),
            created: z.boolean(),
            resumedRuns: z.array(z.string()),
            startedRuns: z.array(z.string()),
          })
          .openapi("SentEvent"),
      ),
    },
    ...errorResponses,
  },
});

const feed = createRoute({
  method: "get",
  path: "/v1/events",
  summary: "The workspace feed, live, as Server-Sent Events",
  description:
    "Every run's state changes (run.created, run.started, run.waiting, run.needs_attention, run.ended…), " +
    "approvals requested and decided, and events sent, in the order they happened: for live lists. " +
    "Each event's id is a cursor: Last-Event-ID resumes without gap or repeat. Without it the feed starts " +
    "at its beginning, or with `from=now` at its present end (what a live list needs: only what changes).",
  request: {
    headers: z.object({ "last-event-id": z.string().optional() }),
    query: z.object({
      from: z
        .enum(["start", "now"])
        .optional()
        .openapi({ description: "Where to start without Last-Event-ID (default start)" }),
    }),
  },
  responses: { 200: { description: "The feed", content: sseContent }, ...errorResponses },
});

/** The feed is read in pages this big. */
const FEED_PAGE = 500;
/** Looked at this often besides when the store says something changed (a lost notification). */
const FEED_POLL_MS = 1_000;

export function eventRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(send, async (c) => {
    const { engine } = c.var;
    const body = c.req.valid("json");
    const sent = await engine.send({
      name: body.name,
      data: body.data ?? null,
      ...(body.id !== undefined ? { id: body.id } : {}),
    });
    return c.json(sent, 202);
  });

  app.openapi(feed, async (c) => {
    const { engine, services } = c.var;
    let cursor = c.req.valid("header")["last-event-id"] || undefined;
    // "Now" is when the response begins: anything that commits after the client has it is sent.
    if (cursor === undefined && c.req.valid("query").from === "now")
      cursor = await engine.journal.feedEnd(engine.workspace);
    return eventStream(c, services, (sink) => {
      let reading = false;
      let again = false;
      const read = async () => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            for (;;) {
              const items = await engine.journal.readFeed(engine.workspace, cursor, FEED_PAGE);
              for (const item of items) {
                sink.send({ id: item.cursor, event: item.type, data: JSON.stringify(item) });
                cursor = item.cursor;
              }
              if (items.length < FEED_PAGE) break;
            }
          } while (again);
        } catch (err) {
          services.logger.warn("could not read the workspace feed", { error: String(err) });
        } finally {
          reading = false;
        }
      };
      // Step results are never feed items: only other entries can add to the feed.
      const unwatch = engine.journal.watchLog(engine.workspace, (_runId, stepsOnly) => {
        if (stepsOnly !== true) void read();
      });
      const timer = setInterval(() => void read(), FEED_POLL_MS);
      void read();
      return () => {
        unwatch();
        clearInterval(timer);
      };
    });
  });
}
