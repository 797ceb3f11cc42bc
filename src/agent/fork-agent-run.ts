import type { Engine } from "../engine/engine.js";
import type { ForkOptions } from "../engine/fork.js";
import { ErrorCode, InputError, NotFoundError } from "../shared/errors.js";
import type { RunSummary } from "../store/records.js";
import type { Agent, AgentInput } from "./agent.js";

/** A fork as a person asks for it (CLI, API, dashboard): the engine's options, and an agent's changes. */
export interface ForkRequest extends ForkOptions {
  /** For an agent run: another model (a spec such as "openai:gpt-4.1") or instructions from the fork on. */
  agent?: { model?: string; instructions?: string };
}

/**
 * Reruns `runId` from a step with changes (see Engine.fork): the one place the CLI, the API and
 * the dashboard fork runs. An agent's new model or instructions go into the fork's input
 * (`AgentInput.override`), so they apply to every model call it makes; those before the fork
 * step are replayed from the journal, so the change takes effect from the fork point on.
 */
export async function forkWithChanges(
  engine: Engine,
  agents: ReadonlyMap<string, Agent>,
  runId: string,
  request: ForkRequest,
): Promise<RunSummary> {
  const { agent: changes, ...options } = request;
  const model = changes?.model;
  const instructions = changes?.instructions;
  if (model === undefined && instructions === undefined) return engine.fork(runId, options);
  const original = await engine.journal.getRun(engine.workspace, runId);
  if (original === undefined)
    throw new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in this workspace`);
  if (!agents.has(original.workflow))
    throw new InputError(
      ErrorCode.InvalidInput,
      `run ${runId} is a run of workflow "${original.workflow}", not of an agent: only an agent's model or instructions can be changed`,
    );
  if (model !== undefined && !/^[a-z][\w-]*:.+/.test(model))
    throw new InputError(
      ErrorCode.InvalidInput,
      `"${model}" is not a model spec; use provider:model, e.g. openai:gpt-4.1-mini or anthropic:claude-haiku-4-5`,
    );
  const base = options.input !== undefined ? options.input : original.input;
  const input: AgentInput = typeof base === "string" ? { message: base } : { ...(base as AgentInput) };
  input.override = {
    ...input.override,
    ...(model !== undefined ? { model } : {}),
    ...(instructions !== undefined ? { instructions } : {}),
  };
  return engine.fork(runId, { ...options, input });
}
