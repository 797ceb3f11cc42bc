import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { usageReport } from "../agent/usage-report.js";
import { ErrorCode, InputError } from "../shared/errors.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json } from "./schemas.js";

const Time = z
  .string()
  .regex(/^(\d+|\d{4}-\d\d-\d\d.*)$/, "ms since the epoch or an ISO 8601 time")
  .optional();

const UsageSchema = z
  .object({
    buckets: z.array(
      z.object({
        at: z.number().int().openapi({ description: "The bucket's start, ms since the epoch (UTC)" }),
        agent: z.string(),
        model: z.string().openapi({ example: "openai:gpt-4.1-mini" }),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        costUsd: z.number(),
      }),
    ),
  })
  .openapi("Usage");

const DAY = 86_400_000;

const usage = createRoute({
  method: "get",
  path: "/v1/usage",
  summary: "Tokens and cost per agent and model over time",
  description:
    "Model calls that ended in [from, to), in day or hour buckets (default: the last 30 days, by day), read " +
    "from the journal: a call replayed after a crash is counted once. A model without a known price counts 0.",
  request: {
    query: z.object({
      from: Time,
      to: Time,
      bucket: z.enum(["day", "hour"]).optional(),
    }),
  },
  responses: {
    200: { description: "Usage buckets, oldest first", content: json(UsageSchema) },
    ...errorResponses,
  },
});

export function usageRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(usage, async (c) => {
    const { engine } = c.var;
    const q = c.req.valid("query");
    // Up to and including now.
    const to = q.to !== undefined ? parseTime(q.to, "to") : (await engine.journal.now()) + 1;
    const from = q.from !== undefined ? parseTime(q.from, "from") : to - 30 * DAY;
    if (from >= to) throw new InputError(ErrorCode.InvalidInput, "query.from must be before query.to");
    const buckets = await usageReport(engine.journal, engine.workspace, {
      from,
      to,
      bucket: q.bucket ?? "day",
    });
    return c.json({ buckets }, 200);
  });
}

function parseTime(text: string, field: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new InputError(ErrorCode.InvalidInput, `query.${field}: not a time`);
  return ms;
}
