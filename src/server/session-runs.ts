import type { Agent } from "../agent/agent.js";
import type { Engine } from "../engine/engine.js";
import { ErrorCode } from "../shared/errors.js";
import { CairnError } from "../shared/errors.js";
import type { RunSummary } from "../store/records.js";

/** The agent a route names, or a 404 listing the ones there are. */
export function agentNamed(agents: ReadonlyMap<string, Agent>, name: string): Agent {
  const agent = agents.get(name);
  if (agent === undefined) {
    throw new CairnError(
      ErrorCode.NotFound,
      `no agent "${name}" here; agents: ${[...agents.keys()].join(", ") || "none (is cairn.config.ts loaded?)"}`,
    );
  }
  return agent;
}

/**
 * The runs of one agent session, oldest first: the runs whose session key (the concurrency or
 * singleton key the agent's session policy gives them) names it.
 */
export async function sessionRuns(engine: Engine, agent: string, session: string): Promise<RunSummary[]> {
  const key = `session:${session}`;
  const runs = await engine.journal.listRuns(engine.workspace, { workflow: agent, limit: 10_000 });
  return runs
    .filter((r) => r.concurrencyKey === `${agent}:${key}` || r.singletonKey === key)
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
