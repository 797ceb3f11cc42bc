// The server benchmark's fixture: a real SQLite store, an engine and worker in this process, the
// HTTP API on a loopback socket with a key, and an SSE reader. Measures nothing.
import type { Workflow } from "../src/engine/workflow.js";
import { workflow } from "../src/engine/workflow.js";
import { Worker } from "../src/engine/worker.js";
import { issueApiKey } from "../src/server/api-keys.js";
import type { CairnApp } from "../src/server/app.js";
import { createApp } from "../src/server/app.js";
import { keyAuth } from "../src/server/auth.js";
import type { RunningServer } from "../src/server/listen.js";
import { listen } from "../src/server/listen.js";
import { silentLogger } from "../src/shared/logger.js";
import type { Synchronous } from "./support.js";
import { openEngine, tempStore } from "./support.js";

export const TOKENS = 2_000;

/** One no-op step: what a start costs, not what a run does. */
export const noop = workflow("noop", async ({ step }) => step.run("only", () => 1));

/** Holds the ticker until every subscriber is attached; `reset()` closes it again. */
export const go: { open: () => void; promise: Promise<void> } = {
  open: () => {},
  promise: Promise.resolve(),
};
export function reset(): void {
  go.promise = new Promise<void>((r) => (go.open = r));
}
reset();

/** Waits for `go`, then `n` steps, one every `gapMs`: commits spaced out, each delivered on its own. */
export const ticker = workflow("ticker", async ({ input, step }) => {
  const { n, gapMs } = input as { n: number; gapMs: number };
  await step.run("go", () => go.promise);
  for (let i = 0; i < n; i++) {
    await step.run(`tick-${i}`, async () => {
      await new Promise((r) => setTimeout(r, gapMs));
      return i;
    });
  }
  return n;
});

/** A 2,000-token answer produced at the same pace whether streamed or not. */
export const answer = workflow("answer", async ({ input, step }) => {
  const { stream } = input as { stream: boolean };
  return step.run("model", async (ctx) => {
    let text = "";
    for (let i = 0; i < TOKENS; i++) {
      const token = `tok${i} `;
      text += token;
      if (stream) ctx.progress({ type: "text-delta", text: token });
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
    }
    return text.length;
  });
});

export const WORKFLOWS: Workflow[] = [noop, ticker, answer];

export interface ServerFixture {
  cairn: CairnApp;
  server: RunningServer;
  worker: Worker;
  key: string;
  path: string;
  engine: ReturnType<typeof openEngine>;
  close(): Promise<void>;
}

export async function openServer(synchronous: Synchronous): Promise<ServerFixture> {
  const store = tempStore("server");
  const engine = openEngine(store.path, synchronous, WORKFLOWS);
  const cairn = createApp({ engine, auth: keyAuth(engine.journal), logger: silentLogger, rateLimit: false });
  const server = await listen(cairn, { port: 0 });
  const { key } = await issueApiKey(engine.journal, {
    workspace: "default",
    name: "bench",
    scopes: ["admin"],
  });
  const worker = new Worker(engine, { pollIntervalMs: 5, concurrency: 20 });
  return {
    cairn,
    server,
    worker,
    key,
    path: store.path,
    engine,
    close: async () => {
      await server.close();
      await worker.stop();
      await engine.journal.close();
      store.cleanup();
    },
  };
}
