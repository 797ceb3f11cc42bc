import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { forkWithChanges } from "../agent/fork-agent-run.js";
import { workspaceForkRestore } from "../tools/workspace/fork-restore.js";
import type { ServerEnv } from "./context.js";
import { mustGetRun } from "./runs.js";
import { ErrorSchema, errorResponses, json, RunSchema, runBody } from "./schemas.js";

const RunIdParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

const ForkBody = z
  .object({
    from: z.string().min(1).openapi({ description: "The step to execute again, and every step after it" }),
    input: z
      .unknown()
      .optional()
      .openapi({ description: "A new input for the run (default: the original's)" }),
    stepOutputs: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "Results to use instead of the original's, by step id (steps before `from`, or `from` itself)",
    }),
    agent: z
      .object({
        model: z.string().min(1).optional().openapi({ example: "openai:gpt-4.1-mini" }),
        instructions: z.string().optional(),
      })
      .strict()
      .optional()
      .openapi({ description: "For an agent run: another model or instructions from the fork step on" }),
  })
  .openapi("ForkRun");

const fork = createRoute({
  method: "post",
  path: "/v1/runs/{id}/fork",
  summary: "Rerun a run from a step, with changes",
  description:
    "Creates a new run that reuses the original's journal before `from` (nothing before it is executed or " +
    "paid for again; payloads are shared, not copied) and executes from there, with the run's workspace files " +
    "as they were before `from`. The original is untouched; the new run's forkedFrom names it.",
  request: { params: RunIdParams, body: { content: json(ForkBody), required: true } },
  responses: {
    201: {
      description: "The new run; see Location",
      content: json(z.object({ run: RunSchema }).openapi("ForkedRun")),
    },
    409: { description: "The agent's session is busy and takes no other run", content: json(ErrorSchema) },
    ...errorResponses,
  },
});

export function runForkRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(fork, async (c) => {
    const { engine, services } = c.var;
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await mustGetRun(engine, id);
    const forked = await forkWithChanges(engine, services.agents, id, {
      from: body.from,
      restore: workspaceForkRestore(engine.journal, engine.workspace),
      ...(body.input !== undefined ? { input: body.input } : {}),
      ...(body.stepOutputs !== undefined ? { stepOutputs: body.stepOutputs } : {}),
      ...(body.agent !== undefined ? { agent: body.agent } : {}),
    });
    c.header("Location", `/v1/runs/${forked.id}`);
    return c.json({ run: runBody(await mustGetRun(engine, forked.id)) }, 201);
  });
}
