import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { BulkFilter } from "../engine/bulk.js";
import { applyBulk, previewBulk } from "../engine/bulk.js";
import { ErrorCode, InputError } from "../shared/errors.js";
import { allows } from "./auth.js";
import type { ServerEnv } from "./context.js";
import { ErrorSchema, errorResponses, json, RunStatusSchema } from "./schemas.js";

const BulkBody = z
  .object({
    action: z.enum(["cancel", "rerun", "delete"]).openapi({
      description: "cancel takes the matching runs that have not ended, delete those that have, rerun any",
    }),
    filter: z
      .object({
        status: RunStatusSchema.optional(),
        workflow: z.string().min(1).optional(),
        createdAfter: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .openapi({ description: "ms since the epoch" }),
        createdBefore: z
          .number()
          .int()
          .nonnegative()
          .optional()
          .openapi({ description: "ms since the epoch" }),
      })
      .strict(),
    confirm: z.number().int().nonnegative().optional().openapi({
      description: "How many runs the preview said match (its confirmWith): without it nothing is done",
    }),
  })
  .openapi("BulkAction");

const BulkAnswer = z
  .object({
    matched: z.number().int(),
    runIds: z.array(z.string()).openapi({ description: "The first 100 (acted on: for rerun, the new runs)" }),
    confirmWith: z
      .number()
      .int()
      .optional()
      .openapi({ description: "A preview: send this as confirm to act" }),
    affected: z.number().int().optional().openapi({ description: "Runs acted on" }),
  })
  .openapi("BulkResult");

const bulk = createRoute({
  method: "post",
  path: "/v1/runs/bulk",
  summary: "Cancel, rerun or delete every run matching a filter, once confirmed",
  description:
    "Without `confirm`: how many runs match (and the first 100), and nothing is done. With `confirm` equal to " +
    "how many match now: the action is done. A different count (runs started or ended since): 409, nothing " +
    "done. Delete needs the admin scope.",
  request: { body: { content: json(BulkBody), required: true } },
  responses: {
    200: { description: "A preview, or what was done", content: json(BulkAnswer) },
    409: { description: "The runs matching changed since the preview", content: json(ErrorSchema) },
    ...errorResponses,
  },
});

export function runBulkRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(bulk, async (c) => {
    const { engine, principal } = c.var;
    const body = c.req.valid("json");
    if (body.action === "delete" && !allows(principal, "admin"))
      throw new InputError(
        ErrorCode.Forbidden,
        `this key may not do that: deleting runs needs the "admin" scope (it has ${principal.scopes.join(", ")})`,
      );
    const filter: BulkFilter = {};
    const f = body.filter;
    if (f.status !== undefined) filter.status = f.status;
    if (f.workflow !== undefined) filter.workflow = f.workflow;
    if (f.createdAfter !== undefined) filter.createdAfter = f.createdAfter;
    if (f.createdBefore !== undefined) filter.createdBefore = f.createdBefore;
    if (body.confirm === undefined) return c.json(await previewBulk(engine, body.action, filter), 200);
    return c.json(await applyBulk(engine, body.action, filter, body.confirm), 200);
  });
}
