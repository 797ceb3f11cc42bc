/** Low-level response writing: JSON bodies, SSE streams, and connections cut mid-response. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Frame } from "./wire.js";

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Index of the first frame not sent when cutting after `n` text deltas: the (n+1)th delta, or the frame
 * right after the last delta when there are no more; with no deltas at all, only the last frame is held back.
 */
function cutIndex(frames: Frame[], n: number): number {
  const deltas = frames.flatMap((f, i) => (f.textDelta ? [i] : []));
  if (n < deltas.length) return deltas[Math.max(0, n)]!;
  if (deltas.length > 0) return deltas[deltas.length - 1]! + 1;
  return Math.max(0, frames.length - 1);
}

/** Streams `frames` as SSE; with `cutAfterDeltas`, closes the socket abruptly after that many text deltas. */
export async function sendFrames(
  res: ServerResponse,
  frames: Frame[],
  cutAfterDeltas?: number,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  res.flushHeaders();
  const stop = cutAfterDeltas === undefined ? frames.length : cutIndex(frames, cutAfterDeltas);
  try {
    for (const frame of frames.slice(0, stop)) {
      if (res.destroyed) return;
      await write(res, frame.data);
    }
  } catch {
    return; // the client went away
  }
  if (cutAfterDeltas === undefined) res.end();
  else res.destroy(); // no chunked-encoding terminator: the client sees the connection close mid-body
}

/** Announces the full JSON body's length, sends half of it, and closes the socket. */
export async function sendCutJson(res: ServerResponse, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  try {
    await write(res, text.slice(0, Math.floor(text.length / 2)));
  } catch {
    return;
  }
  res.destroy();
}
