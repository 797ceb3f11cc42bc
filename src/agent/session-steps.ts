import type { ModelMessage } from "ai";
import type { Step } from "../engine/step.js";
import { encodePayload } from "../shared/payload.js";
import type { AgentOptions } from "./agent.js";
import { live } from "./call-intent.js";
import type { LoopState } from "./loop-state.js";
import { userMessage } from "./loop-state.js";

/** The session's conversation so far, recorded as a step so a replay sees the same history. */
export async function loadHistory(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  const { run } = state;
  if (run.session === null) return;
  const history = await step.run("session.load", () =>
    live(state, async () => {
      const messages = await run.journal.loadSession(run.workspace, options.name, run.session!);
      return messages.map((m) => m.message as ModelMessage);
    }),
  );
  state.messages.unshift(...history);
  state.historyLength = history.length;
  // The first model call follows this commit directly: it stands in for that call's intent.
  state.carried = true;
}

/** Appends this run's part of the conversation to its session, once. */
export async function saveHistory(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  const { run } = state;
  if (run.session === null) return;
  const added = state.messages
    .slice(state.historyLength)
    .map((m, i) => encodePayload(m, `session message ${i + 1}`));
  await step.run("session.save", () =>
    live(state, () => run.journal.appendSession(run.workspace, options.name, run.session!, run.runId, added)),
  );
}

/** With `onBusy: "steer"`, messages sent while this run is in flight join it before its next model call. */
export async function takeSteering(options: AgentOptions, step: Step, state: LoopState): Promise<boolean> {
  const { run } = state;
  if (run.session === null || options.session?.onBusy !== "steer") return false;
  const arrived = await step.run("session.inbox", (ctx) =>
    live(state, () =>
      run.journal.takeInbox(run.workspace, options.name, run.session!, run.runId, ctx.stepId),
    ),
  );
  for (const text of arrived) state.messages.push(userMessage(String(text)));
  return arrived.length > 0;
}
