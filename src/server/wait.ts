import type { Context } from "hono";
import { toMs } from "../shared/duration.js";

/**
 * How long a request asked to wait for a run's result: `?wait=30s` (a duration; a bare number is
 * seconds) or `Prefer: wait=30` (RFC 7240, seconds); 0 when it did not ask. Never above `maxMs`.
 */
export function requestedWaitMs(c: Context, query: string | undefined, maxMs: number): number {
  let ms = 0;
  if (query !== undefined && query !== "") {
    ms = /^\d+(\.\d+)?$/.test(query) ? Number(query) * 1000 : toMs(query, "wait");
  } else {
    const prefer = c.req.header("prefer");
    const match = prefer?.match(/(?:^|[,;\s])wait\s*=\s*(\d+)/i);
    if (match) ms = Number(match[1]) * 1000;
  }
  return Math.max(0, Math.min(ms, maxMs));
}
