// Shared plumbing for the agent benchmark: an instant scripted model that calls a no-op tool once
// per turn (new arguments each turn, so loop detection never fires) and then answers; the agent
// built on it; the same calls through the bare AI SDK with no store; an Engine whose SQLite
// database the benchmark can read; and a meter of the journal's write transactions.
import type { LanguageModelV3, LanguageModelV3Prompt } from "@ai-sdk/provider";
import type { ModelMessage } from "ai";
import { APICallError, streamText, tool as aiTool } from "ai";
import { z } from "zod";
import type { Agent } from "../src/agent/agent.js";
import { agent } from "../src/agent/agent.js";
import { scriptedModel } from "../src/agent/scripted-model.js";
import { tool } from "../src/agent/tool.js";
import { Engine } from "../src/engine/engine.js";
import type { Workflow } from "../src/engine/workflow.js";
import { silentLogger, stderrLogger } from "../src/shared/logger.js";
import type { Journal } from "../src/store/journal.js";
import type { SqliteDatabase } from "../src/store/sqlite/database.js";
import { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";
import type { Synchronous } from "./support.js";

/** Tool turns per run: each is one model call that asks for the tool, and the tool call. */
export const TURNS = 200;
export const INSTRUCTIONS = "You are a benchmark agent. Call noop when asked to, then answer.";
export const MESSAGE = "Run the benchmark.";
export const ANSWER = "done";

const NOOP_DESCRIPTION = "Does nothing; returns its argument.";
const noopInput = z.object({ i: z.number().int() });
const noopExecute = ({ i }: { i: number }) => ({ ok: true, i });

/** Tool turns the conversation holds so far: the tool messages in the prompt. */
function toolTurns(prompt: LanguageModelV3Prompt): number {
  let n = 0;
  for (const m of prompt) if (m.role === "tool") n++;
  return n;
}

export interface InstantModel {
  model: LanguageModelV3;
  /** The next answering call (after the last tool turn) fails once with a 429, Retry-After 0. */
  failNextAnswer(): void;
}

/**
 * A model that answers at once (on the next turn of the event loop), through the AI SDK's
 * streaming interface: `noop({ i })` for turns 1..`turns`, then the text "done". What it says
 * depends only on the prompt, so the agent, a replay and the bare AI SDK loop all see the same
 * conversation.
 */
export function instantModel(turns: number = TURNS): InstantModel {
  const inner = scriptedModel({
    name: "instant",
    respond: (prompt) => {
      const done = toolTurns(prompt);
      return done < turns
        ? {
            toolCalls: [{ name: "noop", args: { i: done + 1 } }],
            usage: { input: 20 + 30 * done, output: 12 },
          }
        : { text: ANSWER, usage: { input: 20 + 30 * done, output: 1 } };
    },
  });
  let failAnswer = false;
  const model: LanguageModelV3 = {
    ...inner,
    doStream(options) {
      if (failAnswer && toolTurns(options.prompt) >= turns) {
        failAnswer = false;
        return Promise.reject(
          new APICallError({
            message: "rate limited (benchmark)",
            url: "http://bench.invalid/v1",
            requestBodyValues: {},
            statusCode: 429,
            responseHeaders: { "retry-after-ms": "0" },
            isRetryable: true,
          }),
        );
      }
      // Answer on the next turn of the event loop, as a reply off the network would: a run made
      // only of microtasks would starve the engine's timers (its lease heartbeat among them).
      return new Promise((resolve) => setImmediate(resolve)).then(() => inner.doStream(options));
    },
  };
  return { model, failNextAnswer: () => (failAnswer = true) };
}

/**
 * The benchmark agent: the instant model and the no-op tool, guardrails set to let it finish.
 * `onTool` runs inside each tool call (the turn benchmark steps a bare AI SDK twin there).
 */
export function benchAgent(
  name: string,
  model: LanguageModelV3,
  checkpoint: "calls" | "turn",
  options: { turns?: number; onTool?: () => Promise<void> } = {},
): Agent {
  const { turns = TURNS, onTool } = options;
  const noop = tool({
    description: NOOP_DESCRIPTION,
    input: noopInput,
    execute: async (args: { i: number }) => {
      if (onTool) await onTool();
      return noopExecute(args);
    },
  });
  return agent({
    name,
    instructions: INSTRUCTIONS,
    model,
    tools: { noop },
    checkpoint,
    maxTurns: turns + 1, // the tool turns and the answer
    loopLimit: 3, // the default; the arguments change every turn, so it never fires
  });
}

/**
 * The same turns with the bare AI SDK, in memory: one `streamText` per model call with the same
 * model, system prompt and tool (executed by the SDK), the stream consumed as Cairn consumes it,
 * and the conversation built up from `response.messages`. No store, no engine.
 */
export class BareAgent {
  private readonly messages: ModelMessage[] = [{ role: "user", content: MESSAGE }];
  private readonly tools = {
    noop: aiTool({ description: NOOP_DESCRIPTION, inputSchema: noopInput, execute: noopExecute }),
  };

  constructor(private readonly model: LanguageModelV3) {}

  /** One model call (and the tool call it asks for). Returns the text and the tool calls made. */
  async call(): Promise<{ text: string; toolCalls: number }> {
    const result = streamText({
      model: this.model,
      system: INSTRUCTIONS,
      messages: this.messages,
      tools: this.tools,
      maxRetries: 0,
    });
    let text = "";
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") text += part.text;
      else if (part.type === "error") throw part.error;
    }
    this.messages.push(...(await result.response).messages);
    return { text, toolCalls: (await result.toolCalls).length };
  }
}

