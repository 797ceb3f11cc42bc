import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { ErrorCode } from "../shared/errors.js";
import { CairnError } from "../shared/errors.js";
import type { ApiKeyRecord } from "../store/service-records.js";
import { API_SCOPES } from "../store/service-records.js";
import { issueApiKey } from "./api-keys.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json } from "./schemas.js";

const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    principal: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters" }),
    scopes: z.array(z.enum(API_SCOPES as ["read", "run", "approve", "admin"])),
    createdAt: z.number().int(),
    revokedAt: z.number().int().nullable(),
  })
  .openapi("ApiKey");

const CreateBody = z
  .object({
    name: z.string().min(1).max(100),
    principal: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Who the key acts as; default name" }),
    scopes: z.array(z.enum(API_SCOPES as ["read", "run", "approve", "admin"])).min(1),
  })
  .openapi("NewApiKey");

const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" } }),
});

const list = createRoute({
  method: "get",
  path: "/v1/keys",
  summary: "The workspace's API keys (admin)",
  responses: {
    200: { description: "Keys", content: json(z.object({ keys: z.array(ApiKeySchema) })) },
    ...errorResponses,
  },
});

const create = createRoute({
  method: "post",
  path: "/v1/keys",
  summary: "Create an API key in this workspace (admin); the key is shown once",
  request: { body: { content: json(CreateBody), required: true } },
  responses: {
    201: {
      description: "The key: keep it, it is not shown again",
      content: json(z.object({ key: z.string(), apiKey: ApiKeySchema })),
    },
    ...errorResponses,
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/v1/keys/{id}",
  summary: "Revoke an API key (admin)",
  request: { params: IdParams },
  responses: { 200: { description: "The revoked key", content: json(ApiKeySchema) }, ...errorResponses },
});

export function keyRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(list, async (c) => {
    const { engine } = c.var;
    return c.json({ keys: (await engine.journal.listApiKeys(engine.workspace)).map(keyBody) }, 200);
  });

  app.openapi(create, async (c) => {
    const { engine } = c.var;
    const body = c.req.valid("json");
    const { key, record } = await issueApiKey(engine.journal, {
      workspace: engine.workspace,
      name: body.name,
      ...(body.principal !== undefined ? { principal: body.principal } : {}),
      scopes: body.scopes,
    });
    return c.json({ key, apiKey: keyBody(record) }, 201);
  });

  app.openapi(revoke, async (c) => {
    const { engine } = c.var;
    const { id } = c.req.valid("param");
    const revoked = await engine.journal.revokeApiKey(engine.workspace, id);
    if (revoked === undefined) throw new CairnError(ErrorCode.NotFound, `no API key ${id} in this workspace`);
    c.var.services.keys.revoked(id);
    return c.json(keyBody(revoked), 200);
  });
}

function keyBody(k: ApiKeyRecord): z.infer<typeof ApiKeySchema> {
  return {
    id: k.id,
    name: k.name,
    principal: k.principal,
    prefix: k.prefix,
    scopes: k.scopes,
    createdAt: k.createdAt,
    revokedAt: k.revokedAt,
  };
}
