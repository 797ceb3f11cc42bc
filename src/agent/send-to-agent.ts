import type { Engine, StartOptions } from "../engine/engine.js";
import { ConflictError } from "../shared/errors.js";
import { encodePayload } from "../shared/payload.js";
import type { Agent, AgentInput } from "./agent.js";

export interface SendToAgentResult {
  /** The run that will answer: a new one, or (steer) the one in flight. */
  runId: string;
  /**
   * started: a new run, nothing else in flight for the session; queued: a new run that waits for
   * the session's current one; interrupted: a new run that replaced the one in flight; steered:
   * the message joined the run in flight.
   */
  outcome: "started" | "queued" | "interrupted" | "steered";
}

/**
 * Sends a message to an agent, honouring its session policy (see AgentOptions.session): the one
 * place the CLI, the API and the dashboard start agent runs.
 */
export async function sendToAgent(
  engine: Engine,
  agent: Agent,
  input: AgentInput,
  options: StartOptions = {},
): Promise<SendToAgentResult> {
  const session = input.session;
  const policy = agent.options.session?.onBusy ?? "queue";
  if (session === undefined)
    return { runId: (await engine.start(agent.workflow, input, options)).runId, outcome: "started" };
  const key = `session:${session}`;
  const inFlight = async () => {
    const runs = await engine.journal.listRuns(engine.workspace, {
      workflow: agent.name,
      active: true,
      limit: 100,
    });
    return runs.filter((r) => r.singletonKey === key);
  };
  if (policy === "interrupt") {
    // The runs being replaced never answered: their messages go to the new run, before this one,
    // each once (a run that replaced older ones, and waits for them to stop, carries theirs).
    let earlier: string[] = [];
    for (const r of (await inFlight()).reverse()) {
      const old = (await engine.journal.getRun(engine.workspace, r.id))?.input as AgentInput | undefined;
      if (old === undefined) continue;
      const carried = old.earlier ?? [];
      const inherits = earlier.every((m, i) => carried[i] === m);
      earlier = [...(inherits ? [] : earlier), ...carried, old.message];
    }
    const started = await engine.start(
      agent.workflow,
      { ...input, earlier: [...(input.earlier ?? []), ...earlier] },
      options,
    );
    return { runId: started.runId, outcome: earlier.length > 0 ? "interrupted" : "started" };
  }
  const busy = (await inFlight()).length > 0;
  const started = await engine.start(agent.workflow, input, options);
  if (started.created) return { runId: started.runId, outcome: busy ? "queued" : "started" };
  if (policy !== "steer") return refuse(agent, session, started.runId);
  const message = encodePayload(input.message, "steering message");
  // The run in flight takes it, unless it has closed its inbox (it is saving its answer and
  // ending); then a run already queued behind it takes it before its first model call, or else
  // the message gets a run of its own, after that one, so it sees the answer.
  const push = (runId: string) =>
    engine.journal.pushInbox(engine.workspace, agent.name, session, message, runId);
  if ((await push(started.runId)) !== undefined) return { runId: started.runId, outcome: "steered" };
  for (const run of await inFlight()) {
    if (run.id !== started.runId && run.status === "queued" && (await push(run.id)) !== undefined)
      return { runId: run.id, outcome: "steered" };
  }
  const next = await engine.start(agent.workflow, input, { ...options, queueBehind: true });
  return { runId: next.runId, outcome: "queued" };
}

function refuse(agent: Agent, session: string, runId: string): never {
  throw new ConflictError(
    `agent ${agent.name} is still answering in session "${session}" (run ${runId}); ` +
      `wait for it, cancel it (cairn runs cancel ${runId}), or send without a session`,
  );
}
