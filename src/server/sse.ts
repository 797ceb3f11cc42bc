import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import type { SSEMessage } from "hono/streaming";
import { streamSSE } from "hono/streaming";
import type { Principal } from "./auth.js";
import type { Services } from "./context.js";

/** Where a stream's producer writes: each message (or pre-encoded frame) in order; `end` closes it cleanly. */
export interface SseSink {
  send(message: SSEMessage | Uint8Array): void;
  end(): void;
}

const encoder = new TextEncoder();

/**
 * One SSE frame, encoded once: an event sent to a thousand subscribers is formatted and encoded
 * once, not a thousand times.
 */
export function encodeSse(message: { id?: string; event?: string; data: string }): Uint8Array {
  const data = message.data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join("\n");
  const head = `${message.event ? `event: ${message.event}\n` : ""}`;
  const tail = message.id !== undefined ? `\nid: ${message.id}` : "";
  return encoder.encode(`${head}${data}${tail}\n\n`);
}

/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** A client this far behind is dropped; it reconnects with Last-Event-ID and loses nothing. */
const MAX_BACKLOG = 10_000;

/**
 * An SSE response fed by `start`, which returns how to stop producing. The stream ends when the
 * producer ends it, the client goes away, or the server shuts down (it then ends cleanly, and
 * the client resumes elsewhere with Last-Event-ID); however it ends, the producer is stopped and
 * nothing of the stream is left behind. A HEAD request gets the headers and no producer at all:
 * its body would never be read. On Node each frame is written straight to the socket; elsewhere
 * (app.request() in tests, a fetch handler called without Node's env) through Hono's streamSSE.
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
  if (c.req.method === "HEAD") {
    c.header("Content-Type", "text/event-stream");
    return c.body(null, 200);
  }
  start = endOnRevoke(c, services, start);
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing !== undefined && typeof outgoing.writeHead === "function")
    return nodeStream(c, outgoing, services, start);
  return streamSSE(c, async (stream) => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let writing: Promise<void> = Promise.resolve();
    let backlog = 0;
    let ended = false;
    /** A clean end: what was sent is written first (it waits on the client reading it). */
    const endStream = () => {
      if (ended) return;
      ended = true;
      void writing.then(finish, finish);
    };
    /** The client is gone: nothing more can be written, so nothing is waited for. */
    const abandon = () => {
      ended = true;
      finish();
    };
    const sink: SseSink = {
      send(message) {
        if (ended) return;
        if (++backlog > MAX_BACKLOG) {
          endStream();
          return;
        }
        writing = writing
          .then(async () => {
            if (message instanceof Uint8Array) await stream.write(message);
            else await stream.writeSSE(message);
          })
          .then(
            () => void backlog--,
            () => endStream(),
          );
      },
      end: endStream,
    };
    const request = c.req.raw.signal;
    const stop = start(sink);
    const keepAlive = setInterval(() => sink.send(KEEP_ALIVE), KEEP_ALIVE_MS);
    const onShutdown = () => endStream();
    services.shutdown.addEventListener("abort", onShutdown, { once: true });
    request.addEventListener("abort", abandon, { once: true });
    stream.onAbort(abandon);
    if (services.shutdown.aborted) endStream();
    if (request.aborted || stream.aborted) abandon();
    try {
      await done;
    } finally {
      clearInterval(keepAlive);
      services.shutdown.removeEventListener("abort", onShutdown);
      request.removeEventListener("abort", abandon);
      stop();
    }
  });
}

const KEEP_ALIVE = new TextEncoder().encode(": keep-alive\n\n");
/** A client with this much unsent is too slow: dropped, it reconnects with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** The stream written straight to Node's response: a thousand subscribers cost a thousand socket writes. */
function nodeStream(
  c: Context,
  outgoing: ServerResponse,
  services: Services,
  start: (sink: SseSink) => () => void,
): Response {
  const headers: Record<string, string> = {};
  c.res.headers.forEach((v, k) => (headers[k] = v));
  outgoing.writeHead(200, { ...headers, "content-type": "text/event-stream", connection: "keep-alive" });
  outgoing.flushHeaders();
  let ended = false;
  /** The producer's stop, once it has started (it may end the stream while starting). */
  const producer: { stop?: () => void } = {};
  const endStream = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    services.shutdown.removeEventListener("abort", endStream);
    producer.stop?.();
    outgoing.end();
  };
  const sink: SseSink = {
    send(message) {
      if (ended) return;
      outgoing.write(message instanceof Uint8Array ? message : encodeSse(message as { data: string }));
      if (outgoing.writableLength > MAX_BUFFERED_BYTES) endStream();
    },
    end: endStream,
  };
  const keepAlive = setInterval(() => sink.send(KEEP_ALIVE), KEEP_ALIVE_MS);
  services.shutdown.addEventListener("abort", endStream, { once: true });
  outgoing.once("close", endStream);
  const stop = start(sink);
  producer.stop = stop;
  // The client may have gone while the route was still reading the store: "close" is behind us.
  if (ended) stop();
  else if (services.shutdown.aborted || outgoing.destroyed) endStream();
  // Tells @hono/node-server the response was written here.
  return new Response(null, { headers: { "x-hono-already-sent": "true" } });
}

/** `start`, with the stream ended once the request's API key is revoked (see KeyWatch). */
function endOnRevoke(
  c: Context,
  services: Services,
  start: (sink: SseSink) => () => void,
): (sink: SseSink) => () => void {
  const stillValid = c.get("keyStillValid") as (() => Promise<boolean>) | undefined;
  const keyId = (c.get("principal") as Principal | undefined)?.keyId;
  if (stillValid === undefined || keyId === undefined || keyId === null) return start;
  return (sink) => {
    const stop = start(sink);
    const unwatch = services.keys.watch(keyId, stillValid, () => sink.end());
    return () => {
      unwatch();
      stop();
    };
  };
}
