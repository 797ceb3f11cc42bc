import { afterEach, beforeEach, expect } from "vitest";
import { ManualClock } from "../../../src/shared/clock.js";
import { CairnError } from "../../../src/shared/errors.js";
import { newId } from "../../../src/shared/ids.js";
import { encodePayload } from "../../../src/shared/payload.js";
import type { SerializedError } from "../../../src/shared/serialized-error.js";
import type { ClaimRequest, Journal, StepCommit } from "../../../src/store/journal.js";
import type { Lease, NewRun, RunSummary } from "../../../src/store/records.js";

/** Builds a fresh, empty journal on `clock`; `close` releases everything it holds. */
export type MakeJournal = (clock: ManualClock) => Promise<{ journal: Journal; close(): Promise<void> }>;

export const WS = "default";
export const WF = "wf";
export const TTL = 30_000;

/** What every conformance test gets: a fresh journal on a manual clock, and small builders. */
export class Ctx {
  constructor(
    readonly journal: Journal,
    readonly clock: ManualClock,
  ) {}

  newRun(overrides: Partial<NewRun> & { data?: unknown } = {}): NewRun {
    const { data = { n: 1 }, ...rest } = overrides;
    return { id: newId("run"), workspace: WS, workflow: WF, input: encodePayload(data, "input"), ...rest };
  }

  async create(overrides: Partial<NewRun> & { data?: unknown } = {}): Promise<RunSummary> {
    const result = await this.journal.createRun(this.newRun(overrides));
    return result.run;
  }

  request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
    return { workspace: WS, owner: "owner-a", ttlMs: TTL, limit: 10, workflows: [WF], ...overrides };
  }

  claim(overrides: Partial<ClaimRequest> = {}): Promise<Lease[]> {
    return this.journal.claimRuns(this.request(overrides));
  }

  /** Claims one given run; fails the test when it is not claimable. */
  async claimOne(runId: string, overrides: Partial<ClaimRequest> = {}): Promise<Lease> {
    const lease = await this.journal.claimRun(this.request(overrides), runId);
    expect(lease, `run ${runId} should be claimable`).toBeDefined();
    return lease!;
  }

  /** Creates a run and claims it. */
  async started(overrides: Partial<NewRun> & { data?: unknown } = {}, owner = "owner-a"): Promise<Lease> {
    const run = await this.create(overrides);
    return this.claimOne(run.id, { owner, workflows: [run.workflow], workspace: run.workspace });
  }

  /** A completed (or failed) step commit. */
  step(stepId: string, seq: number, output: unknown, extra: Partial<StepCommit> = {}): StepCommit {
    const now = this.clock.now();
    return {
      stepId,
      seq,
      kind: "run",
      attempt: 1,
      startedAt: now,
      sideEffect: false,
      status: "completed",
      ...(output === undefined ? {} : { output: encodePayload(output, `step ${stepId}`) }),
      endedAt: now,
      ...extra,
    };
  }

  /** Whether a run can be claimed right now (claims it with a throwaway owner when it can). */
  async claimable(runId: string, workflow = WF, workspace = WS): Promise<boolean> {
    const lease = await this.journal.claimRun(
      this.request({ owner: "probe", workflows: [workflow], workspace }),
      runId,
    );
    return lease !== undefined;
  }

  async status(runId: string, workspace = WS): Promise<string | undefined> {
    return (await this.journal.getRunSummary(workspace, runId))?.status;
  }
}

export function error(message: string, code?: string): SerializedError {
  return { name: "Error", message, ...(code ? { code } : {}) };
}

/** Gives each test its own journal and clock. */
export function useJournal(makeJournal: MakeJournal): () => Ctx {
  let ctx: Ctx | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const clock = new ManualClock();
    const made = await makeJournal(clock);
    ctx = new Ctx(made.journal, clock);
    close = () => made.close();
  });
  afterEach(async () => {
    await close?.();
    ctx = undefined;
    close = undefined;
  });
  return () => {
    if (ctx === undefined) throw new Error("the journal is only available inside a test");
    return ctx;
  };
}

/** Asserts the promise rejects with a Cairn error of `code` and returns it. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<CairnError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected an error with code ${code}`).toBeDefined();
  if (!CairnError.is(caught, code)) {
    throw new Error(
      `expected code ${code}, got ${String((caught as { code?: unknown }).code)}: ${String(caught)}`,
    );
  }
  return caught;
}
