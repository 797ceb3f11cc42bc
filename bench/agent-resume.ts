// Resuming a long agent run from its journal: the run section 2 built made TURNS tool turns for
// real, then its answering model call got a 429 (Retry-After 0) and the run waits to retry it. A
// freshly opened Engine (as after a restart) claims the run, replays the 2 × TURNS memoized
// steps from the journal, makes the final model call and completes. Times that execution, with
// a breakdown, beside one bare AI SDK call over the same conversation.
import type { LanguageModelV3 } from "@ai-sdk/provider";
import type { ModelMessage } from "ai";
import { streamText } from "ai";
import { ANSWER, INSTRUCTIONS, MESSAGE, openAgentEngine, TURNS } from "./agent-fixture.js";
import type { LongRun } from "./agent-growth.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, median, now } from "./support.js";

/** The engine benchmark's budget for replaying a memoized step (10,000 steps under 1 s). */
const TARGET_US_PER_STEP = 100;

export async function measureResume(options: BenchOptions, built: LongRun): Promise<Figure[]> {
  const engine = openAgentEngine(built.path, options.synchronous, [built.agent.workflow]).engine;
  try {
    let replayed = 0;
    let loadedAt = 0;
    let replayedAt = 0;
    engine.on((p) => {
      if (p.type === "step.replayed") replayed++;
      else if (p.type === "run.started") loadedAt = now();
      else if (p.type === "step.started" && replayedAt === 0) replayedAt = now();
    });
    const t0 = now();
    const [lease] = await engine.claim(1);
    const claimedAt = now();
    if (lease === undefined || lease.runId !== built.runId)
      throw new Error("the waiting run was not claimable");
    const outcome = await engine.execute(lease);
    const t1 = now();
    if (outcome !== "completed") throw new Error(`resume: expected completed, got ${outcome}`);
    if (replayed !== 2 * TURNS)
      throw new Error(`resume: expected ${2 * TURNS} replayed steps, got ${replayed}`);
    const run = await engine.journal.getRun(engine.workspace, built.runId);
    if ((run?.output as { text?: string }).text !== ANSWER) throw new Error("resume: wrong answer");
    const total = t1 - t0;
    const finalCall = await bareFinalCall(built.model.model);
    const section = "3. resume";
    return [
      {
        section,
        metric: `build: ${TURNS} turns up to the answering call (section 2's run)`,
        value: built.buildMs,
        unit: "ms",
        note: `${fmt(built.buildMs / TURNS)} ms/turn; the answering call got a 429 and the run waits to retry it`,
      },
      {
        section,
        metric: `resume a ${TURNS}-turn run (claim + replay ${2 * TURNS} steps + final call)`,
        value: total,
        unit: "ms",
        note:
          `claim ${fmt(claimedAt - t0)} ms, load run + steps ${fmt(loadedAt - claimedAt)} ms, replay ${fmt(replayedAt - loadedAt)} ms, ` +
          `final model call + its commits + complete ${fmt(t1 - replayedAt)} ms`,
      },
      {
        section,
        metric: `  up to the final call: claim + load + replay`,
        value: replayedAt - t0,
        unit: "ms",
        note: `target < ${fmt((TARGET_US_PER_STEP * 2 * TURNS) / 1000)} ms (${TARGET_US_PER_STEP} µs per memoized step, as for the engine)`,
        ok: replayedAt - t0 < (TARGET_US_PER_STEP * 2 * TURNS) / 1000,
      },
      {
        section,
        metric: "  replay per memoized step",
        value: ((replayedAt - loadedAt) * 1000) / (2 * TURNS),
        unit: "µs/step",
        note: "the handler re-running the agent loop over recorded results",
      },
      {
        section,
        metric: `bare AI SDK: one streamText over the ${2 * TURNS + 1}-message conversation`,
        value: finalCall,
        unit: "ms",
        note: "the final model call without Cairn, median of 5: most of the resume is this call",
      },
    ];
  } finally {
    await engine.journal.close();
  }
}

/** One bare `streamText` over the conversation a TURNS-turn run ends with (the answering call). */
async function bareFinalCall(model: LanguageModelV3): Promise<number> {
  const messages: ModelMessage[] = [{ role: "user", content: MESSAGE }];
  for (let i = 1; i <= TURNS; i++) {
    const id = `call-${i}`;
    messages.push(
      { role: "assistant", content: [{ type: "tool-call", toolCallId: id, toolName: "noop", input: { i } }] },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: id,
            toolName: "noop",
            output: { type: "json", value: { ok: true, i } },
          },
        ],
      },
    );
  }
  const times: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = now();
    const result = streamText({ model, system: INSTRUCTIONS, messages, maxRetries: 0 });
    let text = "";
    for await (const part of result.fullStream) if (part.type === "text-delta") text += part.text;
    await result.response;
    if (text !== ANSWER) throw new Error(`bare final call answered ${JSON.stringify(text)}`);
    if (r > 0) times.push(now() - t0); // the first is a warm-up
  }
  return median(times);
}