/** An Engine over a SqliteJournal at `path` (a file, or ":memory:"), and its database for reads. */
export function openAgentEngine(
  path: string,
  synchronous: Synchronous,
  workflows: readonly Workflow[],
): { engine: Engine; db: SqliteDatabase } {
  const journal = new SqliteJournal({ path, synchronous });
  return {
    engine: new Engine({
      journal,
      workflows,
      logger: process.env.CAIRN_BENCH_LOG ? stderrLogger("debug") : silentLogger,
    }),
    db: journal.database,
  };
}

/** Journal methods that write (each is one IMMEDIATE transaction when no other run commits with it). */
const WRITES = [
  "createRun",
  "claimRuns",
  "claimRun",
  "renewLease",
  "recordIntent",
  "commitStep",
  "recordRetry",
  "suspendRun",
  "completeRun",
  "failRun",
] as const;

/** Write transactions a journal was asked for, and the time spent in SQLite transactions (ms). */
export interface WriteMeter {
  readonly count: number;
  readonly ms: number;
}

type SqliteTransaction = ((...args: unknown[]) => unknown) & { immediate(...args: unknown[]): unknown };

/**
 * Meters the writes a SqliteJournal is asked for from now on: how many (its write methods are
 * wrapped in place), and the wall time inside its IMMEDIATE transactions, commit and fsync
 * included. The time reaches under the interface, into the journal's one transaction wrapper;
 * should that change, it falls back to timing each write from call to settled.
 */
export function meterWrites(journal: Journal): WriteMeter {
  const meter = { count: 0, ms: 0 };
  const inside = journal as unknown as { transaction?: SqliteTransaction };
  const tx = inside.transaction;
  const timeTransactions = typeof tx === "function" && typeof tx.immediate === "function";
  if (timeTransactions) {
    const wrapped = (...args: unknown[]) => tx(...args);
    wrapped.immediate = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return tx.immediate(...args);
      } finally {
        meter.ms += performance.now() - t0;
      }
    };
    inside.transaction = wrapped;
  }
  const methods = journal as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of WRITES) {
    const original = methods[name];
    if (typeof original !== "function") continue;
    methods[name] = (...args: unknown[]) => {
      meter.count++;
      if (timeTransactions) return original.apply(journal, args);
      const t0 = performance.now();
      return original.apply(journal, args).finally(() => (meter.ms += performance.now() - t0));
    };
  }
  return meter;
}
