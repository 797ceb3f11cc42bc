import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { ServerEnv } from "./context.js";
import { json } from "./schemas.js";

const ReadySchema = z
  .object({
    ready: z.boolean(),
    store: z.string().openapi({ example: "sqlite" }),
    schema: z.object({ version: z.number().int(), latest: z.number().int() }).optional(),
    reason: z.string().optional(),
  })
  .openapi("Ready");

const health = createRoute({
  method: "get",
  path: "/v1/health",
  summary: "The process is up (no key needed)",
  responses: { 200: { description: "Up", content: json(z.object({ ok: z.literal(true) })) } },
});

const ready = createRoute({
  method: "get",
  path: "/v1/ready",
  summary: "The store answers and its schema is current (no key needed)",
  responses: {
    200: { description: "Ready to serve", content: json(ReadySchema) },
    503: {
      description: "The store is out of reach or its schema is not current",
      content: json(ReadySchema),
    },
  },
});

export function healthRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(health, (c) => c.json({ ok: true as const }, 200));

  app.openapi(ready, async (c) => {
    const journal = c.var.services.engine.journal;
    try {
      const schema = await journal.schemaState();
      if (schema.version !== schema.latest) {
        return c.json(
          {
            ready: false,
            store: journal.dialect,
            schema,
            reason: `the store's schema is version ${schema.version}, this server needs ${schema.latest}`,
          },
          503,
        );
      }
      return c.json({ ready: true, store: journal.dialect, schema }, 200);
    } catch (err) {
      return c.json(
        {
          ready: false,
          store: journal.dialect,
          reason: `the store does not answer: ${(err as Error).message}`,
        },
        503,
      );
    }
  });
}
