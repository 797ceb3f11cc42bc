import type { FeedItem } from "cairn-runtime/client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useApi } from "./api-context.js";

export type FeedState = "connecting" | "live" | "off";

/**
 * Follows the workspace feed (`/v1/events`, the same SSE any client uses) and refreshes what it
 * changes: lists of runs, approvals and sessions, and the run it names. It starts at the feed's
 * present end (the lists were just fetched). Changes come in bursts, so they are gathered for a
 * moment and refreshed once.
 */
export function useLiveFeed(): FeedState {
  const { client, needsKey, reportError } = useApi();
  const queries = useQueryClient();
  const [state, setState] = useState<FeedState>("connecting");
  useEffect(() => {
    if (needsKey) return;
    const stop = new AbortController();
    const touched = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const kinds = new Set([...touched].map((t) => t.split(" ")[0]));
      if (kinds.has("run")) {
        void queries.invalidateQueries({ queryKey: ["runs"] });
        void queries.invalidateQueries({ queryKey: ["sessions"] });
        void queries.invalidateQueries({ queryKey: ["usage"] });
      }
      if (kinds.has("approval")) void queries.invalidateQueries({ queryKey: ["approvals"] });
      for (const t of touched) {
        const runId = t.split(" ")[1];
        if (runId) void queries.invalidateQueries({ queryKey: ["run", runId] });
      }
      touched.clear();
    };
    const note = (item: FeedItem) => {
      const kind = item.type.startsWith("approval.") ? "approval" : item.type.startsWith("run.") ? "run" : "";
      if (kind === "") return;
      touched.add(`${kind} ${item.runId ?? ""}`);
      timer ??= setTimeout(flush, 150);
    };
    void (async () => {
      try {
        setState("live");
        for await (const item of client.feed({ from: "now", signal: stop.signal, maxRetryDelayMs: 3_000 }))
          note(item);
      } catch (err) {
        if (!stop.signal.aborted) {
          reportError(err);
          setState("off");
        }
      }
    })();
    return () => {
      stop.abort();
      if (timer) clearTimeout(timer);
    };
  }, [client, needsKey, queries, reportError]);
  return needsKey ? "off" : state;
}
