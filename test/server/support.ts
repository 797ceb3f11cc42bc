import { afterEach, expect } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import { parseSse } from "../../src/client/sse.js";
import type { SseMessage } from "../../src/client/sse.js";
import type { Workflow } from "../../src/engine/workflow.js";
import { silentLogger } from "../../src/shared/logger.js";
import { issueApiKey } from "../../src/server/api-keys.js";
import type { AppOptions, CairnApp } from "../../src/server/app.js";
import { createApp } from "../../src/server/app.js";
import { keyAuth, openAuth } from "../../src/server/auth.js";
import type { RunningServer } from "../../src/server/listen.js";
import { listen } from "../../src/server/listen.js";
import type { ApiScope } from "../../src/store/service-records.js";
import type { Harness } from "../helpers.js";
import { harness } from "../helpers.js";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any route
}

export interface ServerHarness extends Harness {
  cairn: CairnApp;
  server: RunningServer;
  url: string;
  /** An API key with these scopes in `workspace` (default "default"). */
  key(scopes?: ApiScope[], workspace?: string, principal?: string): Promise<string>;
  /** One request over real HTTP; JSON in and out. */
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** Opens an SSE stream over HTTP; `next(n)` reads n more events (bounded wait). */
  sse(path: string, options?: CallOptions): Promise<SseReader>;
  /** Starts the in-process worker (stopped after the test). */
  startWorker(): void;
}

export interface CallOptions {
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A real store, engine and worker (see harness), and the HTTP API over a real loopback socket. */
export async function serverHarness(
  workflows: Workflow[],
  options: { agents?: Agent[]; open?: boolean; app?: Partial<AppOptions> } = {},
): Promise<ServerHarness> {
  const agents = options.agents ?? [];
  const h = await harness([...workflows, ...agents.map((a) => a.workflow)]);
  const cairn = createApp({
    engine: h.engine,
    agents: new Map(agents.map((a) => [a.name, a])),
    auth: options.open ? openAuth("default", "dev") : keyAuth(h.journal),
    logger: silentLogger,
    rateLimit: false,
    ...options.app,
  });
  const server = await listen(cairn, { port: 0 });
  let workerStarted = false;
  stops.push(async () => {
    await server.close();
    if (workerStarted) await h.worker.stop();
  });
  const url = server.url;
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    let body: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    } else if (body !== undefined) headers["content-type"] ??= "application/json";
    const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    ...h,
    cairn,
    server,
    url,
    key: async (scopes = ["admin"], workspace = "default", principal) =>
      (
        await issueApiKey(h.journal, {
          workspace,
          name: `test-${scopes.join("-")}`,
          ...(principal ? { principal } : {}),
          scopes,
        })
      ).key,
    call,
    sse: (path, o = {}) => openSse(url + path, o),
    startWorker: () => {
      workerStarted = true;
      h.worker.start();
    },
  };
}

export interface SseReader {
  status: number;
  headers: Headers;
  /** Reads `n` more events; fails naming what it waited for after `timeoutMs`. */
  next(n: number, timeoutMs?: number): Promise<SseMessage[]>;
  /** Reads until the server ends the stream. */
  rest(timeoutMs?: number): Promise<SseMessage[]>;
  close(): void;
}

export async function openSse(url: string, o: CallOptions = {}): Promise<SseReader> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream", ...o.headers };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  const res = await fetch(url, { headers, signal: controller.signal });
  stops.push(() => Promise.resolve(controller.abort()));
  if (!res.ok || !res.body) {
    return {
      status: res.status,
      headers: res.headers,
      next: () => Promise.reject(new Error(`no stream: HTTP ${res.status}`)),
      rest: () => Promise.reject(new Error(`no stream: HTTP ${res.status}`)),
      close: () => controller.abort(),
    };
  }
  const events = parseSse(res.body);
  const pull = async (timeoutMs: number, what: string) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from ${url}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([events.next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    async next(n, timeoutMs = 20_000) {
      const out: SseMessage[] = [];
      while (out.length < n) {
        const r = await pull(timeoutMs, `event ${out.length + 1} of ${n}`);
        if (r.done)
          throw new Error(`the stream ended after ${out.length} of ${n} events: ${JSON.stringify(out)}`);
        out.push(r.value);
      }
      return out;
    },
    async rest(timeoutMs = 20_000) {
      const out: SseMessage[] = [];
      for (;;) {
        const r = await pull(timeoutMs, "the end of the stream");
        if (r.done) return out;
        out.push(r.value);
      }
    },
    close: () => controller.abort(),
  };
}

/** Waits until `check` passes, or fails naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise with its resolve, for steps a test releases. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export { expect };
