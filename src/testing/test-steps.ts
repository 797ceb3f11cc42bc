import type { ModelTurn } from "../agent/model-call.js";
import { modelTurnOf } from "../agent/run-usage.js";
import type { Usage } from "../agent/usage.js";
import type { SerializedError } from "../shared/serialized-error.js";
import type { Journal } from "../store/journal.js";
import type {
  ApprovalRecord,
  AttemptRecord,
  StepKind,
  StepRecord,
  StepStatus,
  WaitRecord,
} from "../store/records.js";

/** One step of a run, as a test reads it from the journal. */
export interface TestStep {
  /** The step's id: its name, with `#2`, `#3`… for repeats (`tool.post#2`). */
  id: string;
  /** The name given in the code (the id without its `#n`). */
  name: string;
  kind: StepKind;
  status: StepStatus;
  /** Position in the run, from 0. */
  position: number;
  /**
   * What the step was given, where the journal knows it: a tool call's arguments, a child run's
   * input, what a wait waits for (`{ until }`, `{ event, match, timeoutAt }`, an approval's
   * details). Undefined for `step.run`, whose body closes over its input.
   */
  input: unknown;
  /** The recorded result (undefined until the step completes). */
  output: unknown;
  error: SerializedError | null;
  /** Attempts made, from 1. */
  attempts: number;
  /** The attempts that failed (or were cut off by a crash) before the last one. */
  failedAttempts: AttemptRecord[];
  /** Tokens, for a model call (agent steps "model" and "turn"); null for other steps. */
  usage: Usage | null;
  /** USD for a model call with a known price; null otherwise. */
  cost: number | null;
  /** `provider:model` for a model call; null otherwise. */
  model: string | null;
  sideEffect: boolean;
  startedAt: number;
  endedAt: number | null;
}

/** Builds the test's view of a run's steps from its journal. */
export async function readSteps(journal: Journal, workspace: string, runId: string): Promise<TestStep[]> {
  const [steps, attempts, approvals] = await Promise.all([
    journal.loadSteps(workspace, runId),
    journal.loadAttempts(workspace, runId),
    journal.listApprovals(workspace, { runId, limit: 10_000 }),
  ]);
  const inputs = new ToolCallInputs(approvals);
  const out: TestStep[] = [];
  for (const s of steps) {
    const turn = modelTurnOf(s.output);
    if (turn !== undefined) inputs.turn(turn);
    const input = await stepInput(journal, workspace, s, inputs);
    out.push({
      id: s.stepId,
      name: s.stepId.replace(/#\d+$/, ""),
      kind: s.kind,
      status: s.status,
      position: s.seq,
      input,
      output: s.status === "completed" ? s.output : undefined,
      error: s.error,
      attempts: s.attempt,
      failedAttempts: attempts.filter((a) => a.stepId === s.stepId),
      usage: turn?.usage ?? null,
      cost: turn?.cost ?? null,
      model: turn?.model ?? null,
      sideEffect: s.sideEffect,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
    });
  }
  return out;
}

async function stepInput(
  journal: Journal,
  workspace: string,
  s: StepRecord,
  inputs: ToolCallInputs,
): Promise<unknown> {
  switch (s.kind) {
    case "sleep":
    case "event":
    case "approval":
    case "invoke": {
      const wait = await journal.getWait(workspace, s.runId, s.stepId);
      return wait === undefined ? undefined : waitInput(journal, workspace, s, wait, inputs);
    }
    case "start": {
      const childId = (s.output as { runId?: string } | undefined)?.runId;
      return childId === undefined ? undefined : (await journal.getRun(workspace, childId))?.input;
    }
    case "run":
      return s.stepId.startsWith("tool.") ? inputs.toolStep(s.stepId) : undefined;
    default:
      return undefined;
  }
}

async function waitInput(
  journal: Journal,
  workspace: string,
  s: StepRecord,
  wait: WaitRecord,
  inputs: ToolCallInputs,
): Promise<unknown> {
  switch (wait.kind) {
    case "sleep":
      return { until: wait.dueAt };
    case "event":
      return { event: wait.eventName, match: wait.match, timeoutAt: wait.dueAt };
    case "child":
      return wait.childRunId === null ? undefined : (await journal.getRun(workspace, wait.childRunId))?.input;
    case "approval":
      return inputs.approval(s.stepId)?.request;
  }
}

/**
 * Matches an agent's tool steps to the tool calls the model made: the calls of a turn are run in
 * order, each valid call as a `tool.<name>` step unless its approval was refused.
 */
class ToolCallInputs {
  private pending: { name: string; input: unknown }[] = [];
  private readonly byStep = new Map<string, ApprovalRecord>();
  private readonly approved = new Map<string, ApprovalRecord>();

  constructor(approvals: ApprovalRecord[]) {
    for (const a of approvals) this.byStep.set(a.stepId, a);
  }

  turn(turn: ModelTurn): void {
    this.pending = turn.toolCalls
      .filter((c) => c.invalid === undefined)
      .map((c) => ({ name: c.name, input: c.input }));
  }

  approval(stepId: string): ApprovalRecord | undefined {
    const a = this.byStep.get(stepId);
    if (a === undefined || !stepId.startsWith("approve.")) return a;
    const name = stepId.slice("approve.".length).replace(/#\d+$/, "");
    // A refused call runs no tool step: it is settled here. An approved one runs next.
    if (a.status === "approved") this.approved.set(name, a);
    else if (a.status !== "pending") this.take(name);
    return a;
  }

  toolStep(stepId: string): unknown {
    const name = stepId.slice("tool.".length).replace(/#\d+$/, "");
    const call = this.take(name);
    const edited = this.approved.get(name)?.editedArgs;
    this.approved.delete(name);
    return edited !== undefined && edited !== null ? edited : call?.input;
  }

  private take(name: string): { name: string; input: unknown } | undefined {
    const i = this.pending.findIndex((c) => c.name === name);
    return i < 0 ? undefined : this.pending.splice(i, 1)[0];
  }
}
