import { CairnError, ErrorCode, InputError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Logger } from "../shared/logger.js";
import { stderrLogger } from "../shared/logger.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, encodePayload } from "../shared/payload.js";
import type { Journal, SendEventResult } from "../store/journal.js";
import type { ApprovalRecord, JournalEntry, Lease, NewRun, RunStatus } from "../store/records.js";
import { reservedEventError } from "./event-names.js";
import { triggeredRuns } from "./event-triggers.js";
import type { ForkOptions } from "./fork.js";
import { cancelRuns } from "./cancel-runs.js";
import { forkRun } from "./fork.js";
import { newOwnerId } from "./owner.js";
import type { Progress, ProgressListener } from "./progress.js";
import type { ExecutionEnv, ExecutionOutcome } from "./run-execution.js";
import { RunExecutor } from "./run-executor.js";
import type { EventToSend } from "./step.js";
import type { Workflow } from "./workflow.js";
import type { FollowOptions } from "./run-log.js";
import { followRunLog } from "./run-log.js";
import { RunHandle } from "./run-result.js";
import type { RunSummary } from "../store/records.js";
import { WorkflowRegistry } from "./workflow-registry.js";

export interface EngineOptions {
  journal: Journal;
  workflows: readonly Workflow[];
  /** The tenant every run of this engine belongs to. Default "default". */
  workspace?: string;
  logger?: Logger;
  /** How long a claim lasts without a heartbeat. Default 30 s. */
  leaseTtlMs?: number;
  /** Largest payload (step result, input, event data) stored. Default 256 MiB. */
  maxPayloadBytes?: number;
  /** A run that stores more than this gets a `run.storage_warning` in its log. Default 1 GiB. */
  runStorageBudgetBytes?: number;
  /** Lease owner id; default names this host and process so a dead process is noticed at once. */
  ownerId?: string;
}

export interface StartOptions {
  /** Starting twice with the same key returns the first run. */
  idempotencyKey?: string;
  /** Do not start before this time. */
  runAt?: Date | number;
  /**
   * A run with a singleton key waits for the runs of its key in flight, whatever the workflow's
   * singleton mode (an agent session's message that came too late to steer the run in flight).
   * @internal
   */
  queueBehind?: boolean;
}

export interface ApprovalDecisionInput {
  approve: boolean;
  /** Who decides; checked against the request's approvers. */
  by: string;
  reason?: string;
  /** Arguments to use instead of the requested ones. */
  editedArgs?: unknown;
  /** The argument hash the decider was shown. */
  expectArgsHash?: string;
}

export interface StartResult {
  runId: string;
  /** False when an idempotency key or a skip-singleton returned an existing run. */
  created: boolean;
  status: RunStatus;
}

/** What `start` returns: the run, and `result()` to wait for it. */
export type StartedRun = StartResult & RunHandle;

/**
 * The durable engine: starts runs, sends events, and executes runs it claims from the journal.
 * It holds no run state of its own between executions: everything lives in the journal.
 */
export class Engine {
  readonly journal: Journal;
  readonly workspace: string;
  readonly owner: string;
  readonly logger: Logger;
  readonly leaseTtlMs: number;
  private readonly registry: WorkflowRegistry;
  private readonly listeners = new Set<ProgressListener>();
  private readonly wakers = new Set<() => void>();
  private readonly env: ExecutionEnv;
  private readonly options: EngineOptions;
  private readonly others = new Map<string, Engine>();
  private readonly executor: RunExecutor;

  constructor(options: EngineOptions) {
    this.options = options;
    this.journal = options.journal;
    this.workspace = options.workspace ?? "default";
    this.owner = options.ownerId ?? newOwnerId();
    this.logger = options.logger ?? stderrLogger("warn");
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.registry = new WorkflowRegistry(options.workflows);
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.env = {
      journal: this.journal,
      logger: this.logger,
      maxPayloadBytes,
      runStorageBudgetBytes: options.runStorageBudgetBytes ?? 1024 * 1024 * 1024,
      emit: (p) => this.emit(p),
      resolveWorkflow: (id) => this.workflow(id),
      newRun: (wf, input, extra) => this.newRun(wf, input, extra),
      triggersFor: (name, data, eventId) => this.triggersFor(name, data, eventId),
    };
    this.executor = new RunExecutor({
      journal: this.journal,
      workspace: this.workspace,
      owner: this.owner,
      logger: this.logger,
      leaseTtlMs: this.leaseTtlMs,
      env: this.env,
      workflowIds: () => this.registry.ids,
      versions: () => this.registry.pinnedKeys,
      codeFor: (run) => this.codeFor(run),
    });
  }

