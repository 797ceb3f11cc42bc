import { CairnError, ErrorCode, NonRetriableError } from "../shared/errors.js";
import { deserializeError } from "../shared/serialized-error.js";
import type { SerializedError } from "../shared/serialized-error.js";
import type { ApprovalRecord, StepKind, StepRecord } from "../store/records.js";
import { ChildRunError } from "./child-run-error.js";
import { never } from "./execution-scope.js";
import type { ReplayHistory } from "./replay-history.js";
import type { ApprovalResult, ReceivedEvent, Step } from "./step.js";

/**
 * The step API of a dry replay (`cairn check-replay`): every call is checked against the journal
 * as a real execution checks it, and answered from the journal; no step body runs, nothing is
 * written. A call past what the journal holds is where the run stands: it never settles.
 */
export class ReplaySteps {
  /** Step calls made so far: the replay is idle once this stops growing. */
  calls = 0;
  /** Calls answered by never settling: the frontier of the journal, or a step still in progress. */
  blocked = 0;
  /** Set when the code and the journal parted ways. */
  diverged: CairnError | undefined;

  constructor(private readonly history: ReplayHistory) {}

  api(): Step {
    const recorded = <T>(
      name: string,
      kind: StepKind,
      value: (rec: StepRecord) => Promise<T>,
    ): Promise<T> => {
      const rec = this.enter(name, kind);
      if (rec === null) return never();
      if (rec === undefined || rec.status !== "completed") {
        // A failed step.run rethrows its error, as a real replay does.
        if (rec?.status === "failed" && kind === "run")
          return Promise.reject(deserializeError(rec.error ?? { name: "Error", message: "step failed" }));
        this.blocked++;
        return never();
      }
      return value(rec);
    };
    const output = <T>(rec: StepRecord) => Promise.resolve(rec.output as T);
    return {
      run: <T>(name: string) => recorded<T>(name, "run", output),
      sleep: (name) => recorded(name, "sleep", () => Promise.resolve()),
      sleepUntil: (name) => recorded(name, "sleep", () => Promise.resolve()),
      waitForEvent: <T>(name: string) => recorded<ReceivedEvent<T> | null>(name, "event", output),
      sendEvent: (name) => recorded<{ eventId: string }>(name, "send", output),
      start: (name) => recorded<{ runId: string }>(name, "start", output),
      invoke: <_I, O>(name: string) => recorded<O>(name, "invoke", (rec) => childResult<O>(rec.output)),
      waitForApproval: (name) => recorded(name, "approval", (rec) => approvalResult(rec.output)),
      patched: (name) => this.patched(name),
    };
  }

  /** As InstantSteps.patched: the marker here means the new path, another step the old one. */
  private patched(name: string): Promise<boolean> {
    if (this.diverged) return never();
    this.calls++;
    const id = this.history.stepId(`patch:${name}`);
    const next = this.history.peek(id);
    if (next !== undefined && next.stepId !== id) return Promise.resolve(false);
    const rec = this.place(id, "patch");
    return rec === null ? never() : Promise.resolve(true);
  }

  /** Places a call; undefined past the journal, null when it diverged (the replay is over). */
  private enter(name: string, kind: StepKind): StepRecord | undefined | null {
    if (this.diverged) return null;
    this.calls++;
    let id: string;
    try {
      id = this.history.stepId(name);
    } catch (err) {
      this.diverged = err as CairnError;
      return null;
    }
    return this.place(id, kind);
  }

  private place(id: string, kind: StepKind): StepRecord | undefined | null {
    try {
      return this.history.place(id, kind).rec;
    } catch (err) {
      if (!CairnError.is(err, ErrorCode.NonDeterminism)) throw err;
      this.diverged = err;
      return null;
    }
  }
}

function childResult<O>(stored: unknown): Promise<O> {
  const c = stored as { childRunId: string; status: string; output: unknown; error: SerializedError | null };
  if (c.status === "completed") return Promise.resolve(c.output as O);
  return Promise.reject(new ChildRunError(c.childRunId, c.status, c.error));
}

function approvalResult(stored: unknown): Promise<ApprovalResult> {
  const a = stored as ApprovalRecord;
  if (a.status === "expired" && a.onTimeout?.action === "fail")
    return Promise.reject(
      new NonRetriableError(`approval ${a.id} ("${a.title}") expired without a decision`),
    );
  return Promise.resolve({
    approvalId: a.id,
    status: a.status === "approved" ? "approved" : a.status === "rejected" ? "rejected" : "expired",
    by: a.decidedBy,
    at: a.decidedAt,
    reason: a.reason,
    editedArgs: a.editedArgs ?? null,
  });
}
