import type { ModelMessage } from "ai";
import type { Journal } from "../store/journal.js";
import type { Vault } from "../store/vault.js";
import type { AgentOptions } from "./agent.js";
import { delegationTool } from "./delegation-tool.js";
import { memoryTool } from "./memory-tool.js";
import type { Redactor } from "./redactor.js";
import type { Tool } from "./tool.js";
import type { Usage } from "./usage.js";

/** Who and where a run acts: the same on every replay of it. */
export interface RunScope {
  runId: string;
  workspace: string;
  journal: Journal;
  user: string;
  session: string | null;
  depth: number;
  /** The tools the model sees: the agent's own, memory, and one per sub-agent. */
  tools: Record<string, Tool>;
  /** Every secret value resolved for this run, taken out of what its tools give back. */
  redactor: Redactor;
  /** Where tools' credentials come from (the master key is read on first use). */
  vault: Vault;
  /** The system prompt: the agent's instructions and what its tools' `prepare` added. */
  instructions: string;
  /** Another model or instructions for this run (a fork's); see AgentInput.override. */
  override?: { model?: string; instructions?: string };
}

/** What a tool call gave back: its output, or an error the model is told about. */
export type ToolOutcome =
  | { ok: true; output: unknown }
  /** `reconnect`: a credential a person must fix first; the call may be made again with `args`. */
  | { ok: false; error: string; reconnect?: { reason: string; args: unknown } };

/** The loop's state, rebuilt by every replay from the journal's recorded step results. */
export interface LoopState {
  /** The run's own context: who it acts for, its session, its delegation depth. */
  run: RunScope;
  messages: ModelMessage[];
  /** Messages before this index came from the session's history. */
  historyLength: number;
  usage: Usage;
  cost: number | null;
  turns: number;
  invalidStreak: number;
  /** The budget in force: the agent's, raised by a person when it asks. */
  budget: { tokens?: number; costUsd?: number };
  /** Signatures of the tool calls of recent turns, newest last, for loop detection. */
  recentCalls: string[];
  /**
   * True while the last commit before the next model call can stand in for that call's intent:
   * no wait (approval, sub-agent) was entered since the previous model call or the session's
   * load. See call-intent.ts.
   */
  carried: boolean;
  /** A step body of this run has executed in this process (rather than been served from the journal). */
  live: boolean;
}

export function userMessage(text: string): ModelMessage {
  return { role: "user", content: text };
}

export function toolsOf(options: AgentOptions): Record<string, Tool> {
  const tools: Record<string, Tool> = { ...(options.tools ?? {}) };
  if (options.memory) tools.memory ??= memoryTool() as Tool;
  for (const [name, sub] of Object.entries(options.agents ?? {})) tools[name] = delegationTool(sub);
  return tools;
}
