import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { modelStepMeasure } from "../agent/usage-report.js";
import { diffRuns } from "../engine/run-diff.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json, RunSummarySchema, summaryBody } from "./schemas.js";

const param = (name: string) =>
  z
    .string()
    .min(1)
    .openapi({ param: { name, in: "path" } });

const StepViewSchema = z
  .object({
    status: z.string(),
    output: z.unknown(),
    error: z.object({ name: z.string(), message: z.string(), code: z.string().optional() }).nullable(),
    attempts: z.number().int(),
    durationMs: z.number(),
    tokens: z.object({ input: z.number(), output: z.number() }).optional(),
    costUsd: z.number().optional(),
  })
  .openapi("StepView");

const RunDiffSchema = z
  .object({
    a: RunSummarySchema,
    b: RunSummarySchema,
    steps: z.array(
      z.object({
        stepId: z.string(),
        kind: z.string(),
        a: StepViewSchema.nullable(),
        b: StepViewSchema.nullable(),
        same: z.boolean(),
      }),
    ),
    firstDivergence: z.string().nullable().openapi({ description: "The first step where the runs differ" }),
  })
  .openapi("RunDiff");

const diff = createRoute({
  method: "get",
  path: "/v1/runs/{a}/diff/{b}",
  summary: "Compare two runs step by step",
  description:
    "Every step of either run, aligned by step id, with its status, output, error, attempts, time, tokens " +
    "and cost side by side, and the first step where the runs diverge.",
  request: { params: z.object({ a: param("a"), b: param("b") }) },
  responses: {
    200: { description: "The two runs compared", content: json(RunDiffSchema) },
    ...errorResponses,
  },
});

export function runDiffRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(diff, async (c) => {
    const { engine } = c.var;
    const { a, b } = c.req.valid("param");
    const d = await diffRuns(engine.journal, engine.workspace, a, b, modelStepMeasure);
    return c.json({ ...d, a: summaryBody(d.a), b: summaryBody(d.b) }, 200);
  });
}
