import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { RunSummary } from "../store/records.js";
import type { ServerEnv } from "./context.js";
import { errorResponses, json, RunStatusSchema } from "./schemas.js";
import { agentNamed } from "./session-runs.js";

const SessionInfoSchema = z
  .object({
    agent: z.string(),
    session: z.string(),
    runs: z.number().int().openapi({ description: "Runs that answered in it (of the latest looked at)" }),
    lastRunId: z.string(),
    lastStatus: RunStatusSchema,
    lastAt: z.number().int(),
  })
  .openapi("SessionInfo");

const list = createRoute({
  method: "get",
  path: "/v1/sessions",
  summary: "Agent sessions, the most recently active first",
  description: "Found from each agent's latest runs (up to `runs` of them per agent, default 1,000).",
  request: {
    query: z.object({
      agent: z.string().min(1).optional(),
      runs: z.coerce.number().int().min(1).max(10_000).optional(),
    }),
  },
  responses: {
    200: { description: "Sessions", content: json(z.object({ sessions: z.array(SessionInfoSchema) })) },
    ...errorResponses,
  },
});

export function sessionListRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(list, async (c) => {
    const { engine, services } = c.var;
    const q = c.req.valid("query");
    const agents = q.agent ? [agentNamed(services.agents, q.agent).name] : [...services.agents.keys()];
    const found: z.infer<typeof SessionInfoSchema>[] = [];
    for (const agent of agents) {
      const runs = await engine.journal.listRuns(engine.workspace, {
        workflow: agent,
        limit: q.runs ?? 1000,
      });
      const bySession = new Map<string, z.infer<typeof SessionInfoSchema>>();
      // Newest first: the first run seen of a session is its latest.
      for (const run of runs) {
        const session = sessionOf(agent, run);
        if (session === undefined) continue;
        const seen = bySession.get(session);
        if (seen) seen.runs++;
        else
          bySession.set(session, {
            agent,
            session,
            runs: 1,
            lastRunId: run.id,
            lastStatus: run.status,
            lastAt: run.updatedAt,
          });
      }
      found.push(...bySession.values());
    }
    found.sort((a, b) => b.lastAt - a.lastAt);
    return c.json({ sessions: found }, 200);
  });
}

/** The session a run answered in: its key, as the agent's session policy set it (see sessionRuns). */
function sessionOf(agent: string, run: RunSummary): string | undefined {
  const prefix = `${agent}:session:`;
  if (run.concurrencyKey?.startsWith(prefix)) return run.concurrencyKey.slice(prefix.length);
  if (run.singletonKey?.startsWith("session:")) return run.singletonKey.slice("session:".length);
  return undefined;
}
