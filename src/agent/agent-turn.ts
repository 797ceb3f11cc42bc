import type { Step, StepRunContext } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import type { LoopState, ToolOutcome } from "./loop-state.js";
import type { ModelTurn } from "./model-call.js";
import { callModel } from "./model-call.js";
import { resolveModel } from "./models.js";
import { executeInline } from "./tool-execution.js";
import { DEFAULT_PRICES } from "./usage.js";

/** One model call, and with checkpoint "turn" the tool calls it asked for, checkpointed. */
export function takeTurn(
  options: AgentOptions,
  step: Step,
  state: LoopState,
): Promise<{ turn: ModelTurn; outcomes?: ToolOutcome[] }> {
  return options.checkpoint === "turn"
    ? wholeTurn(options, step, state)
    : separateCalls(options, step, state);
}

/** checkpoint "calls": the model call is one step; tool calls become steps afterwards. */
async function separateCalls(
  options: AgentOptions,
  step: Step,
  state: LoopState,
): Promise<{ turn: ModelTurn; outcomes?: ToolOutcome[] }> {
  const turn = await step.run("model", (ctx) => modelCall(options, state, ctx), {
    retries: options.modelRetries ?? 6,
    backoff: { initial: "2s", max: "2m" },
    // Its intent is recorded so a call cut off by a crash is known to be re-sent (and marked).
    sideEffect: true,
    idempotent: true,
  });
  return { turn };
}

/** checkpoint "turn": the model call and its tool calls are one step. */
async function wholeTurn(
  options: AgentOptions,
  step: Step,
  state: LoopState,
): Promise<{ turn: ModelTurn; outcomes: ToolOutcome[] }> {
  return step.run(
    "turn",
    async (ctx) => {
      const turn = await modelCall(options, state, ctx);
      const outcomes: ToolOutcome[] = [];
      for (const call of turn.toolCalls) outcomes.push(await executeInline(options, state, call, ctx));
      return { turn, outcomes };
    },
    {
      retries: options.modelRetries ?? 6,
      backoff: { initial: "2s", max: "2m" },
      sideEffect: true,
      idempotent: true,
    },
  );
}

function modelCall(options: AgentOptions, state: LoopState, ctx: StepRunContext): Promise<ModelTurn> {
  const model = resolveModel(options.model);
  return callModel({
    model,
    system: options.instructions,
    messages: state.messages,
    tools: state.run.tools,
    price: options.prices?.[model.key] ?? DEFAULT_PRICES[model.key],
    ctx,
  });
}
