import { useQueryClient } from "@tanstack/react-query";
import type { RunEvent } from "cairn-runtime/client";
import { useEffect, useState } from "react";
import { useApi } from "../api/api-context.js";

/** What a step in progress has streamed so far (its latest attempt's tokens only). */
export interface LiveText {
  tag: string;
  text: string;
}

export interface RunLog {
  /** The run's log entries, without token deltas, in order. */
  entries: RunEvent[];
  /** Text streamed by steps, by step id: the latest attempt's. */
  live: ReadonlyMap<string, LiveText>;
  /** The stream delivered run.ended. */
  ended: boolean;
  error: unknown;
}

/**
 * Follows the run's own stream (`/v1/runs/:id/stream`, from its first entry): the log the
 * waterfall marks replayed steps from, and the tokens of the step in progress. Each new entry
 * refreshes the run's details.
 */
export function useRunLog(runId: string): RunLog {
  const { client, reportError } = useApi();
  const queries = useQueryClient();
  const [log, setLog] = useState<RunLog>({ entries: [], live: new Map(), ended: false, error: undefined });
  useEffect(() => {
    const stop = new AbortController();
    let entries: RunEvent[] = [];
    let live = new Map<string, LiveText>();
    let ended = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let frame: ReturnType<typeof setTimeout> | undefined;
    setLog({ entries, live, ended: false, error: undefined });
    // Tokens come fast: the page is redrawn at most every 50 ms.
    const publish = () => {
      frame ??= setTimeout(() => {
        frame = undefined;
        setLog({ entries, live, ended, error: undefined });
      }, 50);
    };
    const refresh = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void queries.invalidateQueries({ queryKey: ["run", runId] });
      }, 120);
    };
    void (async () => {
      try {
        for await (const e of client.stream(runId, { signal: stop.signal, maxRetryDelayMs: 3_000 })) {
          if (e.type === "step.progress" && e.stepId) {
            live = new Map(live);
            live.set(e.stepId, appendProgress(live.get(e.stepId), e.data));
            publish();
            continue;
          }
          entries = [...entries, e];
          if (e.type === "run.ended") ended = true;
          refresh();
          publish();
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        reportError(error);
        setLog({ entries, live, ended: false, error });
      }
    })();
    return () => {
      stop.abort();
      if (timer) clearTimeout(timer);
      if (frame) clearTimeout(frame);
    };
  }, [client, runId, queries, reportError]);
  return log;
}

/** A progress entry's text deltas added to what the step streamed; a new attempt starts over. */
function appendProgress(prev: LiveText | undefined, data: Record<string, unknown>): LiveText {
  const tag = `${String(data.attempt)}:${String(data.epoch)}`;
  const parts = Array.isArray(data.parts) ? (data.parts as { type?: string; text?: string }[]) : [];
  const text = parts
    .map((p) => (p.type === "text-delta" && typeof p.text === "string" ? p.text : ""))
    .join("");
  if (prev === undefined || prev.tag !== tag) return { tag, text };
  return { tag, text: prev.text + text };
}
