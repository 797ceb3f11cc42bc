import { createHash } from "node:crypto";
import { CairnError, ErrorCode, NonRetriableError } from "../shared/errors.js";
import type { Duration } from "../shared/duration.js";
import { toMs, toTime } from "../shared/duration.js";
import { encodePayload } from "../shared/payload.js";
import type { SerializedError } from "../shared/serialized-error.js";
import { invalidMatch, matchProblem } from "../store/event-match.js";
import type { Journal, WaitOutcome } from "../store/journal.js";
import type { ApprovalRecord, ApprovalTimeoutPolicy, StepKind, StepRecord } from "../store/records.js";
import { ChildRunError } from "./child-run-error.js";
import type { ExecutionScope } from "./execution-scope.js";
import type { ApprovalResult, ReceivedEvent, WaitForApprovalOptions, WaitForEventOptions } from "./step.js";
import type { Workflow } from "./workflow.js";

/**
 * Steps that wait: a sleep, an event, a child run's result, a person's approval. A wait is
 * registered in the journal once; until it can be settled the step blocks, and the run is
 * suspended once nothing else is in flight.
 */
export class WaitSteps {
  constructor(private readonly scope: ExecutionScope) {}

  sleep(name: string, when: { duration?: Duration; until?: Date | number | string }): Promise<void> {
    const { id, seq, rec } = this.scope.enter(name, "sleep");
    if (rec?.status === "completed") {
      this.scope.replayed(id, "sleep");
      return Promise.resolve();
    }
    // A time no store or timer can hold is the caller's error, found when the step is called.
    let dueAt: (now: number) => number;
    try {
      if (when.until !== undefined) {
        const until = toTime(when.until, `step "${id}" sleepUntil`);
        dueAt = () => until;
      } else {
        const ms = toMs(when.duration ?? 0, `step "${id}" duration`);
        dueAt = (now) => now + ms;
      }
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.scope.track((release) =>
      this.awaitWait(id, seq, rec, "sleep", release, async (now) => ({
        kind: "sleep",
        dueAt: dueAt(now),
      })).then(() => undefined),
    );
  }

  waitForEvent<T>(name: string, options: WaitForEventOptions): Promise<ReceivedEvent<T> | null> {
    const { id, seq, rec } = this.scope.enter(name, "event");
    if (rec?.status === "completed") {
      this.scope.replayed(id, "event");
      return Promise.resolve(rec.output as ReceivedEvent<T> | null);
    }
    if (typeof options?.event !== "string" || options.event === "") {
      return Promise.reject(
        new CairnError(ErrorCode.InvalidInput, `step "${id}": waitForEvent needs an event name`),
      );
    }
    // A bad match value would be dropped when stored, turning its key into a wildcard.
    const problem = options.match === undefined ? undefined : matchProblem(options.match);
    if (problem !== undefined) return Promise.reject(invalidMatch(`step "${id}" waitForEvent`, problem));
    let timeoutMs: number | undefined;
    try {
      timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, `step "${id}" timeout`);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.scope.track((release) =>
      this.awaitWait(id, seq, rec, "event", release, async (now) => ({
        kind: "event",
        eventName: options.event,
        ...(options.match !== undefined ? { match: options.match } : {}),
        ...(timeoutMs !== undefined ? { dueAt: now + timeoutMs } : {}),
      })).then((o) =>
        o.status === "event"
          ? { id: o.event.id, name: o.event.name, data: o.event.data as T, at: o.event.at }
          : null,
      ),
    );
  }

  invoke<O>(name: string, target: Workflow | string, input: unknown): Promise<O> {
    const { env, run, ws } = this.scope;
    const { id, seq, rec } = this.scope.enter(name, "invoke");
    if (rec?.status === "completed") {
      this.scope.replayed(id, "invoke");
      return childResult<O>(rec.output as StoredChild);
    }
    const wf = typeof target === "string" ? env.resolveWorkflow(target) : env.resolveWorkflow(target.id);
    return this.scope
      .track((release) =>
        this.awaitWait(id, seq, rec, "invoke", release, async () => ({
          kind: "child",
          child: env.newRun(wf, input, {
            workspace: ws,
            parentRunId: run.id,
            parentStepId: id,
            idempotencyKey: `${run.id}:${id}`,
          }),
        })),
      )
      .then((o) => {
        if (o.status !== "child")
          throw new CairnError(ErrorCode.Internal, `step "${id}": expected a child run result`);
        return childResult<O>({
          childRunId: o.childRunId,
          status: o.childStatus,
          output: o.output,
          error: o.error,
        });
      });
  }

  approval(name: string, options: WaitForApprovalOptions): Promise<ApprovalResult> {
    const { env, run } = this.scope;
    const { id, seq, rec } = this.scope.enter(name, "approval");
    const toResult = (a: ApprovalRecord): ApprovalResult => {
      if (a.status === "expired" && a.onTimeout?.action === "fail") {
        throw new NonRetriableError(`approval ${a.id} ("${a.title}") expired without a decision`);
      }
      return {
        approvalId: a.id,
        status: a.status === "approved" ? "approved" : a.status === "rejected" ? "rejected" : "expired",
        by: a.decidedBy,
        at: a.decidedAt,
        reason: a.reason,
        editedArgs: a.editedArgs ?? null,
      };
    };
    if (rec?.status === "completed") {
      this.scope.replayed(id, "approval");
      return Promise.resolve(rec.output as ApprovalRecord).then(toResult);
    }
    if (typeof options?.title !== "string" || options.title === "") {
      return Promise.reject(
        new CairnError(ErrorCode.InvalidInput, `step "${id}": waitForApproval needs a title`),
      );
    }
    const approvalId = `apr_${createHash("sha256").update(`${run.id}:${id}`).digest("hex").slice(0, 16)}`;
    let timeoutMs: number | undefined;
    let onTimeout: ApprovalTimeoutPolicy | undefined;
    try {
      timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, `step "${id}" timeout`);
      onTimeout = options.onTimeout === undefined ? undefined : timeoutPolicy(options.onTimeout, id);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.scope
      .track((release) =>
        this.awaitWait(id, seq, rec, "approval", release, async (now) => {
          const request = encodePayload(
            options.details ?? null,
            `step "${id}" approval details`,
            env.maxPayloadBytes,
          );
          const data = {
            event: "approval.requested",
            approvalId,
            runId: run.id,
            stepId: id,
            title: options.title,
            details: options.details ?? null,
            approvers: options.approvers ?? null,
            dueAt: timeoutMs === undefined ? null : now + timeoutMs,
          };
          return {
            kind: "approval" as const,
            ...(timeoutMs !== undefined ? { dueAt: now + timeoutMs } : {}),
            approval: {
              id: approvalId,
              title: options.title,
              request,
              ...(options.argsHash !== undefined ? { argsHash: options.argsHash } : {}),
              ...(options.approvers !== undefined ? { approvers: options.approvers } : {}),
              ...(options.batch !== undefined ? { batchId: options.batch } : {}),
              ...(onTimeout !== undefined ? { onTimeout } : {}),
            },
            notify: {
              event: {
                id: `${approvalId}:requested`,
                name: "approval.requested",
                data: encodePayload(data, "approval.requested"),
              },
              triggers: env.triggersFor("approval.requested", data, `${approvalId}:requested`),
            },
          };
        }),
      )
      .then((o) => {
        if (o.status !== "approval")
          throw new CairnError(ErrorCode.Internal, `step "${id}": expected an approval decision`);
        return toResult(o.approval);
      });
  }

  /** Registers a wait the first time, then settles it if it can be, or blocks. */
  private awaitWait(
    id: string,
    seq: number,
    rec: StepRecord | undefined,
    kind: StepKind,
    release: () => void,
    describe: (
      now: number,
    ) => Promise<Omit<Parameters<Journal["registerWait"]>[1], "stepId" | "seq" | "startedAt">>,
  ): Promise<WaitOutcome> {
    const { env, keeper, run } = this.scope;
    const j = env.journal;
    return this.scope.halting(release, async () => {
      if (rec === undefined) {
        if (!(await this.scope.mayStart())) return this.scope.stop(release);
        this.scope.replaying = false;
        const now = await j.now();
        const wait = await describe(now);
        const outcome = await j.registerWait(keeper.current, {
          ...wait,
          stepId: id,
          seq,
          startedAt: now,
        });
        this.scope.noteCancel(outcome);
        env.emit({
          type: "step.waiting",
          runId: run.id,
          stepId: id,
          kind,
          ...(wait.dueAt !== undefined ? { until: wait.dueAt } : {}),
          ...(wait.eventName !== undefined ? { event: wait.eventName } : {}),
        });
      }
      const outcome = await j.settleWait(keeper.current, run.id, id);
      if (outcome.status === "pending") return this.scope.block(release);
      this.scope.progressed = true;
      this.scope.endedAtOnce(id, kind);
      return outcome;
    });
  }
}

interface StoredChild {
  childRunId: string;
  status: string;
  output: unknown;
  error: SerializedError | null;
}

function childResult<O>(c: StoredChild): Promise<O> {
  if (c.status === "completed") return Promise.resolve(c.output as O);
  return Promise.reject(new ChildRunError(c.childRunId, c.status, c.error));
}

function timeoutPolicy(
  p: NonNullable<WaitForApprovalOptions["onTimeout"]>,
  id: string,
): ApprovalTimeoutPolicy {
  if (p === "reject" || p === "fail") return { action: p };
  if ("approve" in p) return { action: "approve", args: p.approve };
  return {
    action: "escalate",
    approvers: p.escalate,
    timeoutMs: toMs(p.timeout, `step "${id}" escalation timeout`),
  };
}
