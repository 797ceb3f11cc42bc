import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, request as httpRequest } from "node:http";
import { lookup } from "node:dns/promises";
import { connect, isIP } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../shared/errors.js";

/** Where the proxy's folder is shown inside the sandbox, and the port its forwarder listens on. */
export const EGRESS_DIR = "/run/cairn-egress";
export const EGRESS_PORT = 3128;
const READY = "/tmp/.cairn-egress-ready";

/**
 * One allowed destination: `host` (ports 80 and 443), `host:port`, or `*.domain` (any name under
 * it, not the domain itself). Names are compared in lower case; an IP address is a name too.
 */
export interface EgressRule {
  host: string;
  wildcard: boolean;
  ports: readonly number[];
}

/** Checks an allow-list as the config gives it; errors name `where` and the bad entry. */
export function parseAllowList(allow: unknown, where: string): EgressRule[] {
  if (!Array.isArray(allow) || allow.length === 0)
    throw new ConfigError(
      `${where}: network.allow must be a non-empty list of host names, e.g. ["api.github.com"]`,
    );
  return allow.map((entry) => {
    const m =
      typeof entry === "string" ? /^(\*\.)?([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/i.exec(entry) : null;
    const port = m?.[3] === undefined ? undefined : Number(m[3]);
    if (m === null || (port !== undefined && (port < 1 || port > 65535))) {
      throw new ConfigError(
        `${where}: network.allow entry ${JSON.stringify(entry)} is not a host, host:port or *.domain`,
      );
    }
    return {
      host: m[2]!.toLowerCase().replace(/^\[|\]$/g, ""),
      wildcard: m[1] !== undefined,
      ports: port === undefined ? [80, 443] : [port],
    };
  });
}

/** How a rule lets `host:port` through: "exact" (named), "wildcard" (under a *.domain), or not. */
export function matchRule(
  rules: readonly EgressRule[],
  host: string,
  port: number,
): "exact" | "wildcard" | undefined {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  const fits = rules.filter((r) => r.ports.includes(port));
  if (fits.some((r) => !r.wildcard && name === r.host)) return "exact";
  if (fits.some((r) => r.wildcard && name.endsWith(`.${r.host}`))) return "wildcard";
  return undefined;
}

/**
 * Where to connect for an allowed `host`: its address, resolved here. A name let through by a
 * `*.domain` rule must resolve to a public address, so a name under an allowed domain cannot
 * point the sandbox at this machine or its private network; a host named exactly may be anywhere.
 */
async function destination(rules: readonly EgressRule[], host: string, port: number): Promise<string> {
  const how = matchRule(rules, host, port);
  if (how === undefined) throw new Error(`${host}:${port} is not in this sandbox's network allow-list`);
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare) !== 0) return bare;
  const { address } = await lookup(bare);
  if (how === "wildcard" && isPrivateAddress(address)) {
    throw new Error(
      `${host} resolves to ${address}, a private address; name it exactly in the allow-list to reach it`,
    );
  }
  return address;
}

/** Loopback, private, link-local, shared and unspecified ranges, IPv4 and IPv6. */
export function isPrivateAddress(address: string): boolean {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4 !== null) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b < 128) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168)
    );
  }
  const v6 = address.toLowerCase();
  return v6 === "::" || v6 === "::1" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
}

/** A running egress proxy: its folder (bound into the sandbox) and what it refused. */
export interface EgressProxy {
  /** Host folder holding the proxy's socket and the sandbox-side forwarder. */
  dir: string;
  /** Destinations refused, as `host:port`, in order. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * The way out of a sandbox whose network is an allow-list: an HTTP proxy on a Unix socket in a
 * fresh folder that the sandbox sees at EGRESS_DIR. It tunnels CONNECT (HTTPS) and forwards plain
 * HTTP to allowed hosts only, resolving names here; everything else gets a 403 that says why.
 * The sandbox keeps its own empty network; a forwarder inside it listens on its loopback
 * (EGRESS_PORT) and relays to the socket, and HTTP(S)_PROXY point there.
 */
export async function startEgressProxy(rules: readonly EgressRule[]): Promise<EgressProxy> {
  // As root the sandbox runs as another user, who must reach the folder: /tmp, not root's TMPDIR.
  const base = process.getuid?.() === 0 && existsSync("/tmp") ? "/tmp" : tmpdir();
  const dir = mkdtempSync(join(base, "cairn-egress-"));
  const socketPath = join(dir, "proxy.sock");
  writeFileSync(join(dir, "forward.cjs"), FORWARDER);
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const refuse = (host: string, port: number, why?: unknown) => {
    refused.push(`${host}:${port}`);
    const reason =
      why instanceof Error ? why.message : `${host}:${port} is not in this sandbox's network allow-list`;
    return `cairn sandbox: ${reason}\n`;
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("cairn sandbox: send requests through the proxy with an absolute http:// URL\n");
      return;
    }
    const port = Number(url.port || 80);
    const deny = (why?: unknown) =>
      res.writeHead(403, { "content-type": "text/plain" }).end(refuse(url.hostname, port, why));
    if (url.protocol !== "http:") return deny();
    destination(rules, url.hostname, port).then((address) => {
      const out = httpRequest(
        {
          host: address,
          port,
          method: req.method,
          path: `${url.pathname}${url.search}`,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", (err) => res.writeHead(502).end(`cairn sandbox: ${url.host}: ${err.message}\n`));
      req.pipe(out);
    }, deny);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    track(client);
    client.on("error", () => client.destroy());
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? "");
    const host = m?.[1]?.replace(/^\[|\]$/g, "") ?? "";
    const port = Number(m?.[2] ?? 0);
    const deny = (why?: unknown) => {
      const text = refuse(host || String(req.url), port, why);
      client.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
    };
    if (m === null) return deny();
    destination(rules, host, port).then((address) => {
      const upstream = connect(port, address, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      track(upstream);
      upstream.on("error", (err) => {
        if (!client.writableEnded)
          client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\ncairn sandbox: ${host}:${port}: ${err.message}\n`);
      });
    }, deny);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  // The sandbox's user (another host user when Cairn runs as root) connects to the socket.
  chmodSync(dir, 0o755);
  chmodSync(socketPath, 0o777);
  return {
    dir,
    refused,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bash that starts the forwarder inside the sandbox and waits (up to 5 s) until it listens. */
export function egressPrelude(node: string): string {
  return (
    `${node} ${EGRESS_DIR}/forward.cjs & ` +
    `for _ in $(seq 500); do [ -e ${READY} ] && break; sleep 0.01; done; `
  );
}

/** The environment that sends HTTP(S) through the forwarder. */
export function egressEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${EGRESS_PORT}`;
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url };
}

/** Runs inside the sandbox: relays its loopback port to the proxy's socket. */
const FORWARDER = `const net = require("net");
const fs = require("fs");
const server = net.createServer((c) => {
  const u = net.connect("${EGRESS_DIR}/proxy.sock");
  c.pipe(u); u.pipe(c);
  c.on("error", () => u.destroy()); u.on("error", () => c.destroy());
});
server.listen(${EGRESS_PORT}, "127.0.0.1", () => fs.writeFileSync("${READY}", ""));
`;
