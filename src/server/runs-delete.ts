import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { ServerEnv } from "./context.js";
import { mustGetRun } from "./runs.js";
import { ErrorSchema, errorResponses, json } from "./schemas.js";

const remove = createRoute({
  method: "delete",
  path: "/v1/runs/{id}",
  summary: "Delete an ended run and its child runs (admin)",
  description:
    "Its steps, log, waits and approvals go with it; payloads no other run shares are collected by the " +
    "workers' next sweep. A run that has not ended (or has a child that has not): 409, cancel it first.",
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: {
      description: "Deleted",
      content: json(
        z
          .object({
            runId: z.string(),
            deleted: z.array(z.string()).openapi({ description: "The run and its child runs" }),
          })
          .openapi("DeletedRun"),
      ),
    },
    409: { description: "The run has not ended", content: json(ErrorSchema) },
    ...errorResponses,
  },
});

export function runDeleteRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(remove, async (c) => {
    const { engine } = c.var;
    const { id } = c.req.valid("param");
    await mustGetRun(engine, id);
    const deleted = await engine.journal.deleteRun(engine.workspace, id);
    return c.json({ runId: id, deleted }, 200);
  });
}
