import type { RunDetail, RunEvent, Step } from "cairn-runtime/client";

/** What a model call recorded about itself (a model step's output, or a "turn" step's `turn`). */
export interface ModelTurn {
  text: string;
  toolCalls: { id: string; name: string; input: unknown }[];
  usage?: { input: number; output: number; cached?: number };
  model?: string;
  cost?: number | null;
  finishReason?: string;
}

/** Everything the waterfall and the conversation say about one step. */
export interface StepFacts {
  step: Step;
  /** The model call it made, for model and turn steps. */
  turn: ModelTurn | undefined;
  /** Tool outcomes a "turn" step ran inline (null: run after it as its own step). */
  outcomes: ({ ok: boolean; output?: unknown; error?: string } | null)[] | undefined;
  /** A tool step's arguments: the call the model made that this step carried out. */
  input: unknown;
  /** The tool a `tool.*` or `approve.*` step is about. */
  tool: string | undefined;
  /** Later executions of the run that served this step from the journal instead of running it. */
  replays: number;
  /** Reused from the run this one was forked from (not executed or paid for here). */
  reused: boolean;
  attempts: RunDetail["attempts"];
}

export function modelTurnOf(step: Step): ModelTurn | undefined {
  const out = step.output as Record<string, unknown> | undefined;
  if (!out || typeof out !== "object") return undefined;
  const candidate = (step.stepId.startsWith("turn") ? out.turn : out) as Record<string, unknown> | undefined;
  if (!candidate || typeof candidate !== "object") return undefined;
  if (typeof candidate.text !== "string" || !Array.isArray(candidate.toolCalls)) return undefined;
  return candidate as unknown as ModelTurn;
}

/** "tool.post#2" → { tool: "post", n: 2 }; also approve.*; undefined for other steps. */
export function toolStepName(stepId: string): { prefix: string; tool: string; n: number } | undefined {
  const m = /^(tool|approve)\.(.+?)(?:#(\d+))?$/.exec(stepId);
  if (!m) return undefined;
  return { prefix: m[1]!, tool: m[2]!, n: m[3] ? Number(m[3]) : 1 };
}

/**
 * The facts of each step. Tool arguments come from the model call that asked for them (the nth
 * call of a tool is its step `tool.NAME#n`); replays from the run's log: a step that had ended
 * before a later `run.started` was served from the journal by that execution.
 */
export function stepFacts(
  detail: RunDetail,
  entries: readonly RunEvent[],
  fork: { stepId: string | undefined } | undefined,
): StepFacts[] {
  const starts = entries.filter((e) => e.type === "run.started").map((e) => e.at);
  const steps = [...detail.steps].sort((a, b) => a.seq - b.seq);
  const forkSeq = fork?.stepId ? steps.find((s) => s.stepId === fork.stepId)?.seq : undefined;
  const calls = new ToolCalls();
  return steps.map((step) => {
    const turn = modelTurnOf(step);
    for (const call of turn?.toolCalls ?? []) calls.asked(call.name, call.input);
    const named = toolStepName(step.stepId);
    let input: unknown;
    if (named?.prefix === "approve") input = calls.decided(named.tool, step.output);
    else if (named?.prefix === "tool") input = calls.executed(named.tool);
    const endedAt = step.endedAt;
    const out = step.output as { outcomes?: StepFacts["outcomes"] } | undefined;
    const reused = fork !== undefined && forkSeq !== undefined && step.seq < forkSeq;
    return {
      step,
      turn,
      outcomes: step.stepId.startsWith("turn") ? out?.outcomes : undefined,
      input,
      tool: named?.tool,
      // A reused step ended in the original run: this run never executed it, replayed or not.
      replays: reused || endedAt === null ? 0 : starts.filter((at) => at > endedAt).length,
      reused,
      attempts: detail.attempts.filter((a) => a.stepId === step.stepId),
    };
  });
}

/**
 * Which call a tool step carried out. Approvals are numbered per call (`approve.post#2` decides
 * the second call of post) but tool steps per execution: a rejected call has no tool step, and an
 * approval may have edited the arguments.
 */
class ToolCalls {
  private readonly calls = new Map<string, { input: unknown; runs: boolean }[]>();
  private readonly approvedUpTo = new Map<string, number>();
  private readonly executedUpTo = new Map<string, number>();

  asked(tool: string, input: unknown): void {
    const list = this.calls.get(tool) ?? [];
    list.push({ input, runs: true });
    this.calls.set(tool, list);
  }

  /** An approval step of `tool` (its output is the decided approval): the arguments it was about. */
  decided(tool: string, output: unknown): unknown {
    const i = this.approvedUpTo.get(tool) ?? 0;
    this.approvedUpTo.set(tool, i + 1);
    const call = this.calls.get(tool)?.[i];
    const a = output as { status?: string; editedArgs?: unknown; request?: { args?: unknown } } | undefined;
    if (call && a?.status && a.status !== "approved") call.runs = false;
    if (call && a?.editedArgs !== undefined && a.editedArgs !== null) call.input = a.editedArgs;
    return a?.request?.args ?? call?.input;
  }

  executed(tool: string): unknown {
    const list = this.calls.get(tool) ?? [];
    let i = this.executedUpTo.get(tool) ?? 0;
    while (i < list.length && !list[i]!.runs) i++;
    this.executedUpTo.set(tool, i + 1);
    return list[i]?.input;
  }
}

/** Data URLs of images anywhere in a value (a tool's result): what the dashboard can show. */
export function imagesIn(value: unknown, found: string[] = [], depth = 0): string[] {
  if (depth > 6 || found.length >= 8) return found;
  if (typeof value === "string") {
    if (/^data:image\/(png|jpeg|gif|webp|svg\+xml);/.test(value)) found.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) imagesIn(v, found, depth + 1);
  } else if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>;
    // The AI SDK's image parts: { type: "image", data: base64, mediaType }.
    if (o.type === "image" && typeof o.data === "string" && typeof o.mediaType === "string")
      found.push(`data:${o.mediaType};base64,${o.data}`);
    else for (const v of Object.values(o)) imagesIn(v, found, depth + 1);
  }
  return found;
}

/** A result as text without the (long) data of the images it holds: those are shown as images. */
export function withoutImages(value: unknown): unknown {
  if (typeof value === "string" && value.startsWith("data:image/"))
    return `[image, ${value.length} characters]`;
  if (Array.isArray(value)) return value.map(withoutImages);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutImages(v)]));
  return value;
}
