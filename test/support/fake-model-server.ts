/**
 * A local HTTP server that speaks the wire formats of OpenAI Chat Completions (`POST /v1/chat/completions`),
 * OpenAI Responses (`POST /v1/responses`) and Anthropic Messages (`POST /v1/messages`), so the real AI SDK
 * provider code runs against scripted model turns. See fake-model/*.ts for each API's frames and bodies.
 *
 * In-process: `const server = await startFakeModelServer(); server.script([...]);` then point
 * `createOpenAI({ baseURL: server.openaiBaseURL })` / `createAnthropic({ baseURL: server.anthropicBaseURL })` at it.
 *
 * Standalone: `node --import tsx test/support/fake-model-server.ts --port N --script turns.json` prints
 * `listening on URL`; `GET /_fake/requests` answers `{ count, requests }` (also in-process).
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { anthropic } from "./fake-model/anthropic.js";
import { readBody, sendCutJson, sendFrames, sendJson } from "./fake-model/http.js";
import { openaiChat } from "./fake-model/openai-chat.js";
import { openaiResponses } from "./fake-model/openai-responses.js";
import { planTurn } from "./fake-model/plan.js";
import type { FakeModelServer, RecordedRequest, ScriptedTurn } from "./fake-model/types.js";
import type { WireFormat } from "./fake-model/wire.js";

export type {
  ApiName,
  FakeModelServer,
  RecordedRequest,
  ScriptedToolCall,
  ScriptedTurn,
  ScriptedUsage,
} from "./fake-model/types.js";

const FORMATS: WireFormat[] = [openaiChat, openaiResponses, anthropic];

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export async function startFakeModelServer(
  options: { port?: number; host?: "127.0.0.1" } = {},
): Promise<FakeModelServer> {
  const host = options.host ?? "127.0.0.1";
  const queue: ScriptedTurn[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; wake: () => void }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let responder: ((req: RecordedRequest) => ScriptedTurn) | undefined;
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t); // close() clears it: the handler then never resumes, and its socket is destroyed
    });

  async function handleModel(format: WireFormat, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJson(await readBody(req));
    const recorded: RecordedRequest = {
      api: format.api,
      path: format.path,
      body,
      stream: asObject(body).stream === true,
      headers: headersOf(req),
    };
    requests.push(recorded);
    const seq = requests.length;
    for (const w of waiters.filter((w) => requests.length >= w.count)) w.wake();

    const fail = (message: string) => {
      console.error(message);
      sendJson(res, 500, format.error(500, message));
    };
    let turn: ScriptedTurn | undefined;
    try {
      turn = queue.length > 0 ? queue.shift() : responder?.(recorded);
    } catch (err) {
      return fail(`fake-model-server: respond() threw for request #${seq} (${format.path}): ${String(err)}`);
    }
    if (turn === undefined) {
      return fail(
        `fake-model-server: the script ran out: request #${seq} (${format.api} ${format.path}) has no scripted turn ` +
          `(${seq - 1} turn(s) were consumed); add turns with script() or set respond()`,
      );
    }
    while ("delayMs" in turn) {
      await sleep(turn.delayMs);
      if (res.destroyed) return; // the client went away (e.g. was SIGKILLed) while we waited
      turn = turn.then;
    }
    let plan;
    try {
      plan = planTurn(turn, format.toolIdPrefix, seq);
    } catch (err) {
      return fail(`fake-model-server: invalid scripted turn for request #${seq}: ${String(err)}`);
    }
    if (plan.kind === "error") {
      const headers: Record<string, string> =
        plan.retryAfter === undefined ? {} : { "retry-after": String(plan.retryAfter) };
      return sendJson(res, plan.status, format.error(plan.status, plan.message), headers);
    }
    const b = asObject(body);
    const ctx = {
      seq,
      model: typeof b.model === "string" ? b.model : "fake-model",
      created: Math.floor(Date.now() / 1000),
      body: b,
    };
    if (recorded.stream) return sendFrames(res, format.stream(plan.completion, ctx), plan.cutAfterDeltas);
    if (plan.cutAfterDeltas !== undefined) return sendCutJson(res, format.json(plan.completion, ctx));
    sendJson(res, 200, format.json(plan.completion, ctx));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "GET" && path === "/_fake/requests") {
      return sendJson(res, 200, { count: requests.length, requests });
    }
    const format = req.method === "POST" ? FORMATS.find((f) => f.path === path) : undefined;
    if (format === undefined) {
      const message = `fake-model-server: no route for ${req.method} ${path}`;
      console.error(message);
      return sendJson(res, 404, {
        error: { message, type: "invalid_request_error", param: null, code: null },
      });
    }
    return handleModel(format, req, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error("fake-model-server: handler failed:", err);
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: "server_error" } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: `${url}/v1`,
    requests,
    script(turns) {
      queue.push(...turns);
    },
    respond(fn) {
      responder = fn;
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve([...requests]);
      return new Promise((resolve, reject) => {
        const waiter = {
          count,
          wake: () => {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(waiter), 1);
            resolve([...requests]);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `fake-model-server: ${requests.length} request(s) after ${timeoutMs} ms, wanted ${count}`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}

/** Standalone mode: `--port N` (default 0) and `--script path.json` (a JSON array of ScriptedTurn). */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const server = await startFakeModelServer({ port: Number(arg("--port") ?? 0) });
  const scriptPath = arg("--script");
  if (scriptPath !== undefined) {
    const turns = JSON.parse(await readFile(scriptPath, "utf8")) as unknown;
    if (!Array.isArray(turns)) throw new Error(`${scriptPath}: expected a JSON array of scripted turns`);
    server.script(turns as ScriptedTurn[]);
  }
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  console.log(`listening on ${server.url}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolvePath(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
