import type { Step, StepRunContext } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import { modelStepOptions, resending } from "./call-intent.js";
import type { LoopState, ToolOutcome } from "./loop-state.js";
import type { ModelTurn } from "./model-call.js";
import { callModel } from "./model-call.js";
import { resolveModel } from "./models.js";
import { executeInline } from "./tool-execution.js";
import { DEFAULT_PRICES } from "./usage.js";

/**
 * A model call, and with checkpoint "turn" the outcomes of the tool calls it asked for: null
 * for a call that runs as its own step after the turn (a side effect that is not idempotent).
 */
export interface TurnResult {
  turn: ModelTurn;
  outcomes?: (ToolOutcome | null)[];
}

/** One model call, and with checkpoint "turn" the tool calls it asked for, checkpointed. */
export async function takeTurn(options: AgentOptions, step: Step, state: LoopState): Promise<TurnResult> {
  const carried = state.carried;
  const result =
    options.checkpoint === "turn"
      ? await wholeTurn(options, step, state, carried)
      : {
          turn: await step.run(
            "model",
            (ctx) => modelCall(options, state, ctx, carried),
            modelStepOptions(options, carried),
          ),
        };
  // This commit stands in for the intent of the next model call, unless a wait comes between.
  state.carried = true;
  return result;
}

/**
 * checkpoint "turn": the model call and its tool calls are one step. A crash mid-turn runs it
 * again, so a side-effecting tool that is not idempotent runs after the turn, as its own step
 * (its intent recorded: a crash inside it pauses the run for a person, never repeats it).
 */
function wholeTurn(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  carried: boolean,
): Promise<TurnResult> {
  return step.run(
    "turn",
    async (ctx) => {
      const turn = await modelCall(options, state, ctx, carried);
      const outcomes: (ToolOutcome | null)[] = [];
      const seen = new Map<string, number>();
      for (const call of turn.toolCalls) {
        // Each call its own key, the same when a crash makes the turn (and the model) repeat it.
        const n = (seen.get(call.name) ?? 0) + 1;
        seen.set(call.name, n);
        const idempotencyKey = `${ctx.idempotencyKey}:${n === 1 ? call.name : `${call.name}#${n}`}`;
        outcomes.push(await executeInline(options, state, call, { ...ctx, idempotencyKey }));
      }
      return { turn, outcomes };
    },
    modelStepOptions(options, carried),
  );
}

async function modelCall(
  options: AgentOptions,
  state: LoopState,
  ctx: StepRunContext,
  carried: boolean,
): Promise<ModelTurn> {
  const resent = resending(state, ctx, carried);
  // A fork may run the agent on another model or with other instructions (AgentInput.override).
  const override = state.run.override;
  const model = await resolveModel(override?.model ?? options.model);
  return callModel({
    model,
    system: override?.instructions ?? state.run.instructions,
    messages: state.messages,
    tools: state.run.tools,
    price: options.prices?.[model.key] ?? DEFAULT_PRICES[model.key],
    ctx,
    resent,
  });
}
