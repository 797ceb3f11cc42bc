import type { Context } from "hono";
import type { Engine } from "../engine/engine.js";
import { ErrorCode, InputError } from "../shared/errors.js";
import { isTerminal } from "../store/records.js";
import type { RunSummary } from "../store/records.js";
import type { ServerEnv } from "./context.js";
import type { Subscription } from "./run-log-hub.js";
import { sessionRuns } from "./session-runs.js";
import { eventStream } from "./sse.js";

/** How often a session stream between runs looks for the session's next one. */
const NEXT_RUN_POLL_MS = 500;

/**
 * A session's runs as one SSE stream: each run's events (ids `runId:seq`) until it ends, then the
 * next run's. Starts at the session's first active run (or its latest, when none is active), or
 * after the event a reconnecting client last saw.
 */
export function streamSession(
  c: Context<ServerEnv>,
  engine: Engine,
  agent: string,
  session: string,
  lastEventId: string | undefined,
): Response {
  const { services } = c.var;
  const resume = parseSessionEventId(lastEventId);
  return eventStream(c, services, (sink) => {
    let stopped = false;
    let current: Subscription | undefined;
    let wake: (() => void) | undefined;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    const follow = (run: RunSummary, afterSeq: number) =>
      new Promise<void>((resolve) => {
        current = services.hub.subscribe(engine.workspace, run.id, {
          afterSeq,
          onEvents: (events) => {
            for (const e of events)
              sink.send({ id: `${run.id}:${e.seq}`, event: e.type, data: JSON.stringify(e) });
          },
          onEnd: () => resolve(),
        });
        wake = () => {
          current?.close();
          resolve();
        };
      });
    void (async () => {
      try {
        let runs = await sessionRuns(engine, agent, session);
        let cursor: RunSummary | undefined;
        let afterSeq = 0;
        if (resume !== undefined) {
          const i = runs.findIndex((r) => r.id === resume.runId);
          cursor = i > 0 ? runs[i - 1] : undefined;
          runs = i >= 0 ? runs.slice(i) : [];
          afterSeq = resume.seq;
        } else {
          const firstActive = runs.findIndex((r) => !isTerminal(r.status));
          // From the first run still going, else the latest: a chat view shows the last answer.
          const from = firstActive >= 0 ? firstActive : runs.length - 1;
          cursor = from > 0 ? runs[from - 1] : undefined;
        }
        while (!stopped) {
          const next = (cursor ? runs.filter((r) => after(r, cursor!)) : runs)[0];
          if (next === undefined) {
            await pause(NEXT_RUN_POLL_MS);
            runs = await sessionRuns(engine, agent, session);
            continue;
          }
          // Resumed at or after the run's run.ended, this ends at once and the next run follows.
          await follow(next, resume?.runId === next.id ? afterSeq : 0);
          current?.close();
          cursor = next;
        }
      } catch (err) {
        services.logger.warn("a session stream stopped", { agent, session, error: String(err) });
        sink.end();
      }
    })();
    return () => {
      stopped = true;
      wake?.();
      current?.close();
    };
  });
}

function after(r: RunSummary, cursor: RunSummary): boolean {
  return r.createdAt > cursor.createdAt || (r.createdAt === cursor.createdAt && r.id > cursor.id);
}

function parseSessionEventId(id: string | undefined): { runId: string; seq: number } | undefined {
  if (id === undefined || id === "") return undefined;
  const match = /^(.+):(\d+)$/.exec(id);
  if (!match || !Number.isSafeInteger(Number(match[2])))
    throw new InputError(
      ErrorCode.InvalidInput,
      `header.last-event-id: "${id}" is not an event id of this stream`,
    );
  return { runId: match[1]!, seq: Number(match[2]) };
}