  /**
   * The same engine (journal, workflows, settings) for another workspace: how the HTTP server
   * serves each API key's workspace. This engine for its own.
   */
  forWorkspace(workspace: string): Engine {
    if (workspace === this.workspace) return this;
    let other = this.others.get(workspace);
    if (other === undefined) {
      other = new Engine({ ...this.options, workspace, ownerId: this.owner });
      this.others.set(workspace, other);
    }
    return other;
  }

  get workflows(): Workflow[] {
    return this.registry.all;
  }

  /** The workflow with this id (the definition new runs start on); a NotFoundError lists the known ones. */
  workflow(id: string): Workflow {
    return this.registry.get(id);
  }

  /** The definition a run executes on, or the error saying this engine lacks its version. */
  private codeFor(run: { workflow: string; version: string | null }): Workflow | Error {
    try {
      return this.registry.forRun(run);
    } catch (err) {
      if (CairnError.is(err, ErrorCode.UnknownVersion)) return err;
      throw err;
    }
  }

  /** The workflows and versions this engine has; see WorkflowRegistry. */
  get versions(): WorkflowRegistry {
    return this.registry;
  }

  /** Listens to what this engine does, as it happens. Returns a function that stops listening. */
  on(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called when this engine made work runnable (a start, an event, a decision), so a worker in
   * the same process claims it at once instead of at its next poll. Returns an unsubscribe.
   * @internal
   */
  onRunnable(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }

  private runnable<T>(result: T): T {
    for (const wake of this.wakers) wake();
    return result;
  }

  private emit(p: Progress): void {
    for (const l of this.listeners) {
      try {
        l(p);
      } catch (err) {
        this.logger.warn("a progress listener threw", { error: (err as Error).message });
      }
    }
  }

  // ── starting work ─────────────────────────────────────────────────────────────────────────

  /**
   * Creates a run of `workflow` (queued: a worker, `executeRun` or `cairn run` executes it) and
   * returns a handle whose `result()` waits for it to end. Throws InputError for an unknown
   * workflow or input that fails the workflow's schema.
   */
  async start(
    workflow: Workflow | string,
    input: unknown = {},
    options: StartOptions = {},
  ): Promise<StartedRun> {
    const wf = this.workflow(typeof workflow === "string" ? workflow : workflow.id);
    const run = this.newRun(wf, input, {
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(options.runAt !== undefined
        ? { runAt: typeof options.runAt === "number" ? options.runAt : options.runAt.getTime() }
        : {}),
    });
    if (options.queueBehind && run.singleton) run.singleton = { ...run.singleton, mode: "queue" };
    const result = await this.journal.createRun(run);
    return this.runnable(
      new RunHandle(this.journal, this.workspace, result.run.id, result.created, result.run.status),
    );
  }

  /** The run of `workflow` started with this idempotency key, if any. */
  async findRun(workflow: Workflow | string, idempotencyKey: string): Promise<RunSummary | undefined> {
    const id = typeof workflow === "string" ? workflow : workflow.id;
    return (await this.journal.listRuns(this.workspace, { workflow: id, idempotencyKey, limit: 1 }))[0];
  }

  private newRun(wf: Workflow, input: unknown, extra: Partial<NewRun>): NewRun {
    let parsed = input;
    if (wf.options.input) {
      try {
        parsed = wf.options.input.parse(input);
      } catch (cause) {
        throw new InputError(
          ErrorCode.InvalidInput,
          `input for workflow "${wf.id}" is not valid: ${(cause as Error).message}`,
          { cause },
        );
      }
    }
    const run: NewRun = {
      id: newId("run"),
      workspace: this.workspace,
      workflow: wf.id,
      input: encodePayload(parsed, `input of workflow "${wf.id}"`, this.env.maxPayloadBytes),
      version: wf.version,
      ...extra,
    };
    const key = (what: string, compute: () => string) => {
      try {
        const k = compute();
        if (typeof k !== "string") throw new Error(`returned ${typeof k}, not a string`);
        return k;
      } catch (cause) {
        throw new InputError(
          ErrorCode.InvalidInput,
          `workflow "${wf.id}": the ${what} key function failed: ${(cause as Error).message}`,
          { cause },
        );
      }
    };
    const { concurrency, singleton } = wf.options;
    if (concurrency) {
      const k = concurrency.key ? key("concurrency", () => concurrency.key!(parsed)) : "";
      run.concurrency = { key: `${wf.id}:${k}`, limit: concurrency.limit };
    }
    if (singleton) {
      run.singleton = { key: key("singleton", () => singleton.key(parsed)), mode: singleton.mode };
    }
    return run;
  }

  private triggersFor(eventName: string, data: unknown, eventId: string): NewRun[] {
    const newRun = (wf: Workflow, input: unknown, extra: Partial<NewRun>) => this.newRun(wf, input, extra);
    return triggeredRuns(this.registry.all, { name: eventName, id: eventId, data }, newRun, this.workspace);
  }

  /** Stores an event: resumes the runs waiting for it and starts the workflows it triggers. */
  send(event: EventToSend): Promise<SendEventResult> {
    if (typeof event?.name !== "string" || event.name === "") {
      return Promise.reject(new InputError(ErrorCode.InvalidInput, "an event needs a non-empty name"));
    }
    const reserved = reservedEventError(event.name);
    if (reserved !== undefined) return Promise.reject(reserved);
    const id = event.id ?? newId("evt");
    const data = encodePayload(event.data ?? null, `data of event "${event.name}"`, this.env.maxPayloadBytes);
    return this.journal
      .sendEvent(
        this.workspace,
        { id, name: event.name, data },
        this.triggersFor(event.name, event.data ?? null, id),
      )
      .then((r) => this.runnable(r));
  }

  /**
   * A run's log as it grows, from whichever process executes it: entries as they are written,
   * then the run's final status. See `FollowOptions`.
   */
  follow(runId: string, options: FollowOptions = {}): AsyncGenerator<JournalEntry, RunStatus | undefined> {
    return followRunLog(this.journal, this.workspace, runId, options);
  }

  /**
   * Reruns `runId` from a step, with changes: a new run that reuses the journal before
   * `options.from` and executes from there (see fork.ts). The original is untouched.
   */
  async fork(runId: string, options: ForkOptions): Promise<RunSummary> {
    const env = { ...this.env, workspace: this.workspace, workflow: (id: string) => this.workflow(id) };
    return this.runnable(await forkRun(env, runId, options));
  }

  /** Cancels a run (and its children): at once when not running, else at its next step. */
  cancel(runId: string, reason = "cancelled by request"): Promise<RunStatus> {
    return cancelRuns(this.journal, this.workspace, runId, reason, (p) => this.emit(p));
  }

  /**
   * Records a person's decision on a pending approval and wakes its run. Refused (with a clear
   * error) when already decided, expired, not this person's to decide, or no longer showing the
   * arguments the decider saw. Callers that edit arguments validate them first.
   */
  decide(approvalId: string, decision: ApprovalDecisionInput): Promise<ApprovalRecord> {
    if (typeof decision.by !== "string" || decision.by === "") {
      return Promise.reject(
        new InputError(ErrorCode.InvalidInput, "a decision needs the name of who decides (by)"),
      );
    }
    const eventId = `${approvalId}:decided`;
    const data = {
      event: "approval.decided",
      approvalId,
      approve: decision.approve,
      by: decision.by,
      reason: decision.reason ?? null,
    };
    const decided = this.journal.decideApproval(this.workspace, approvalId, {
      approve: decision.approve,
      by: decision.by,
      ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
      ...(decision.editedArgs !== undefined
        ? {
            editedArgs: encodePayload(
              decision.editedArgs,
              `edited arguments for approval ${approvalId}`,
              this.env.maxPayloadBytes,
            ),
          }
        : {}),
      ...(decision.expectArgsHash !== undefined ? { expectArgsHash: decision.expectArgsHash } : {}),
      notify: {
        event: { id: eventId, name: "approval.decided", data: encodePayload(data, "approval.decided") },
        triggers: this.triggersFor("approval.decided", data, eventId),
      },
    });
    return decided.then((a) => this.runnable(a));
  }

  /** For a run needing attention: run the interrupted step again with the same idempotency key. */
  retryStep(runId: string, stepId: string): Promise<void> {
    return this.journal.resolveAttention(this.workspace, runId, stepId, { action: "retry" });
  }

  /** For a run needing attention: record `output` as the interrupted step's result and go on. */
  skipStep(runId: string, stepId: string, output: unknown = null): Promise<void> {
    return this.journal.resolveAttention(this.workspace, runId, stepId, {
      action: "skip",
      output: encodePayload(output, `output for skipped step "${stepId}"`, this.env.maxPayloadBytes),
    });
  }

  // ── executing work ────────────────────────────────────────────────────────────────────────

  /** Claims up to `limit` runnable runs: due ones, and those whose worker died or lost its lease. */
  claim(limit: number): Promise<Lease[]> {
    return this.executor.claim(limit);
  }

  /** Claims one given run if it is runnable now. */
  claimRun(runId: string): Promise<Lease | undefined> {
    return this.executor.claimRun(runId);
  }

  /**
   * Executes a claimed run until it completes, fails, or must wait. Never throws: the run's own
   * failures are recorded; a store failure stops the execution and hands the run back.
   */
  execute(lease: Lease, options: { shutdown?: AbortSignal } = {}): Promise<ExecutionOutcome> {
    return this.executor.execute(lease, options);
  }
}
