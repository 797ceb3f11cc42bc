import type { WorkflowContext } from "../engine/workflow.js";
import type { AgentInput, AgentOptions, AgentResult } from "./agent.js";
import { AgentLimitError } from "./agent-limit-error.js";
import { takeTurn } from "./agent-turn.js";
import { enforceBudget } from "./budget.js";
import { checkLoop } from "./loop-detection.js";
import type { LoopState, RunScope } from "./loop-state.js";
import { toolsOf, userMessage } from "./loop-state.js";
import { Vault } from "../store/vault.js";
import { Redactor } from "./redactor.js";
import { loadHistory, saveHistory, takeSteering } from "./session-steps.js";
import { runToolCalls } from "./tool-calls.js";
import { toolResultPart } from "./tool-execution.js";
import { prepareTools } from "./tool-preparation.js";
import { sourceTools } from "./tool-source.js";
import { addUsage, ZERO_USAGE } from "./usage.js";

/**
 * The durable agent loop: call the model, run the tools it asks for, feed their results back,
 * until it answers without tools. With checkpoint "calls", each model call is a step named
 * `model` and each tool call a step named `tool.<name>`, so a resumed run replays them from the
 * journal and continues with the first unfinished one.
 */
export async function runAgentLoop(
  options: AgentOptions,
  ctx: WorkflowContext<AgentInput>,
): Promise<AgentResult> {
  const { step, input } = ctx;
  const run: RunScope = {
    runId: ctx.runId,
    workspace: ctx.workspace,
    journal: ctx.journal,
    user: input.user ?? "default",
    session: input.session ?? null,
    depth: input.depth ?? 0,
    tools: toolsOf(options),
    redactor: new Redactor(),
    vault: new Vault(ctx.journal.secrets),
    instructions: options.instructions,
    ...(input.override ? { override: input.override } : {}),
  };
  const state: LoopState = {
    run,
    messages: [...(input.earlier ?? []).map(userMessage), userMessage(input.message)],
    historyLength: 0,
    usage: ZERO_USAGE,
    cost: 0,
    turns: 0,
    invalidStreak: 0,
    budget: {
      ...(options.budget?.tokens !== undefined ? { tokens: options.budget.tokens } : {}),
      ...(options.budget?.costUsd !== undefined ? { costUsd: options.budget.costUsd } : {}),
    },
    recentCalls: [],
    carried: false,
    live: false,
  };
  if (options.mcp?.length) Object.assign(run.tools, await sourceTools(options, step, run));
  await prepareTools(options, step, state);
  await loadHistory(options, step, state);
  const maxTurns = options.maxTurns ?? 20;
  for (;;) {
    await takeSteering(options, step, state);
    if (state.turns >= maxTurns) {
      throw new AgentLimitError(
        "max-turns",
        `the agent made ${maxTurns} model calls without a final answer (maxTurns ${maxTurns})`,
      );
    }
    state.turns++;
    const { turn, outcomes } = await takeTurn(options, step, state);
    state.messages.push(...turn.messages);
    state.usage = addUsage(state.usage, turn.usage);
    state.cost = state.cost === null || turn.cost === null ? null : state.cost + turn.cost;
    await enforceBudget(options, step, state);
    if (turn.toolCalls.length === 0) {
      // A message that steered in during the last call still gets an answer.
      if (await takeSteering(options, step, state)) continue;
      await saveHistory(options, step, state);
      // One that came in while saving too; finding none, the inbox closes (see takeSteering).
      if (await takeSteering(options, step, state, true)) continue;
      return { text: turn.text, turns: state.turns, usage: state.usage, cost: state.cost };
    }
    checkLoop(state, turn.toolCalls, options.loopLimit);
    // Tool calls the turn did not settle (all of them with checkpoint "calls") run as steps.
    const results = await runToolCalls(options, step, state, turn.toolCalls, outcomes);
    state.messages.push({
      role: "tool",
      content: turn.toolCalls.map((call, i) => toolResultPart(call, results[i]!)),
    });
  }
}
