import type { Server, Socket } from "node:net";
import { connect, createServer } from "node:net";
import { closeServer, listenOnLoopback } from "./deadlines.js";

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Cuts the network: every open connection is reset and new ones are refused until `restore()`. */
  cut(): void;
  /**
   * Drops every open connection; new ones are accepted but held, unanswered, until `restore()`
   * (as a server that is back a moment later): a client that reconnects at once waits for it.
   */
  drop(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of a server, to make it unreachable for a while without
 * stopping it, as a network partition would.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let mode: "up" | "down" | "holding" = "up";
  const held: Socket[] = [];
  const forward = (client: Socket) => {
    if (client.destroyed) return;
    const upstream = connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server: Server = createServer((client) => {
    if (mode === "down") {
      client.resetAndDestroy();
      return;
    }
    if (mode === "holding") {
      client.pause();
      client.on("error", () => client.destroy());
      held.push(client);
      return;
    }
    forward(client);
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    cut() {
      mode = "down";
      for (const s of sockets) s.resetAndDestroy();
    },
    drop() {
      mode = "holding";
      for (const s of sockets) s.resetAndDestroy();
    },
    restore() {
      mode = "up";
      for (const client of held.splice(0)) {
        client.resume();
        forward(client);
      }
    },
    async close() {
      for (const s of [...sockets, ...held.splice(0)]) s.destroy();
      await closeServer(server);
    },
  };
}
