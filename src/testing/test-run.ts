import type { RunUsage } from "../agent/run-usage.js";
import { runUsage } from "../agent/run-usage.js";
import { runOutcome } from "../engine/run-result.js";
import { CairnError, ErrorCode, NotFoundError } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import type { ApprovalRecord, JournalEntry, RunRecord, RunStatus } from "../store/records.js";
import { isTerminal } from "../store/records.js";
import type { TestStep } from "./test-steps.js";
import { readSteps } from "./test-steps.js";

/**
 * A run in a test environment, read from the journal each time it is asked: its status, result,
 * steps, approvals, log and usage.
 */
export class TestRun<O = unknown> {
  constructor(
    private readonly journal: Journal,
    private readonly workspace: string,
    readonly id: string,
  ) {}

  /** The run with its input and output; throws for a run that does not exist. */
  async record(): Promise<RunRecord> {
    const run = await this.journal.getRun(this.workspace, this.id);
    if (run === undefined)
      throw new NotFoundError(
        ErrorCode.RunNotFound,
        `run ${this.id} does not exist in this test environment`,
      );
    return run;
  }

  async status(): Promise<RunStatus> {
    return (await this.record()).status;
  }

  /**
   * The run's output once it completed; its error, thrown, when it failed. A run that has not
   * ended throws an error saying what it waits for, never hangs.
   */
  async result(): Promise<O> {
    const run = await this.record();
    if (!isTerminal(run.status)) {
      throw new CairnError(
        ErrorCode.WaitTimeout,
        `run ${this.id} has not ended: it is ${run.status}${run.reason ? ` (${run.reason})` : ""}. ` +
          `Advance time (env.advance), send the event it waits for (env.send), or decide its approval (env.approve).`,
      );
    }
    return runOutcome<O>(run);
  }

  /** Its steps in the order the code took them. */
  steps(): Promise<TestStep[]> {
    return readSteps(this.journal, this.workspace, this.id);
  }

  /** One step by id (`"charge"`, `"tool.post#2"`); throws naming the steps there are. */
  async step(id: string): Promise<TestStep> {
    const steps = await this.steps();
    const found = steps.find((s) => s.id === id);
    if (found === undefined) {
      throw new NotFoundError(
        ErrorCode.StepNotFound,
        `run ${this.id} has no step "${id}"; its steps: ${steps.map((s) => s.id).join(", ") || "none yet"}`,
      );
    }
    return found;
  }

  approvals(): Promise<ApprovalRecord[]> {
    return this.journal.listApprovals(this.workspace, { runId: this.id, limit: 10_000 });
  }

  /** The run's log: what streams and traces show. */
  log(): Promise<JournalEntry[]> {
    return this.journal.readEntries(this.workspace, this.id);
  }

  /** Tokens, cost and model calls, this run's and its sub-agents'. */
  usage(): Promise<RunUsage> {
    return runUsage(this.journal, this.workspace, this.id);
  }

  /** Runs this one started (child workflows, sub-agents). */
  async children(): Promise<TestRun[]> {
    const runs = await this.journal.listRuns(this.workspace, { parentRunId: this.id, limit: 10_000 });
    return runs.reverse().map((r) => new TestRun(this.journal, this.workspace, r.id));
  }
}
