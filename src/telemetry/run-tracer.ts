import { randomBytes } from "node:crypto";
import type { Agent, AgentInput, AgentResult } from "../agent/agent.js";
import type { ModelSpec } from "../agent/models.js";
import type { Progress, ProgressListener } from "../engine/progress.js";
import type { Logger } from "../shared/logger.js";
import type { Journal } from "../store/journal.js";
import type { RunRecord, StepRecord } from "../store/records.js";
import { redactText } from "./redact.js";
import type { AttributeValue, SpanRecord, SpanSink } from "./span-record.js";
import { runSpanId, stepSpanId, traceIdOf } from "./span-record.js";
import type { RunFacts } from "./step-spans.js";
import { stepShape } from "./step-spans.js";

export interface RunTracerOptions {
  journal: Journal;
  workspace: string;
  /** Agents by name: their runs are `invoke_agent` spans and their steps GenAI calls. */
  agents: ReadonlyMap<string, Agent>;
  sink: SpanSink;
  logger: Logger;
  /** Export message contents, tool arguments and results (redacted). Default false. */
  content?: boolean;
  /** Values never exported, wherever they appear (see secretValues). */
  secrets?: readonly string[];
}

/** What the tracer holds about a run while one of its executions is in this process. */
interface RunState {
  run: RunRecord;
  facts: RunFacts;
  traceId: string;
  parentSpanId?: string;
  /** The journal's steps as the execution found them: what replayed steps return. */
  recorded: Map<string, StepRecord>;
  waitStarts: Map<string, number>;
  stepStarts: Map<string, number>;
}

/**
 * Turns what an engine reports (its progress events, backed by the journal) into spans: one per
 * run (`invoke_agent {name}` / `invoke_workflow {name}`, emitted when the run ends, from when it
 * first started), one per step attempt as it ends (`chat {model}`, `execute_tool {name}`,
 * `step {id}`). A replayed step emits nothing. Ids derive from run and step ids, so a run resumed
 * in another process continues its trace, and a child run nests under its parent's step.
 */
