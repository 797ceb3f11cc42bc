import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { runUsage } from "../agent/run-usage.js";
import { waitForRunEnd } from "../engine/run-result.js";
import { ErrorCode, InputError, NotFoundError } from "../shared/errors.js";
import type { Engine } from "../engine/engine.js";
import type { RunFilter } from "../store/journal.js";
import type { ServerEnv } from "./context.js";
import {
  errorResponses,
  json,
  publicError,
  RunSchema,
  RunStatusSchema,
  RunSummarySchema,
  runBody,
  summaryBody,
  WaitQuerySchema,
} from "./schemas.js";
import { requestedWaitMs } from "./wait.js";

const RunIdParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

const StartBody = z
  .object({
    workflow: z.string().min(1).openapi({ description: "A workflow id or an agent name", example: "poster" }),
    input: z.unknown().optional().openapi({ description: "The run's input (an agent: { message }" }),
    runAt: z.number().int().nonnegative().optional().openapi({ description: "Do not start before (ms)" }),
  })
  .openapi("StartRun");

const StartedSchema = z
  .object({
    run: RunSchema,
    created: z.boolean().openapi({ description: "False: the idempotency key's run" }),
  })
  .openapi("StartedRun");

const StepSchema = z
  .object({
    stepId: z.string(),
    seq: z.number().int(),
    kind: z.string(),
    status: z.string(),
    attempt: z.number().int(),
    output: z.unknown().optional(),
    error: RunSummarySchema.shape.error,
    startedAt: z.number().int(),
    endedAt: z.number().int().nullable(),
    retryAt: z.number().int().nullable(),
  })
  .openapi("Step");

const AttemptSchema = z
  .object({
    stepId: z.string(),
    attempt: z.number().int(),
    startedAt: z.number().int(),
    endedAt: z.number().int(),
    outcome: z.string(),
    error: RunSummarySchema.shape.error,
  })
  .openapi("Attempt");

const UsageSchema = z
  .object({
    usage: z.object({ input: z.number(), output: z.number(), cached: z.number() }),
    cost: z.number().nullable(),
    modelCalls: z.number().int(),
    resentCalls: z.number().int(),
  })
  .openapi("RunUsage");

const RunDetailSchema = z
  .object({
    run: RunSchema,
    steps: z.array(StepSchema),
    attempts: z.array(AttemptSchema),
    children: z.array(RunSummarySchema),
    usage: UsageSchema,
  })
  .openapi("RunDetail");

const ResultSchema = z
  .object({
    runId: z.string(),
    status: RunStatusSchema,
    output: z.unknown().optional(),
    error: RunSummarySchema.shape.error.optional(),
  })
  .openapi("RunResult");

const Time = z
  .string()
  .regex(/^(\d+|\d{4}-\d\d-\d\d.*)$/, "ms since the epoch or an ISO 8601 time")
  .optional();

const ListQuery = z.object({
  status: RunStatusSchema.optional(),
  workflow: z.string().optional(),
  parent: z.string().optional().openapi({ description: "Only child runs of this run" }),
  createdAfter: Time,
  createdBefore: Time,
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().optional().openapi({ description: "nextCursor of the previous page" }),
});

