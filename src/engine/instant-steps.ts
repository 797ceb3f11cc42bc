import { CairnError, ErrorCode } from "../shared/errors.js";
import { encodePayload } from "../shared/payload.js";
import type { StepCommit } from "../store/journal.js";
import type { StepKind } from "../store/records.js";
import { reservedEventError } from "./event-names.js";
import type { ExecutionScope } from "./execution-scope.js";
import { never } from "./execution-scope.js";
import type { EventToSend } from "./step.js";

/** Steps with no body: starting a run and sending an event commit their effect with their result. */
export class InstantSteps {
  constructor(private readonly scope: ExecutionScope) {}

  start(
    name: string,
    target: { id: string } | string,
    input: unknown,
    runAt: Date | number | undefined,
  ): Promise<{ runId: string }> {
    const { env, run, ws } = this.scope;
    const { id, seq, rec } = this.scope.enter(name, "start");
    if (rec?.status === "completed") {
      this.scope.replayed(id, "start");
      return Promise.resolve(rec.output as { runId: string });
    }
    const wf = env.resolveWorkflow(typeof target === "string" ? target : target.id);
    const child = env.newRun(wf, input, {
      workspace: ws,
      parentRunId: run.id,
      parentStepId: id,
      idempotencyKey: `${run.id}:${id}`,
      ...(runAt !== undefined ? { runAt: runAt instanceof Date ? runAt.getTime() : runAt } : {}),
    });
    return this.scope.track((release) =>
      this.commitInstant(id, seq, "start", { runId: child.id }, release, { startRuns: [child] }),
    );
  }

  /**
   * `step.patched`: a run whose journal holds this patch's marker here took the new path; one
   * holding another step here is on the old path (the marker takes no place then); a run that
   * reaches this point fresh records the marker and takes the new path.
   */
  patched(name: string): Promise<boolean> {
    const { history } = this.scope;
    if (typeof name !== "string" || name === "")
      return Promise.reject(new CairnError(ErrorCode.InvalidInput, "step.patched needs a name"));
    const id = history.stepId(`patch:${name}`);
    const next = history.peek(id);
    if (next !== undefined && next.stepId !== id) return Promise.resolve(false);
    let placed;
    try {
      placed = history.place(id, "patch");
    } catch (err) {
      this.scope.finish({ type: "threw", error: err });
      return never();
    }
    const { seq, rec } = placed;
    if (rec?.status === "completed") {
      this.scope.replayed(id, "patch");
      return Promise.resolve(true);
    }
    return this.scope.track((release) => this.commitInstant(id, seq, "patch", true, release, {}));
  }

  send(name: string, event: EventToSend): Promise<{ eventId: string }> {
    const { id, seq, rec } = this.scope.enter(name, "send");
    if (rec?.status === "completed") {
      this.scope.replayed(id, "send");
      return Promise.resolve(rec.output as { eventId: string });
    }
    return this.scope.track((release) => this.executeSend(id, seq, event, release));
  }

  private executeSend(
    id: string,
    seq: number,
    event: EventToSend,
    release: () => void,
  ): Promise<{ eventId: string }> {
    const { env, run } = this.scope;
    if (typeof event?.name !== "string" || event.name === "") {
      throw new CairnError(ErrorCode.InvalidInput, `step "${id}": sendEvent needs an event with a name`);
    }
    const reserved = reservedEventError(event.name, `step "${id}" sendEvent`);
    if (reserved !== undefined) throw reserved;
    const eventId = event.id ?? `${run.id}:${id}`;
    const data = encodePayload(event.data ?? null, `step "${id}" event data`, env.maxPayloadBytes);
    return this.commitInstant(id, seq, "send", { eventId }, release, {
      event: {
        event: { id: eventId, name: event.name, data },
        triggers: env.triggersFor(event.name, event.data ?? null, eventId),
      },
    });
  }

  /** A step with no body: its effect (an event, a child run) commits with its result, atomically. */
  private async commitInstant<T>(
    id: string,
    seq: number,
    kind: StepKind,
    output: T,
    release: () => void,
    effect: Pick<StepCommit, "event" | "startRuns">,
  ): Promise<T> {
    const { env, keeper } = this.scope;
    const j = env.journal;
    if (!(await this.scope.mayStart())) return this.scope.stop(release);
    this.scope.replaying = false;
    const encoded = encodePayload(output, `step "${id}" result`);
    await this.scope.commit(release, async () => {
      const now = await j.now();
      return j.commitStep(keeper.current, {
        stepId: id,
        seq,
        kind,
        attempt: 1,
        startedAt: now,
        sideEffect: false,
        status: "completed",
        output: encoded,
        endedAt: now,
        ...effect,
      });
    });
    this.scope.endedAtOnce(id, kind, { output });
    return output;
  }
}
