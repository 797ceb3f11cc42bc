import type { z } from "zod";
import { TOOL_BRAND } from "../shared/brands.js";
import { ConfigError } from "../shared/errors.js";
import type { Duration } from "../shared/duration.js";
import type { StepRunContext, WaitForApprovalOptions } from "../engine/step.js";
import type { Journal } from "../store/journal.js";
import type { CredentialSpec } from "./credentials.js";
import { checkCredentials } from "./credentials.js";

const TOOL = TOOL_BRAND;

/**
 * What a tool's `execute` receives besides its arguments. `idempotencyKey` is the call's own:
 * its step's (`<runId>:tool.<name>`), or inside a checkpoint "turn" step `<runId>:<stepId>:<name>`
 * (`<name>#2` for the turn's second call of that tool).
 */
export interface ToolContext extends StepRunContext {
  /** The agent making the call, the user it acts for, and its session (if any). */
  agent: { name: string; user: string; session: string | null };
  workspace: string;
  /** The store, for built-in tools (memory); writes through it are not checkpoints. */
  journal: Journal;
  /**
   * `fetch` through the credential proxy: the tool's `credentials` are added for their hosts only,
   * redirects are followed one host at a time, and what comes back is redacted from the result.
   */
  fetch: typeof fetch;
  /** Placeholders for the tool's credentials (`{{credential:NAME}}`), swapped for the value by `fetch`. */
  credentials: Record<string, string>;
}

export interface ToolOptions<I, O> {
  description: string;
  /** Arguments from the model are checked against this before `execute` runs. */
  input: z.ZodType<I>;
  execute(args: I, ctx: ToolContext): O | Promise<O>;
  /** Retries of a failing `execute` (default 2); after them the error goes back to the model. */
  retries?: number;
  timeout?: Duration;
  /**
   * The tool acts on the world: its intent is recorded before it runs, so a crash mid-call is
   * noticed. Without `idempotent`, such a call pauses the run for a person instead of repeating.
   */
  sideEffect?: boolean;
  idempotent?: boolean;
  /** A person must approve each call (true), or the calls this predicate picks. */
  needsApproval?: boolean | ApprovalPredicate<I>;
  /** Who may approve this tool's calls and how long they have; overrides the agent's `approvals`. */
  approval?: ApprovalSettings;
  /**
   * Credentials the tool's `ctx.fetch` may send, and to which hosts: the value comes from the vault
   * for the run's user and never reaches the tool, the model, the journal or the logs.
   */
  credentials?: Record<string, CredentialSpec>;
  /**
   * Runs once as a run of an agent with this tool starts, in one step (`tools.prepare`) shared by
   * every such tool: what it returns is recorded, so a resumed run sees the same. Its
   * `instructions` are added to the agent's (e.g. the skills the run may load).
   */
  prepare?(ctx: ToolContext): Promise<ToolPreparation | undefined>;
}

/** What a tool's `prepare` adds to a run. */
export interface ToolPreparation {
  /** Appended to the agent's instructions for this run. */
  instructions?: string;
}

/** Who decides a gated tool call, and what happens if nobody does in time. */
export interface ApprovalSettings {
  approvers?: string[];
  timeout?: Duration;
  onTimeout?: WaitForApprovalOptions["onTimeout"];
}

/** Method-typed so a Tool<{ city: string }> still fits in a Record<string, Tool>. */
export type ApprovalPredicate<I> = { check(args: I, ctx: { runId: string }): boolean }["check"];

export interface Tool<I = unknown, O = unknown> extends ToolOptions<I, O> {
  readonly [TOOL]: true;
}

/**
 * Defines a tool an agent can call. Each call is its own durable step.
 *
 * @example
 * const weather = tool({
 *   description: "Current weather for a city",
 *   input: z.object({ city: z.string() }),
 *   execute: async ({ city }) => fetchWeather(city),
 * });
 */
export function tool<I, O>(options: ToolOptions<I, O>): Tool<I, O> {
  if (typeof options?.description !== "string" || options.description === "") {
    throw new ConfigError(
      "tool(): a description is required (the model reads it to decide when to call the tool)",
    );
  }
  if (typeof options.input?.safeParse !== "function") {
    throw new ConfigError("tool(): `input` must be a zod schema, e.g. z.object({ city: z.string() })");
  }
  if (typeof options.execute !== "function") throw new ConfigError("tool(): `execute` must be a function");
  checkCredentials(options.credentials, "tool()");
  if (options.prepare !== undefined && typeof options.prepare !== "function")
    throw new ConfigError("tool(): `prepare` must be a function");
  return Object.freeze({ ...options, [TOOL]: true as const });
}

export function isTool(value: unknown): value is Tool {
  return typeof value === "object" && value !== null && TOOL in value;
}
