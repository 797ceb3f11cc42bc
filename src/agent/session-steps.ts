import type { ModelMessage } from "ai";
import type { Step } from "../engine/step.js";
import { encodePayload } from "../shared/payload.js";
import type { AgentOptions } from "./agent.js";
import type { LoopState, RunScope } from "./loop-state.js";
import { userMessage } from "./loop-state.js";

/** The session's conversation so far, recorded as a step so a replay sees the same history. */
export async function loadHistory(options: AgentOptions, step: Step, run: RunScope): Promise<ModelMessage[]> {
  return step.run("session.load", async () => {
    const messages = await run.journal.loadSession(run.workspace, options.name, run.session!);
    return messages.map((m) => m.message as ModelMessage);
  });
}

/** Appends this run's part of the conversation to its session, once. */
export async function saveHistory(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  const { run } = state;
  if (run.session === null) return;
  const added = state.messages
    .slice(state.historyLength)
    .map((m, i) => encodePayload(m, `session message ${i + 1}`));
  await step.run("session.save", () =>
    run.journal.appendSession(run.workspace, options.name, run.session!, run.runId, added),
  );
}

/** With `onBusy: "steer"`, messages sent while this run is in flight join it before its next model call. */
export async function takeSteering(options: AgentOptions, step: Step, state: LoopState): Promise<boolean> {
  const { run } = state;
  if (run.session === null || options.session?.onBusy !== "steer") return false;
  const arrived = await step.run("session.inbox", (ctx) =>
    run.journal.takeInbox(run.workspace, options.name, run.session!, run.runId, ctx.stepId),
  );
  for (const text of arrived) state.messages.push(userMessage(String(text)));
  return arrived.length > 0;
}
