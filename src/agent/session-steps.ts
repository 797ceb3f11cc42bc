import type { ModelMessage } from "ai";
import type { Step } from "../engine/step.js";
import { encodePayload } from "../shared/payload.js";
import type { AgentOptions } from "./agent.js";
import { live } from "./call-intent.js";
import type { LoopState } from "./loop-state.js";
import { userMessage } from "./loop-state.js";

/**
 * The session's conversation so far. The step records only where the session stood (its head
 * seq), not the messages: a session's history is stored once, in the session, not again in
 * every run's journal. Messages up to the head never change, so every replay reads the same.
 */
export async function loadHistory(options: AgentOptions, step: Step, state: LoopState): Promise<void> {
  const { run } = state;
  if (run.session === null) return;
  const loaded = await step.run("session.load", () =>
    live(state, async () => ({
      upTo: await run.journal.sessionHead(run.workspace, options.name, run.session!),
    })),
  );
  // Runs recorded before history was kept by reference hold the messages themselves.
  const history = Array.isArray(loaded)
    ? (loaded as ModelMessage[])
    : await readHistory(options, state, loaded.upTo);
  state.messages.unshift(...history);
  state.historyLength = history.length;
  // The first model call follows this commit directly: it stands in for that call's intent.
  state.carried = true;
}

/**
 * The session's messages up to `upTo`; with `session.history.maxMessages`, only the latest
 * ones, starting at a user message so no tool result is cut from the call it answers.
 */
async function readHistory(options: AgentOptions, state: LoopState, upTo: number): Promise<ModelMessage[]> {
  const { run } = state;
  const max = options.session?.history?.maxMessages;
  const stored = await run.journal.loadSession(run.workspace, options.name, run.session!, {
    upTo,
    ...(max !== undefined ? { last: max } : {}),
  });
  const messages = stored.map((m) => m.message as ModelMessage);
  if (max === undefined || stored.length < max || stored[0]?.seq === 1) return messages;
  const start = messages.findIndex((m) => m.role === "user");
  return start < 0 ? [] : messages.slice(start);
}

/**
 * Appends this run's part of the conversation to its session. Saving again (the run took in
 * more messages after a save) appends only what is new.
 */
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

/**
 * With `onBusy: "steer"`, messages sent while this run is in flight join it before its next model
 * call. With `seal` (the run is about to end), finding none closes the run's inbox in the same
 * transaction: a message sent from then on starts a new run rather than waiting for this one.
 */
export async function takeSteering(
  options: AgentOptions,
  step: Step,
  state: LoopState,
  seal = false,
): Promise<boolean> {
  const { run } = state;
  if (run.session === null || options.session?.onBusy !== "steer") return false;
  const arrived = await step.run("session.inbox", (ctx) =>
    live(state, () =>
      run.journal.takeInbox(run.workspace, options.name, run.session!, run.runId, ctx.stepId, seal),
    ),
  );
  for (const text of arrived) state.messages.push(userMessage(String(text)));
  return arrived.length > 0;
}