export class RunTracer {
  private readonly states = new Map<string, Promise<RunState | undefined>>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly roots = new Map<string, string>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: RunTracerOptions) {}

  readonly listener: ProgressListener = (p) => {
    const at = Date.now();
    const chain = (this.chains.get(p.runId) ?? Promise.resolve())
      .then(() => this.handle(p, at))
      .catch((err: unknown) =>
        this.options.logger.warn("a trace span could not be made; the run is not affected", {
          runId: p.runId,
          error: (err as Error).message,
        }),
      );
    this.chains.set(p.runId, chain);
    this.inFlight.add(chain);
    void chain.finally(() => {
      this.inFlight.delete(chain);
      if (this.chains.get(p.runId) === chain) this.chains.delete(p.runId);
    });
  };

  /** Resolves once every event so far has become a span (handed to the sink). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async handle(p: Progress, at: number): Promise<void> {
    if (p.type === "run.started") this.states.set(p.runId, this.load(p.runId));
    const state = await (this.states.get(p.runId) ?? this.remember(p.runId));
    if (state === undefined) return;
    switch (p.type) {
      case "step.started":
        state.stepStarts.set(p.stepId, at);
        return;
      case "step.waiting":
        state.waitStarts.set(p.stepId, at);
        return;
      case "step.replayed":
        // Nothing to emit; a replayed model call still names the tool calls that follow it.
        stepShape(state.facts, p.stepId, p.kind, state.recorded.get(p.stepId)?.output, () => undefined);
        return;
      case "step.ended": {
        const shape = stepShape(state.facts, p.stepId, p.kind, p.output, (v) => this.content(v));
        const start =
          p.kind === "run"
            ? at - p.durationMs
            : (state.waitStarts.get(p.stepId) ?? state.recorded.get(p.stepId)?.startedAt ?? at);
        this.emit(state, {
          spanId: stepSpanId(p.runId, p.stepId),
          parentSpanId: runSpanId(p.runId),
          name: shape.name,
          kind: shape.kind,
          start: Math.min(start, at),
          end: at,
          attributes: { ...shape.attributes, "cairn.run.id": p.runId, "cairn.step.attempt": p.attempt },
          ...(p.status === "failed" ? { error: p.error?.message ?? "failed" } : {}),
        });
        return;
      }
      case "step.retrying": {
        // A failed attempt: a span of its own, in error; the step's span is its last attempt's.
        const facts = { ...state.facts, pending: [...state.facts.pending] };
        const shape = stepShape(facts, p.stepId, "run", undefined, () => undefined);
        this.emit(state, {
          spanId: randomBytes(8).toString("hex"),
          parentSpanId: runSpanId(p.runId),
          name: shape.name,
          kind: shape.kind,
          start: state.stepStarts.get(p.stepId) ?? at,
          end: at,
          attributes: { ...shape.attributes, "cairn.run.id": p.runId, "cairn.step.attempt": p.attempt },
          error: p.error.message,
        });
        return;
      }
      case "run.ended":
        this.emit(state, this.runSpan(state, p, at));
        this.states.delete(p.runId);
        return;
      case "run.waiting":
      case "run.lease_lost":
      case "run.needs_attention":
      case "run.retrying":
        // This execution is over; the next one (here or elsewhere) starts from the journal.
        this.states.delete(p.runId);
        return;
      default:
        return;
    }
  }

  private remember(runId: string): Promise<RunState | undefined> {
    const loading = this.load(runId);
    this.states.set(runId, loading);
    return loading;
  }

  private async load(runId: string): Promise<RunState | undefined> {
    const { journal, workspace, agents } = this.options;
    const run = await journal.getRun(workspace, runId);
    if (run === undefined) return undefined;
    const steps = await journal.loadSteps(workspace, runId);
    const agent = agents.get(run.workflow);
    const input = (agent !== undefined ? run.input : undefined) as AgentInput | undefined;
    const model = input?.override?.model ?? (agent ? modelKey(agent.options.model) : undefined);
    const facts: RunFacts = {
      agent: agent !== undefined,
      workflow: run.workflow,
      ...(model !== undefined ? { model: normaliseKey(model) } : {}),
      ...(typeof input?.session === "string" ? { conversation: input.session } : {}),
      pending: [],
    };
    return {
      run,
      facts,
      traceId: traceIdOf(await this.rootOf(run.id, run.parentRunId)),
      ...(run.parentRunId !== null && run.parentStepId !== null
        ? { parentSpanId: stepSpanId(run.parentRunId, run.parentStepId) }
        : {}),
      recorded: new Map(steps.map((s) => [s.stepId, s])),
      waitStarts: new Map(),
      stepStarts: new Map(),
    };
  }

  /** The run at the top of `runId`'s tree of parents (remembered: it never changes). */
  private async rootOf(runId: string, parentRunId: string | null): Promise<string> {
    const known = this.roots.get(runId);
    if (known !== undefined) return known;
    let root = runId;
    let parent = parentRunId;
    while (parent !== null) {
      const up = this.roots.get(parent);
      if (up !== undefined) {
        root = up;
        break;
      }
      root = parent;
      parent =
        (await this.options.journal.getRunSummary(this.options.workspace, parent))?.parentRunId ?? null;
    }
    if (this.roots.size > 10_000) this.roots.clear();
    this.roots.set(runId, root);
    return root;
  }

  private runSpan(
    state: RunState,
    p: Extract<Progress, { type: "run.ended" }>,
    at: number,
  ): Omit<SpanRecord, "traceId"> {
    const { run, facts } = state;
    const agent = facts.agent;
    const attributes: Record<string, AttributeValue> = {
      "gen_ai.operation.name": agent ? "invoke_agent" : "invoke_workflow",
      "cairn.run.id": run.id,
      "cairn.workflow": run.workflow,
      "cairn.run.status": p.status,
    };
    if (agent) {
      attributes["gen_ai.agent.name"] = run.workflow;
      if (facts.model !== undefined) {
        const colon = facts.model.indexOf(":");
        attributes["gen_ai.provider.name"] = facts.model.slice(0, Math.max(colon, 0)) || facts.model;
        attributes["gen_ai.request.model"] = facts.model.slice(colon + 1);
      }
      if (facts.conversation !== undefined) attributes["gen_ai.conversation.id"] = facts.conversation;
      const result = p.output as AgentResult | undefined;
      if (result?.usage !== undefined) {
        attributes["gen_ai.usage.input_tokens"] = result.usage.input;
        attributes["gen_ai.usage.output_tokens"] = result.usage.output;
      }
      if (typeof result?.cost === "number") attributes["cairn.cost_usd"] = result.cost;
      const message = (run.input as AgentInput | undefined)?.message;
      const asked = this.content([{ role: "user", parts: [{ type: "text", content: message }] }]);
      if (asked !== undefined && typeof message === "string") attributes["gen_ai.input.messages"] = asked;
      const answer = this.content([{ role: "assistant", parts: [{ type: "text", content: result?.text }] }]);
      if (answer !== undefined && typeof result?.text === "string")
        attributes["gen_ai.output.messages"] = answer;
    } else attributes["gen_ai.workflow.name"] = run.workflow;
    if (run.forkedFrom !== null) {
      attributes["cairn.forked_from.run_id"] = run.forkedFrom.runId;
      attributes["cairn.forked_from.step_id"] = run.forkedFrom.stepId;
    }
    const start = run.startedAt ?? run.createdAt;
    return {
      spanId: runSpanId(run.id),
      ...(state.parentSpanId !== undefined ? { parentSpanId: state.parentSpanId } : {}),
      name: `${agent ? "invoke_agent" : "invoke_workflow"} ${run.workflow}`,
      kind: "internal",
      start: Math.min(start, at),
      end: at,
      attributes,
      ...(p.status === "failed" ? { error: p.error?.message ?? "failed" } : {}),
    };
  }

  private emit(state: RunState, span: Omit<SpanRecord, "traceId">): void {
    const secrets = this.options.secrets ?? [];
    const attributes: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(span.attributes)) {
      attributes[k] =
        typeof v === "string"
          ? redactText(v, secrets)
          : Array.isArray(v)
            ? v.map((s) => redactText(s, secrets))
            : v;
    }
    this.options.sink.emit({
      ...span,
      traceId: state.traceId,
      attributes,
      ...(span.error !== undefined ? { error: redactText(span.error, secrets) } : {}),
    });
  }

  /** A value as exported content (JSON), only when contents are on. */
  private content(value: unknown): string | undefined {
    if (!this.options.content || value === undefined) return undefined;
    return JSON.stringify(value);
  }
}

/** An agent's model as `provider:model` (models.ts resolves the same key). */
function modelKey(spec: ModelSpec): string {
  return typeof spec === "string" ? spec : `${spec.provider.split(".")[0]}:${spec.modelId}`;
}

function normaliseKey(spec: string): string {
  if (spec.startsWith("openai-chat:")) return `openai:${spec.slice("openai-chat:".length)}`;
  const compatible = /^openai-compatible:.*#(.+)$/.exec(spec);
  return compatible ? `openai-compatible:${compatible[1]}` : spec;
}
