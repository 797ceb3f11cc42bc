import type { SerializedError } from "../shared/serialized-error.js";
import type { WaitOutcome } from "./journal.js";
import type { ApprovalRecord, EventRecord, RunStatus } from "./records.js";
import type { RunRow, StepRow } from "./sqlite/rows.js";
import { parseJsonColumn } from "./sqlite/rows.js";

/** A settled wait: what the step returns, and the JSON its row records as the step's result. */
export interface SettledWait {
  outcome: WaitOutcome;
  text: string;
}

export function approvalSettled(approval: ApprovalRecord): SettledWait {
  return { outcome: { status: "approval", approval }, text: JSON.stringify(approval) };
}

export function eventSettled(event: EventRecord): SettledWait {
  return {
    outcome: { status: "event", event },
    text: JSON.stringify({ id: event.id, name: event.name, data: event.data, at: event.at }),
  };
}

/** A child run that ended, with its decoded output. */
export function childSettled(child: RunRow, output: unknown): SettledWait {
  const error = parseJsonColumn<SerializedError>(child.error_json, `run ${child.id} error`);
  return {
    outcome: { status: "child", childRunId: child.id, childStatus: child.status as RunStatus, output, error },
    text: JSON.stringify({ childRunId: child.id, status: child.status, output, error }),
  };
}

export const TIMED_OUT: SettledWait = { outcome: { status: "timeout" }, text: "null" };

/** The `step.ended` entry of a wait's step, settled at `now`. */
export function waitEndedData(step: StepRow, now: number, outcome: WaitOutcome): Record<string, unknown> {
  return {
    kind: step.kind,
    status: "completed",
    attempt: step.attempt,
    durationMs: now - step.started_at,
    outcome: outcome.status,
  };
}
