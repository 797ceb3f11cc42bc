import type { StepRunContext, StepRunOptions } from "../engine/step.js";
import type { AgentOptions } from "./agent.js";
import type { LoopState } from "./loop-state.js";

/**
 * Folding a model call's intent into the commit before it.
 *
 * A model call's intent is recorded so that a call cut off by a crash is known, on resume, to be
 * sent again (and its step marked re-sent: the first attempt's tokens are unknown). Recording
 * it as its own commit costs a write per turn. Instead, the commit just before the call (the
 * previous model call's, its tool calls', or the session's load) stands in for it: the loop goes
 * from that commit to the call with no other durable step between, so when a resumed run finds
 * every step before the call served from the journal and the call itself unrecorded, the run
 * stopped after that commit, on its way to or inside the call, and the call is marked re-sent.
 * A stop between steps at shutdown is marked the same way ("may have been sent").
 *
 * A wait (an approval, a sub-agent) between the two breaks this: it may resolve in this
 * process without running a step body here, so after one the call records its own intent, as
 * it does after a side effect that is not idempotent (a person may record its result by hand)
 * and for a run's first call when there is no session to load. After a recorded failed attempt
 * (a retry) there is no telling whether a crash cut off the next, and the call is not marked.
 */
export function modelStepOptions(options: AgentOptions, carried: boolean): StepRunOptions {
  return {
    retries: options.modelRetries ?? 6,
    backoff: { initial: "2s", max: "2m" },
    sideEffect: !carried,
    idempotent: true,
  };
}

/** Whether this attempt of a model call re-sends one a crash cut off; call first thing in the body. */
export function resending(state: LoopState, ctx: StepRunContext, carried: boolean): boolean {
  const resent = ctx.interrupted || (carried && !state.live && ctx.attempt === 1);
  state.live = true;
  return resent;
}

/** Runs a step body, noting that this process got past the journal's recorded steps. */
export function live<T>(state: LoopState, fn: () => T): T {
  state.live = true;
  return fn();
}
