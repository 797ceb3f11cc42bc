import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { MasterKeySource } from "../shared/master-key.js";
import type { SecretInfo, SecretRows } from "../store/secret-records.js";
import { Vault } from "../store/vault.js";
import type { ServerEnv } from "./context.js";
import { notFound } from "./http-errors.js";
import { errorResponses, json } from "./schemas.js";

const SecretSchema = z
  .object({
    name: z.string(),
    user: z
      .string()
      .nullable()
      .openapi({ description: "The end user it belongs to; null: the whole workspace" }),
    kind: z.enum(["value", "oauth"]),
    keyId: z.string().openapi({ description: "The master key that wraps it" }),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi("Secret");

const NameParams = z.object({
  name: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "name", in: "path" } }),
});

const UserQuery = z.object({
  user: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "The end user (default: workspace-wide)" }),
});

const PutBody = z
  .object({
    value: z.string().min(1).max(65_536).openapi({ description: "Stored sealed; never returned" }),
    user: z.string().min(1).max(200).optional(),
  })
  .openapi("NewSecret");

const list = createRoute({
  method: "get",
  path: "/v1/secrets",
  summary: "The workspace's secrets: names and scopes, never values (admin)",
  request: { query: UserQuery },
  responses: {
    200: { description: "Secrets", content: json(z.object({ secrets: z.array(SecretSchema) })) },
    ...errorResponses,
  },
});

const put = createRoute({
  method: "put",
  path: "/v1/secrets/{name}",
  summary: "Store or replace a secret, sealed in the vault (admin); the value is never returned",
  request: { params: NameParams, body: { content: json(PutBody), required: true } },
  responses: {
    200: { description: "The stored secret, without its value", content: json(SecretSchema) },
    ...errorResponses,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/secrets/{name}",
  summary: "Remove a secret (admin)",
  request: { params: NameParams, query: UserQuery },
  responses: {
    200: { description: "Removed", content: json(z.object({ removed: z.literal(true) })) },
    ...errorResponses,
  },
});

/** The vault over HTTP: admin keys only (see scopeFor); values go in and never come out. */
export function secretRoutes(app: OpenAPIHono<ServerEnv>, keySource: MasterKeySource = {}): void {
  // One vault (and one master key read) per journal: every workspace shares the store.
  let vault: Vault | undefined;
  const vaultOf = (secrets: SecretRows) => (vault ??= new Vault(secrets, keySource));

  app.openapi(list, async (c) => {
    const { engine } = c.var;
    const { user } = c.req.valid("query");
    const secrets = await vaultOf(engine.journal.secrets).list(
      engine.workspace,
      user !== undefined ? { user } : {},
    );
    return c.json({ secrets: secrets.map(secretBody) }, 200);
  });

  app.openapi(put, async (c) => {
    const { engine } = c.var;
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const info = await vaultOf(engine.journal.secrets).set(
      { workspace: engine.workspace, user: body.user ?? null, name },
      body.value,
    );
    return c.json(secretBody(info), 200);
  });

  app.openapi(remove, async (c) => {
    const { engine } = c.var;
    const { name } = c.req.valid("param");
    const { user } = c.req.valid("query");
    const removed = await vaultOf(engine.journal.secrets).remove({
      workspace: engine.workspace,
      user: user ?? null,
      name,
    });
    if (!removed) throw notFound(`no secret ${name} for ${user ?? "the workspace"}`);
    return c.json({ removed: true as const }, 200);
  });
}

function secretBody(s: SecretInfo): z.infer<typeof SecretSchema> {
  return {
    name: s.name,
    user: s.user,
    kind: s.kind,
    keyId: s.keyId,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
