import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { decideApproval } from "../agent/tool-approval.js";
import { ErrorCode, NotFoundError } from "../shared/errors.js";
import type { Agent } from "../agent/agent.js";
import type { ApprovalRecord, ApprovalStatus } from "../store/records.js";
import { toolInputSchema } from "./catalog.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json } from "./schemas.js";

const STATUSES = ["pending", "approved", "rejected", "expired", "cancelled"] as const;

const ApprovalSchema = z
  .object({
    id: z.string(),
    runId: z.string(),
    stepId: z.string(),
    batchId: z.string().nullable(),
    status: z.enum(STATUSES),
    title: z.string(),
    request: z
      .unknown()
      .openapi({ description: "What the approver is shown: for a tool call, tool and args" }),
    argsHash: z.string().nullable(),
    approvers: z.array(z.string()).nullable(),
    createdAt: z.number().int(),
    dueAt: z.number().int().nullable(),
    escalations: z.number().int(),
    decidedAt: z.number().int().nullable(),
    decidedBy: z.string().nullable(),
    reason: z.string().nullable(),
    editedArgs: z.unknown().optional(),
    argsSchema: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "For a tool call: the JSON Schema of the tool's arguments, to check edited arguments before sending",
    }),
  })
  .openapi("Approval");

const DecisionBody = z
  .object({
    approve: z.boolean().openapi({ description: "true approves, false rejects" }),
    reason: z
      .string()
      .max(2000)
      .optional()
      .openapi({ description: "Why; required to reject (the agent is told)" }),
    args: z.unknown().optional().openapi({ description: "Approve with these arguments instead (checked)" }),
  })
  .refine((d) => d.approve || (d.reason !== undefined && d.reason.trim() !== ""), {
    message: "a rejection needs a reason: the agent is told why, so it can adapt",
    path: ["reason"],
  })
  .openapi("ApprovalDecision");

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

const list = createRoute({
  method: "get",
  path: "/v1/approvals",
  summary: "Approval requests, oldest first, up to ?limit= (pending unless ?status=)",
  request: {
    query: z.object({
      status: z.enum([...STATUSES, "all"]).optional(),
      runId: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
  },
  responses: {
    200: { description: "Approvals", content: json(z.object({ approvals: z.array(ApprovalSchema) })) },
    ...errorResponses,
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/approvals/{id}",
  summary: "One approval request",
  request: { params: IdParams },
  responses: { 200: { description: "The approval", content: json(ApprovalSchema) }, ...errorResponses },
});

const decide = createRoute({
  method: "post",
  path: "/v1/approvals/{id}/decision",
  summary: "Approve (optionally with edited arguments) or reject with a reason",
  description:
    "Decided as the API key's principal, which must be among the request's approvers when it names any. " +
    "409 when already decided or expired.",
  request: { params: IdParams, body: { content: json(DecisionBody), required: true } },
  responses: {
    200: { description: "The decided approval", content: json(ApprovalSchema) },
    ...errorResponses,
  },
});

export function approvalRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(list, async (c) => {
    const { engine, services } = c.var;
    const q = c.req.valid("query");
    const status: ApprovalStatus | undefined = q.status === "all" ? undefined : (q.status ?? "pending");
    const approvals = await engine.journal.listApprovals(engine.workspace, {
      ...(status ? { status } : {}),
      ...(q.runId ? { runId: q.runId } : {}),
      limit: q.limit ?? 100,
    });
    return c.json({ approvals: approvals.map((a) => approvalBody(a, services.agents)) }, 200);
  });

  app.openapi(get, async (c) => {
    const { engine, services } = c.var;
    const { id } = c.req.valid("param");
    const approval = await engine.journal.getApproval(engine.workspace, id);
    if (approval === undefined) throw approvalNotFound(id);
    return c.json(approvalBody(approval, services.agents), 200);
  });

  app.openapi(decide, async (c) => {
    const { engine, principal, services } = c.var;
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const decided = await decideApproval(engine, services.agents, id, {
      approve: body.approve,
      by: principal.name,
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
      ...(body.args !== undefined ? { args: body.args } : {}),
    });
    return c.json(approvalBody(decided, services.agents), 200);
  });
}

export function approvalBody(
  a: ApprovalRecord,
  agents?: ReadonlyMap<string, Agent>,
): z.infer<typeof ApprovalSchema> {
  const schema = agents ? argsSchemaOf(a.request, agents) : null;
  return {
    id: a.id,
    runId: a.runId,
    stepId: a.stepId,
    batchId: a.batchId,
    status: a.status,
    title: a.title,
    request: a.request,
    argsHash: a.argsHash,
    approvers: a.approvers,
    createdAt: a.createdAt,
    dueAt: a.dueAt,
    escalations: a.escalations,
    decidedAt: a.decidedAt,
    decidedBy: a.decidedBy,
    reason: a.reason,
    ...(a.editedArgs !== null && a.editedArgs !== undefined ? { editedArgs: a.editedArgs } : {}),
    ...(schema ? { argsSchema: schema } : {}),
  };
}

/** The schema of the tool a tool-call approval is about, when its agent is one this server has. */
function argsSchemaOf(request: unknown, agents: ReadonlyMap<string, Agent>): Record<string, unknown> | null {
  if (typeof request !== "object" || request === null) return null;
  const { agent, tool } = request as { agent?: unknown; tool?: unknown };
  if (typeof agent !== "string" || typeof tool !== "string") return null;
  const t = agents.get(agent)?.options.tools?.[tool];
  return t ? toolInputSchema(t) : null;
}

function approvalNotFound(id: string): NotFoundError {
  return new NotFoundError(ErrorCode.StepNotFound, `no approval ${id} in this workspace`);
}
