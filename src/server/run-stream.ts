import type { OpenAPIHono } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Engine } from "../engine/engine.js";
import { ErrorCode, InputError } from "../shared/errors.js";
import { isTerminal } from "../store/records.js";
import type { ServerEnv } from "./context.js";
import type { StreamEvent } from "./run-log-hub.js";
import { errorResponses, sseContent } from "./schemas.js";
import { mustGetRun } from "./runs.js";
import { encodeSse, eventStream } from "./sse.js";

const stream = createRoute({
  method: "get",
  path: "/v1/runs/{id}/stream",
  summary: "Everything that happens to a run, live, as Server-Sent Events",
  description:
    "Each event is a log entry (`event:` its type, `id:` its position, `data:` JSON): run.started, " +
    "step.started, step.progress (a model's tokens, tagged with step and attempt), step.ended (with the " +
    "step's output), approval.requested, approval.decided, run.ended (with the result)… The stream ends " +
    "after run.ended. Reconnect with Last-Event-ID (or ?startIndex=N: from the Nth event; negative: the " +
    "last N) to get every event missed, none twice; at or after run.ended, 204.",
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
    query: z.object({ startIndex: z.coerce.number().int().optional() }),
    headers: z.object({ "last-event-id": z.string().optional() }),
  },
  responses: {
    200: { description: "The run's events", content: sseContent },
    204: { description: "Resumed at or after run.ended: nothing more will come" },
    ...errorResponses,
  },
});

export function runStreamRoutes(app: OpenAPIHono<ServerEnv>): void {
  app.openapi(stream, async (c) => {
    const { engine } = c.var;
    const { id } = c.req.valid("param");
    const run = await mustGetRun(engine, id);
    const afterSeq = await resumePoint(
      engine,
      id,
      c.req.valid("header")["last-event-id"],
      c.req.valid("query").startIndex,
    );
    // Resumed at or after the end of a run that has ended: nothing will ever come. 204 tells a
    // browser's EventSource (and Cairn's client) not to reconnect, as they do after a 200 ends.
    if (
      afterSeq > 0 &&
      isTerminal(run.status) &&
      (await engine.journal.readEntries(engine.workspace, id, afterSeq)).length === 0
    )
      return c.body(null, 204);
    return streamRun(c, engine, id, afterSeq);
  });
}

/** A run's events after `afterSeq` as SSE, live, until run.ended (at once if that was at or before `afterSeq`). */
export function streamRun(c: Context<ServerEnv>, engine: Engine, runId: string, afterSeq: number): Response {
  const { services } = c.var;
  return eventStream(c, services, (sink) => {
    const sub = services.hub.subscribe(engine.workspace, runId, {
      afterSeq,
      onEvents: (events) => {
        for (const e of events) sink.send(frameOf(e));
      },
      onEnd: () => sink.end(),
    });
    return () => sub.close();
  });
}

const frames = new WeakMap<StreamEvent, Uint8Array>();

/** The event's SSE frame, made once however many subscribers it goes to. */
export function frameOf(e: StreamEvent): Uint8Array {
  let frame = frames.get(e);
  if (frame === undefined) {
    frame = encodeSse({ id: String(e.seq), event: e.type, data: JSON.stringify(e) });
    frames.set(e, frame);
  }
  return frame;
}

/** Where a (re)connecting client starts: after its Last-Event-ID, or at startIndex. */
export async function resumePoint(
  engine: Engine,
  runId: string,
  lastEventId: string | undefined,
  startIndex: number | undefined,
): Promise<number> {
  if (lastEventId !== undefined && lastEventId !== "") {
    if (!/^\d+$/.test(lastEventId) || !Number.isSafeInteger(Number(lastEventId)))
      throw new InputError(
        ErrorCode.InvalidInput,
        `header.last-event-id: "${lastEventId}" is not an event id of this stream`,
      );
    return Number(lastEventId);
  }
  if (startIndex === undefined) return 0;
  if (startIndex >= 0) return startIndex;
  const entries = await engine.journal.readEntries(engine.workspace, runId, 0);
  const last = entries.at(-1)?.seq ?? 0;
  return Math.max(0, last + startIndex);
}
