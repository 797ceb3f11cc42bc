import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Agent } from "../agent/agent.js";
import type { Tool } from "../agent/tool.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json } from "./schemas.js";

const ToolSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    needsApproval: z.boolean().openapi({ description: "Some or all of its calls wait for a person" }),
    inputSchema: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "JSON Schema of its arguments; null when it cannot be expressed" }),
  })
  .openapi("ToolInfo");

const WorkflowInfoSchema = z
  .object({
    name: z.string(),
    kind: z.enum(["workflow", "agent"]),
    triggers: z.array(z.string()).openapi({ description: "Events that start a run of it" }),
    model: z.string().nullable().openapi({ description: "An agent's model (provider:model)" }),
    tools: z.array(ToolSchema),
  })
  .openapi("WorkflowInfo");

const list = createRoute({
  method: "get",
  path: "/v1/workflows",
  summary: "The workflows and agents this server can start, with agents' tools",
  responses: {
    200: {
      description: "What can be started",
      content: json(z.object({ workflows: z.array(WorkflowInfoSchema) })),
    },
    ...errorResponses,
  },
});

export function catalogRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(list, (c) => {
    const { engine, services } = c.var;
    const workflows = engine.workflows
      .map((wf) => {
        const agent = services.agents.get(wf.id);
        return {
          name: wf.id,
          kind: agent ? ("agent" as const) : ("workflow" as const),
          triggers: (wf.options.triggers ?? []).map((t) => t.event),
          model: agent ? modelName(agent) : null,
          tools: agent ? toolInfos(agent) : [],
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return c.json({ workflows }, 200);
  });
}

function toolInfos(agent: Agent): z.infer<typeof ToolSchema>[] {
  return Object.entries(agent.options.tools ?? {}).map(([name, t]) => ({
    name,
    description: t.description,
    needsApproval: Boolean(t.needsApproval),
    inputSchema: toolInputSchema(t),
  }));
}

const schemas = new WeakMap<Tool, Record<string, unknown> | null>();

/** The JSON Schema of a tool's arguments, as the model is told them; null when zod cannot say it. */
export function toolInputSchema(t: Tool): Record<string, unknown> | null {
  let schema = schemas.get(t);
  if (schema !== undefined) return schema;
  try {
    schema = z.toJSONSchema(t.input, { unrepresentable: "any", io: "input" });
  } catch {
    schema = null;
  }
  schemas.set(t, schema);
  return schema;
}

function modelName(agent: Agent): string {
  const m = agent.options.model;
  if (typeof m === "string") return m;
  return `${m.provider}:${m.modelId}`;
}
