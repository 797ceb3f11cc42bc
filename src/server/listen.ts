import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What can be served: an app's fetch handler, and how to end its streams and waits. */
export interface Servable {
  /** `env`: Node's `{ incoming, outgoing }`, which streams write to (see CairnApp.fetch). */
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  close(): void;
}

export interface ListenOptions {
  /** Default 127.0.0.1: the API is reachable from this machine only unless told otherwise. */
  host?: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** How long shutdown lets requests in flight finish before closing their connections. Default 10 s. */
  graceMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  /**
   * Graceful shutdown: stops accepting connections, ends every stream cleanly (clients resume
   * elsewhere with Last-Event-ID) and answers waiting requests at once, lets the requests in flight
   * finish, then closes.
   */
  close(): Promise<void>;
}

/** Serves the app over HTTP on Node (@hono/node-server). */
export async function listen(cairn: Servable, options: ListenOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createAdaptorServer({ fetch: cairn.fetch, hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown === "0.0.0.0" ? "127.0.0.1" : shown}:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        // Connections go idle as their streams end and requests finish: close each as it does,
        // and after the grace period whatever is left.
        const sweep = setInterval(() => server.closeIdleConnections(), 25);
        const force = setTimeout(() => server.closeAllConnections(), options.graceMs ?? 10_000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(force);
          resolve();
        });
        cairn.close();
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
