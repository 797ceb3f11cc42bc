import { CairnError, ErrorCode, InputError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { encodePayload } from "../shared/payload.js";
import { serializeError } from "../shared/serialized-error.js";
import type { NewRun } from "../store/records.js";
import type { Workflow } from "./workflow.js";

/**
 * The runs an event starts: one per workflow it triggers. A workflow whose input the event's data
 * does not satisfy gets a run created already failed, naming the event and the problem, so the
 * event is still stored and delivered to every waiting run and every other trigger.
 */
export function triggeredRuns(
  workflows: Iterable<Workflow>,
  event: { name: string; id: string; data: unknown },
  newRun: (wf: Workflow, input: unknown, extra: Partial<NewRun>) => NewRun,
  workspace: string,
): NewRun[] {
  const runs: NewRun[] = [];
  for (const wf of workflows) {
    if (!wf.options.triggers?.some((t) => t.event === event.name)) continue;
    const idempotencyKey = `event:${event.id}`;
    try {
      runs.push(newRun(wf, event.data, { idempotencyKey }));
    } catch (cause) {
      if (!CairnError.is(cause)) throw cause;
      const refused = serializeError(
        new InputError(
          ErrorCode.InvalidInput,
          `event "${event.name}" (${event.id}) could not start workflow "${wf.id}": ${cause.message}. ` +
            `The event was stored and delivered to waiting runs; fix the sender's data or the workflow's input schema`,
        ),
      );
      delete refused.stack; // not the workflow's code: the message says it all
      runs.push({
        id: newId("run"),
        workspace,
        workflow: wf.id,
        input: keptInput(event.data),
        idempotencyKey,
        failed: refused,
      });
    }
  }
  return runs;
}

/** The refused data, kept as the failed run's input so a person sees what was sent. */
function keptInput(data: unknown) {
  try {
    return encodePayload(data, "refused event data");
  } catch {
    return encodePayload(null, "refused event data");
  }
}
