import type { Context } from "hono";
import type { SSEMessage } from "hono/streaming";
import { streamSSE } from "hono/streaming";
import type { Services } from "./context.js";

/** Where a stream's producer writes: each message in order; `end` closes the stream cleanly. */
export interface SseSink {
  send(message: SSEMessage): void;
  end(): void;
}

/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** A client this far behind is dropped; it reconnects with Last-Event-ID and loses nothing. */
const MAX_BACKLOG = 10_000;

/**
 * An SSE response fed by `start`, which returns how to stop producing. The stream ends when the
 * producer ends it, the client goes away, or the server shuts down (it then ends cleanly, and
 * the client resumes elsewhere with Last-Event-ID).
 */
export function eventStream(
  c: Context,
  services: Services,
  start: (sink: SseSink) => () => void,
  headers: Record<string, string> = {},
): Response {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  c.header("Cache-Control", "no-cache, no-transform");
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let writing: Promise<void> = Promise.resolve();
    let backlog = 0;
    let ended = false;
    const endStream = () => {
      if (ended) return;
      ended = true;
      void writing.then(finish, finish);
    };
    const sink: SseSink = {
      send(message) {
        if (ended) return;
        if (++backlog > MAX_BACKLOG) {
          endStream();
          return;
        }
        writing = writing
          .then(() => stream.writeSSE(message))
          .then(
            () => void backlog--,
            () => endStream(),
          );
      },
      end: endStream,
    };
    const stop = start(sink);
    const keepAlive = setInterval(() => {
      writing = writing
        .then(() => stream.write(": keep-alive\n\n"))
        .then(
          () => undefined,
          () => endStream(),
        );
    }, KEEP_ALIVE_MS);
    const onShutdown = () => endStream();
    services.shutdown.addEventListener("abort", onShutdown, { once: true });
    stream.onAbort(() => endStream());
    if (services.shutdown.aborted) endStream();
    try {
      await done;
    } finally {
      clearInterval(keepAlive);
      services.shutdown.removeEventListener("abort", onShutdown);
      stop();
    }
  });
}
