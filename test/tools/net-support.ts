/** Shared setup of the credential tests: local HTTP servers on loopback and a master key. */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

/** One request a local server received. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface LocalServer {
  url: string;
  /** host:port, what a credential's `hosts` names. */
  host: string;
  received: Received[];
}

/**
 * A real HTTP server on loopback; `handle` answers each request (default: echo what came in,
 * headers included, as a remote that reflects a token would). Closed after the test.
 */
export async function localServer(
  handle?: (req: Received, res: ServerResponse) => void | Promise<void>,
): Promise<LocalServer> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(r);
      if (handle) {
        Promise.resolve(handle(r, res)).catch((err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        });
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ echo: r }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, received };
}

/** A fresh master key for this test process, as an operator would set CAIRN_MASTER_KEY. */
export function useMasterKey(): string {
  const key = randomBytes(32).toString("base64");
  process.env.CAIRN_MASTER_KEY = key;
  return key;
}
