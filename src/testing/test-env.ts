import type { Agent } from "../agent/agent.js";
import { isAgent } from "../agent/agent.js";
import { decideApproval } from "../agent/tool-approval.js";
import type { StartOptions } from "../engine/engine.js";
import { Engine } from "../engine/engine.js";
import type { EventToSend } from "../engine/step.js";
import type { UnrunnableRuns } from "../engine/unrunnable.js";
import { reportUnrunnable } from "../engine/unrunnable.js";
import { Worker } from "../engine/worker.js";
import type { Workflow } from "../engine/workflow.js";
import { ManualClock } from "../shared/clock.js";
import type { Duration } from "../shared/duration.js";
import { toMs } from "../shared/duration.js";
import { ConfigError, ErrorCode, InputError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { silentLogger } from "../shared/logger.js";
import type { Journal, SendEventResult } from "../store/journal.js";
import type { ApprovalRecord } from "../store/records.js";
import type { ApprovalTarget } from "./approval-target.js";
import { findApproval } from "./approval-target.js";
import { CrashSwitch } from "./crash-switch.js";
import { TestRun } from "./test-run.js";
import type { TestStore, TestStoreOption } from "./test-store.js";
import { openTestStore } from "./test-store.js";
import { travelTo } from "./time-travel.js";

export interface TestEnvOptions {
  workflows?: Workflow[];
  agents?: Agent[];
  /** "memory" (default: SQLite in memory), "file" (a temporary SQLite file) or a postgres:// URL. */
  store?: TestStoreOption;
  /** Where the test's clock starts. Default 2026-01-01T00:00:00Z. */
  now?: Date | number;
  /** Where the engine logs (default: nowhere). */
  logger?: Logger;
  /** Who decides approvals unless `by` is given. Default "tester". */
  approver?: string;
  /** Lease length of the simulated worker process. Default 30 s (of the test's clock). */
  leaseTtlMs?: number;
}

export interface TestStartOptions extends StartOptions {
  /** The worker process dies at this step (see TestEnv.crashAt). */
  crashAt?: string;
}

export interface DecideOptions {
  by?: string;
  reason?: string;
  /** Approve with changed arguments (checked against the tool's schema, for a tool call). */
  args?: unknown;
}

/**
 * Workflows and agents running in this process on a temporary store, with a clock that moves only
 * when the test says so. Every action (start, send, approve, advance, restart) runs what it made
 * runnable before it returns, so the test then reads a settled journal.
 */
export class TestEnv {
  readonly clock: ManualClock;
  readonly journal: Journal;
  readonly workspace: string;
  /** A `sqlite:`/`postgres://` URL of the store (a `:memory:` one is private to this process). */
  readonly storeUrl: string;
  private readonly crashes = new CrashSwitch();
  private workflowList: Workflow[];
  private agents: Map<string, Agent>;
  private current: { engine: Engine; worker: Worker };
  private processes = 0;

  /** @internal use createTestEnv */
  constructor(
    private readonly store: TestStore,
    clock: ManualClock,
    private readonly options: TestEnvOptions,
  ) {
    this.clock = clock;
    this.journal = this.crashes.wrap(store.journal);
    this.workspace = store.workspace;
    this.storeUrl = store.url;
    this.agents = new Map((options.agents ?? []).map((a) => [a.name, a]));
    this.workflowList = codeOf(options);
    this.current = this.newProcess();
  }

  /** The engine of the current (simulated) worker process. */
  get engine(): Engine {
    return this.current.engine;
  }

  private newProcess(): { engine: Engine; worker: Worker } {
    const engine = new Engine({
      journal: this.journal,
      workflows: this.workflowList,
      workspace: this.workspace,
      logger: this.options.logger ?? silentLogger,
      ownerId: `test-process-${++this.processes}`,
      ...(this.options.leaseTtlMs !== undefined ? { leaseTtlMs: this.options.leaseTtlMs } : {}),
    });
    return { engine, worker: new Worker(engine, { pollIntervalMs: 5 }) };
  }

  /** The test's clock, in ms since the epoch. */
  now(): number {
    return this.clock.now();
  }

  /** Starts a run of a workflow or an agent (an agent takes a message) and runs it as far as it goes. */
  async start<I, O>(
    target: Workflow<I, O> | Agent | string,
    input?: I | string,
    options: TestStartOptions = {},
  ): Promise<TestRun<O>> {
    const id = isAgent(target) ? target.name : typeof target === "string" ? target : target.id;
    const { crashAt, ...start } = options;
    const started = await this.engine.start(id, input ?? {}, start);
    if (crashAt !== undefined) this.crashAt(started.runId, crashAt);
    await this.drain();
    return this.run<O>(started.runId);
  }

  /** A run of this environment, to read and assert on. */
  run<O = unknown>(runId: string): TestRun<O> {
    return new TestRun<O>(this.journal, this.workspace, runId);
  }

  /**
   * Moves the clock forward by `duration` ("1d", "90m", ms), firing every timer that falls due on
   * the way in order: sleeps, event and approval timeouts, retry backoffs, approval expiries.
   * A step body's own `timeout` runs on real time, since the body really runs.
   */
  advance(duration: Duration): Promise<void> {
    return this.advanceTo(this.clock.now() + toMs(duration, "advance"));
  }

  /** Moves the clock forward to `time`, as advance does. */
  advanceTo(time: Date | number): Promise<void> {
    const target = typeof time === "number" ? time : time.getTime();
    if (target < this.clock.now())
      throw new InputError(ErrorCode.InvalidInput, "advanceTo: the test's clock cannot go back");
    return travelTo(this.journal, this.workspace, this.clock, target, () => this.drain());
  }

  /** Sends an event, then runs what it resumed or started. */
  async send(event: EventToSend): Promise<SendEventResult> {
    const result = await this.engine.send(event);
    await this.drain();
    return result;
  }

  /** Approves a pending request (by id, or by run and step name), then runs what it resumed. */
  approve(target: ApprovalTarget, options: DecideOptions = {}): Promise<ApprovalRecord> {
    return this.decide(target, true, options);
  }

  /** Rejects a pending request (by id, or by run and step name), then runs what it resumed. */
  reject(target: ApprovalTarget, options: Omit<DecideOptions, "args"> = {}): Promise<ApprovalRecord> {
    return this.decide(target, false, options);
  }

  private async decide(target: ApprovalTarget, approve: boolean, options: DecideOptions) {
    const approval = await findApproval(this.journal, this.workspace, target);
    const decided = await decideApproval(this.engine, this.agents, approval.id, {
      approve,
      by: options.by ?? this.options.approver ?? "tester",
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(options.args !== undefined ? { args: options.args } : {}),
    });
    await this.drain();
    return decided;
  }

  /**
   * The worker process dies the next time run `runId` reaches step `stepId`: by default while the
   * step runs (its body has run, its result is never recorded; a side-effecting step's intent is),
   * or with `after` right after its result is recorded. The run stays `running` under a dead
   * lease until `restart()` (a new process takes it over at once) or until its lease expires
   * (`advance` past the lease).
   */
  crashAt(runId: string, stepId: string, options: { after?: boolean } = {}): void {
    if (typeof stepId !== "string" || stepId === "")
      throw new InputError(ErrorCode.InvalidInput, "crashAt: name the step the process dies at");
    this.crashes.arm(runId, { stepId, after: options.after === true });
  }

  /** The crashes simulated so far. */
  get crashed(): readonly { runId: string; stepId: string }[] {
    return this.crashes.history;
  }

  /**
   * A new worker process starts (the old one is gone): it takes over at once the runs the old one
   * held, and runs everything runnable.
   */
  async restart(): Promise<void> {
    this.crashes.markDead(this.engine.owner);
    this.current = this.newProcess();
    await this.drain();
  }

  /**
   * Ships new code: the worker process stops and one with these workflows and agents starts,
   * reporting the runs it cannot execute (a workflow or version it lacks) as `cairn worker`
   * does, then runs everything runnable. Runs already in flight go on with the new code, as
   * they would after a real deploy: test a change with them before shipping it.
   */
  async deploy(code: Pick<TestEnvOptions, "workflows" | "agents">): Promise<UnrunnableRuns[]> {
    for (const a of code.agents ?? []) {
      if (!isAgent(a)) throw new ConfigError("deploy: every entry of agents must come from agent()");
    }
    this.agents = new Map((code.agents ?? []).map((a) => [a.name, a]));
    this.workflowList = codeOf(code);
    this.crashes.markDead(this.engine.owner);
    this.current = this.newProcess();
    const unrunnable = await reportUnrunnable(this.engine);
    await this.drain();
    return unrunnable;
  }

  /** Runs everything runnable now, until every run completes, fails or waits. */
  async drain(): Promise<void> {
    await this.current.worker.drain();
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

function codeOf(code: Pick<TestEnvOptions, "workflows" | "agents">): Workflow[] {
  return [...(code.workflows ?? []), ...(code.agents ?? []).map((a) => a.workflow as Workflow)];
}

/**
 * A test environment: the given workflows and agents, a temporary store and a manual clock.
 *
 * @example
 * const env = await createTestEnv({ workflows: [reminder] });
 * const run = await env.start(reminder, { to: "ada" });
 * await env.advance("1d");
 * expect(await run.result()).toEqual({ sent: true });
 * await env.close();
 */
export async function createTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  for (const a of options.agents ?? []) {
    if (!isAgent(a)) throw new ConfigError("createTestEnv: every entry of agents must come from agent()");
  }
  const clock = new ManualClock(options.now ?? Date.UTC(2026, 0, 1));
  const store = await openTestStore(options.store ?? "memory", clock);
  try {
    return new TestEnv(store, clock, options);
  } catch (err) {
    await store.close();
    throw err;
  }
}
