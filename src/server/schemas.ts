import { z } from "@hono/zod-openapi";
import type { SerializedError } from "../shared/serialized-error.js";
import type { RunRecord, RunStatus, RunSummary } from "../store/records.js";
import { RUN_STATUSES } from "../store/records.js";

/** Schemas shared by several resources; each resource keeps its own beside its handlers. */

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "CAIRN_RUN_NOT_FOUND" }),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

export const errorResponses = {
  400: { description: "A field is missing or malformed (named in the message)", content: json(ErrorSchema) },
  401: { description: "No valid API key", content: json(ErrorSchema) },
  403: { description: "The key lacks the scope this needs", content: json(ErrorSchema) },
  404: { description: "Not found in the key's workspace", content: json(ErrorSchema) },
  429: { description: "Too many requests for this key; see Retry-After", content: json(ErrorSchema) },
} as const;

export function json<T extends z.ZodType>(schema: T) {
  return { "application/json": { schema } };
}

export const sseContent = {
  "text/event-stream": {
    schema: z.string().openapi({ description: "Server-Sent Events; each event has an id to resume from" }),
  },
};

const ErrorValueSchema: z.ZodType<PublicError> = z
  .object({
    name: z.string(),
    message: z.string(),
    code: z.string().optional(),
    retriable: z.boolean().optional(),
    get cause() {
      return ErrorValueSchema.optional();
    },
  })
  .openapi("RunError");

export interface PublicError {
  name: string;
  message: string;
  code?: string | undefined;
  retriable?: boolean | undefined;
  cause?: PublicError | undefined;
}

/** An error as responses show it: no stack, ever. */
export function publicError(e: SerializedError | null | undefined): PublicError | null {
  if (!e) return null;
  return {
    name: e.name,
    message: e.message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.retriable !== undefined ? { retriable: e.retriable } : {}),
    ...(e.cause ? { cause: publicError(e.cause)! } : {}),
  };
}

export const RunStatusSchema = z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]).openapi("RunStatus");

export const RunSummarySchema = z
  .object({
    id: z.string(),
    workflow: z.string(),
    status: RunStatusSchema,
    parentRunId: z.string().nullable(),
    parentStepId: z.string().nullable(),
    idempotencyKey: z.string().nullable(),
    attempt: z.number().int(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
    startedAt: z.number().int().nullable(),
    endedAt: z.number().int().nullable(),
    wakeAt: z.number().int().nullable(),
    cancelRequested: z.boolean(),
    reason: z.string().nullable(),
    error: ErrorValueSchema.nullable(),
    forkedFrom: z
      .object({ runId: z.string(), stepId: z.string() })
      .nullable()
      .openapi({ description: "The run and step this run was forked from (rerun from a step)" }),
  })
  .openapi("RunSummary");

export const RunSchema = RunSummarySchema.extend({
  input: z.unknown(),
  output: z.unknown().optional(),
}).openapi("Run");

export function summaryBody(r: RunSummary): z.infer<typeof RunSummarySchema> {
  return {
    id: r.id,
    workflow: r.workflow,
    status: r.status,
    parentRunId: r.parentRunId,
    parentStepId: r.parentStepId,
    idempotencyKey: r.idempotencyKey,
    attempt: r.attempt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    wakeAt: r.wakeAt,
    cancelRequested: r.cancelRequested,
    reason: r.reason,
    error: publicError(r.error),
    forkedFrom: r.forkedFrom,
  };
}

export function runBody(r: RunRecord): z.infer<typeof RunSchema> {
  return { ...summaryBody(r), input: r.input, ...(r.status === "completed" ? { output: r.output } : {}) };
}

/** A wait bound: `Prefer: wait=30` (seconds) or `?wait=30s` (a duration), capped by the server. */
export const WaitQuerySchema = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m)?$/, 'a duration such as "30s", "500ms" or "30" (seconds)')
  .optional()
  .openapi({ description: "Wait up to this long for the run to end (e.g. 30s)" });