const start = createRoute({
  method: "post",
  path: "/v1/runs",
  summary: "Start a run of a workflow or an agent",
  description:
    "Idempotency-Key: the same key returns the same run. Answers 202 with Location at once, or, with " +
    "`Prefer: wait=30` or `?wait=30s`, waits up to that long and answers 200 with the ended run.",
  request: {
    body: { content: json(StartBody), required: true },
    query: z.object({ wait: WaitQuerySchema }),
    headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
  },
  responses: {
    200: { description: "The run ended within the wait", content: json(StartedSchema) },
    202: { description: "The run is queued or in progress; see Location", content: json(StartedSchema) },
    ...errorResponses,
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/runs",
  summary: "List runs, newest first",
  request: { query: ListQuery },
  responses: {
    200: {
      description: "A page of runs",
      content: json(
        z.object({ runs: z.array(RunSummarySchema), nextCursor: z.string().nullable() }).openapi("RunPage"),
      ),
    },
    ...errorResponses,
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/runs/{id}",
  summary: "A run with its steps, attempts, usage and child runs",
  request: { params: RunIdParams },
  responses: { 200: { description: "The run", content: json(RunDetailSchema) }, ...errorResponses },
});

const result = createRoute({
  method: "get",
  path: "/v1/runs/{id}/result",
  summary: "Long-poll a run's result",
  request: { params: RunIdParams, query: z.object({ wait: WaitQuerySchema }) },
  responses: {
    200: { description: "The run ended", content: json(ResultSchema) },
    202: { description: "Still going after the wait; ask again", content: json(ResultSchema) },
    ...errorResponses,
  },
});

const cancel = createRoute({
  method: "post",
  path: "/v1/runs/{id}/cancel",
  summary: "Cancel a run and its children (at its next step if running)",
  request: {
    params: RunIdParams,
    body: { content: json(z.object({ reason: z.string().max(1000).optional() })), required: false },
  },
  responses: {
    200: {
      description: "The run's status now",
      content: json(z.object({ runId: z.string(), status: RunStatusSchema })),
    },
    ...errorResponses,
  },
});

const StepParams = RunIdParams.extend({
  stepId: z
    .string()
    .min(1)
    .openapi({ param: { name: "stepId", in: "path" } }),
});

const retryStep = createRoute({
  method: "post",
  path: "/v1/runs/{id}/steps/{stepId}/retry",
  summary: "Run a needs-attention run's interrupted step again (same idempotency key)",
  request: { params: StepParams },
  responses: {
    200: {
      description: "The run is runnable again",
      content: json(z.object({ runId: z.string(), status: RunStatusSchema })),
    },
    ...errorResponses,
  },
});

const skipStep = createRoute({
  method: "post",
  path: "/v1/runs/{id}/steps/{stepId}/skip",
  summary: "Record a result for a needs-attention run's interrupted step and go on",
  request: {
    params: StepParams,
    body: { content: json(z.object({ output: z.unknown().optional() })), required: false },
  },
  responses: {
    200: {
      description: "The run is runnable again",
      content: json(z.object({ runId: z.string(), status: RunStatusSchema })),
    },
    ...errorResponses,
  },
});

export function runRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(start, async (c) => {
    const { engine, services } = c.var;
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const waitMs = requestedWaitMs(c, c.req.valid("query").wait, services.maxWaitMs);
    const started = await engine.start(body.workflow, body.input ?? {}, {
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      ...(body.runAt !== undefined ? { runAt: body.runAt } : {}),
    });
    c.header("Location", `/v1/runs/${started.runId}`);
    if (waitMs > 0) {
      const ended = await waitForRunEnd(engine.journal, engine.workspace, started.runId, {
        timeoutMs: waitMs,
        signal: services.shutdown,
      });
      if (ended) return c.json({ run: runBody(ended), created: started.created }, 200);
    }
    const run = await engine.journal.getRun(engine.workspace, started.runId);
    return c.json({ run: runBody(run!), created: started.created }, 202);
  });

  app.openapi(list, async (c) => {
    const { engine } = c.var;
    const q = c.req.valid("query");
    const limit = q.limit ?? 50;
    const filter: RunFilter = { limit: limit + 1 };
    if (q.status !== undefined) filter.status = q.status;
    if (q.workflow !== undefined) filter.workflow = q.workflow;
    if (q.parent !== undefined) filter.parentRunId = q.parent;
    if (q.createdAfter !== undefined) filter.createdAfter = parseTime(q.createdAfter, "createdAfter");
    if (q.createdBefore !== undefined) filter.createdBefore = parseTime(q.createdBefore, "createdBefore");
    if (q.cursor !== undefined) filter.after = decodeCursor(q.cursor);
    const runs = await engine.journal.listRuns(engine.workspace, filter);
    const page = runs.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = runs.length > limit && last ? encodeCursor(last.createdAt, last.id) : null;
    return c.json({ runs: page.map(summaryBody), nextCursor }, 200);
  });

  app.openapi(get, async (c) => {
    const { engine } = c.var;
    const { id } = c.req.valid("param");
    const run = await mustGetRun(engine, id);
    const ws = engine.workspace;
    const [steps, attempts, children, usage] = await Promise.all([
      engine.journal.loadSteps(ws, id),
      engine.journal.loadAttempts(ws, id),
      engine.journal.listRuns(ws, { parentRunId: id, limit: 1000 }),
      runUsage(engine.journal, ws, id),
    ]);
    return c.json(
      {
        run: runBody(run),
        steps: steps.map((s) => ({
          stepId: s.stepId,
          seq: s.seq,
          kind: s.kind,
          status: s.status,
          attempt: s.attempt,
          ...(s.status === "completed" ? { output: s.output } : {}),
          error: publicError(s.error),
          startedAt: s.startedAt,
          endedAt: s.endedAt,
          retryAt: s.retryAt,
        })),
        attempts: attempts.map((a) => ({
          stepId: a.stepId,
          attempt: a.attempt,
          startedAt: a.startedAt,
          endedAt: a.endedAt,
          outcome: a.outcome,
          error: publicError(a.error),
        })),
        children: children.map(summaryBody),
        usage,
      },
      200,
    );
  });

  app.openapi(result, async (c) => {
    const { engine, services } = c.var;
    const { id } = c.req.valid("param");
    const waitMs = requestedWaitMs(c, c.req.valid("query").wait, services.maxWaitMs);
    const summary = await engine.journal.getRunSummary(engine.workspace, id);
    if (summary === undefined) throw runNotFound(id);
    const run = await waitForRunEnd(engine.journal, engine.workspace, id, {
      timeoutMs: waitMs,
      signal: services.shutdown,
    });
    if (run === undefined) {
      const now = await engine.journal.getRunSummary(engine.workspace, id);
      return c.json({ runId: id, status: now?.status ?? summary.status }, 202);
    }
    return c.json(
      {
        runId: id,
        status: run.status,
        ...(run.status === "completed" ? { output: run.output } : {}),
        ...(run.error ? { error: publicError(run.error) } : {}),
      },
      200,
    );
  });

  app.openapi(cancel, async (c) => {
    const { engine } = c.var;
    const { id } = c.req.valid("param");
    const body = optional(c.req.valid("json"));
    await mustGetRun(engine, id);
    const status = await engine.cancel(id, body.reason ?? "cancelled over the API");
    return c.json({ runId: id, status }, 200);
  });

  app.openapi(retryStep, async (c) => {
    const { engine } = c.var;
    const { id, stepId } = c.req.valid("param");
    await mustGetRun(engine, id);
    await engine.retryStep(id, stepId);
    return c.json({ runId: id, status: (await mustGetRun(engine, id)).status }, 200);
  });

  app.openapi(skipStep, async (c) => {
    const { engine } = c.var;
    const { id, stepId } = c.req.valid("param");
    const body = optional(c.req.valid("json"));
    await mustGetRun(engine, id);
    await engine.skipStep(id, stepId, body.output ?? null);
    return c.json({ runId: id, status: (await mustGetRun(engine, id)).status }, 200);
  });
}

export async function mustGetRun(engine: Engine, id: string) {
  const run = await engine.journal.getRun(engine.workspace, id);
  if (run === undefined) throw runNotFound(id);
  return run;
}

export function runNotFound(id: string): NotFoundError {
  return new NotFoundError(ErrorCode.RunNotFound, `no run ${id} in this workspace`);
}

/** A body that may be left out (`required: false`): validated when sent, {} when not. */
function optional<T extends object>(body: T | undefined): Partial<T> {
  return body ?? {};
}

function parseTime(text: string, field: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new InputError(ErrorCode.InvalidInput, `query.${field}: not a time`);
  return ms;
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString()) as [unknown, unknown];
    if (typeof createdAt === "number" && typeof id === "string") return { createdAt, id };
  } catch {
    // falls through to the error below
  }
  throw new InputError(ErrorCode.InvalidInput, "query.cursor: not a cursor this API gave out");
}
