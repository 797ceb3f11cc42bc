/**
 * The canary: a secret planted in the vault and used by an agent through the proxy (a remote that
 * echoes it back, a tool that throws, logs and streams it, an MCP call, a denied call), driven by
 * the fake model server over the real provider code. Afterwards its plaintext is nowhere: not in
 * the store's files (SQLite) or tables (PostgreSQL), the run's SSE stream, the logs, the traces
 * (with contents), or any request the model server received.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createOpenAI } from "@ai-sdk/openai";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { tool } from "../../src/agent/tool.js";
import { parseSse } from "../../src/client/sse.js";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import type { Logger } from "../../src/shared/logger.js";
import { createApp } from "../../src/server/app.js";
import type { SpanRecord } from "../../src/telemetry/span-record.js";
import { startTracing } from "../../src/telemetry/start-tracing.js";
import { openAuth } from "../../src/server/auth.js";
import { listen } from "../../src/server/listen.js";
import { Vault } from "../../src/store/vault.js";
import { httpTool } from "../../src/tools/http/http-tool.js";
import { closeMcpSessions } from "../../src/tools/mcp/mcp-connection.js";
import { mcpServer } from "../../src/tools/mcp/mcp-server.js";
import { harness, tempDir } from "../helpers.js";
import { startFakeModelServer } from "../support/fake-model-server.js";
import { localServer, useMasterKey } from "./net-support.js";

useMasterKey();
afterEach(() => closeMcpSessions());

const CANARY = `canary-${Math.random().toString(36).slice(2)}-ZX81`;
const FORMS = [CANARY, Buffer.from(CANARY).toString("base64")];

/** A logger that keeps every line, at every level, as a log file would. */
function recordingLogger(lines: string[]): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(JSON.stringify({ level, message, ...fields }));
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function expectNowhere(where: string, text: string): void {
  for (const form of FORMS) expect(text.includes(form), `${where} contains the canary (${form})`).toBe(false);
}

describe("the canary", () => {
  it("is used through the proxy and found nowhere afterwards", { timeout: 60_000 }, async () => {
    const api = await localServer(); // echoes every request back, headers included
    const other = await localServer();
    const model = await startFakeModelServer();
    const dir = tempDir();
    const logs: string[] = [];

    const leaky = tool({
      description: "Calls the API, logs and streams its answer, then fails quoting it",
      input: z.object({}),
      retries: 0, // the harness's clock is manual: a retry would wait for it
      credentials: { svc: { hosts: [api.host] } },
      execute: async (_args, ctx) => {
        const res = await ctx.fetch(`${api.url}/leak?key=${ctx.credentials.svc!}`);
        const body = await res.text();
        ctx.logger.warn(`the API answered ${body}`, { body });
        ctx.progress({ seen: body });
        throw new Error(`the API rejected us: ${body}`);
      },
    });
    const calc = mcpServer({
      name: "calc",
      command: process.execPath,
      args: ["--import", "tsx", resolve(import.meta.dirname, "mcp-fixture-server.ts")],
      cwd: resolve(import.meta.dirname, "../.."),
      env: { MCP_LOG: join(dir, "mcp.log") },
    });
    const a = agent({
      name: "canary-agent",
      instructions: "Use the tools.",
      model: createOpenAI({ baseURL: model.openaiBaseURL, apiKey: "test" }).chat("gpt-4.1-mini"),
      tools: {
        http: httpTool({
          credentials: { svc: { hosts: [api.host], header: "Authorization: Bearer {{secret}}" } },
        }),
        leaky,
      },
      mcp: [calc.tools({ allow: ["add", "wipe"] })],
      toolPolicy: { deny: ["calc_wipe"] },
    });
    model.script([
      {
        toolCalls: [
          { name: "http", args: { method: "POST", url: `${api.url}/echo`, body: { hello: "world" } } },
          { name: "http", args: { method: "GET", url: `${other.url}/elsewhere` } },
        ],
      },
      {
        toolCalls: [
          { name: "leaky", args: {} },
          { name: "calc_add", args: { a: 40, b: 2 } },
          { name: "calc_wipe", args: {} },
        ],
      },
      { text: "All done." },
    ]);

    const h = await harness([]);
    const engine = new Engine({ journal: h.journal, workflows: [a.workflow], logger: recordingLogger(logs) });
    const worker = new Worker(engine, { pollIntervalMs: 5 });
    // Traces with contents (tool arguments and results) on: the canary must not be in them either.
    const spans: SpanRecord[] = [];
    const tracing = await startTracing(engine, {
      agents: new Map([[a.name, a]]),
      content: true,
      sink: { emit: (span) => spans.push(span), flush: async () => {}, shutdown: async () => {} },
    });
    const app = createApp({
      engine,
      auth: openAuth("default", "dev"),
      logger: recordingLogger(logs),
      rateLimit: false,
    });
    const server = await listen(app, { port: 0 });
    try {
      await new Vault(h.journal.secrets).set({ workspace: "default", user: "ada", name: "svc" }, CANARY);
      const { runId } = await engine.start(a.workflow, { message: "go", user: "ada" });
      const res = await fetch(`${server.url}/v1/runs/${runId}/stream`, {
        headers: { accept: "text/event-stream" },
      });
      worker.start();
      const events: string[] = [];
      const deadline = setTimeout(() => void res.body?.cancel(), 25_000);
      for await (const e of parseSse(res.body!)) events.push(`${e.event ?? ""} ${e.data}`);
      clearTimeout(deadline);
      await worker.stop();
      await tracing?.flush();

      const run = await h.journal.getRun("default", runId);
      expect(run?.status, "the run finished within 25 s").toBe("completed");

      // It was used: the allowed host got it (header and query), the other host did not.
      expect(api.received[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
      expect(api.received[1]!.path).toBe(`/leak?key=${CANARY}`);
      expect(JSON.stringify(other.received)).not.toContain(CANARY);
      // The MCP call ran once, as a step; the denied call was explained to the model.
      expect(readFileSync(join(dir, "mcp.log"), "utf8")).toBe("start\nadd 40 2\n");
      const steps = await h.journal.loadSteps("default", runId);
      expect(steps.find((s) => s.stepId === "tool.calc_add")?.output).toBe("42");
      const sentToModel = JSON.stringify(model.requests.map((r) => r.body));
      expect(sentToModel).toContain("the tool policy denied this call of calc_wipe");
      expect(sentToModel).toContain("Bearer {{credential:svc}}");
      expect(sentToModel).toContain(`credential svc was not sent to ${other.host}`);
      expect(sentToModel).toContain("the API rejected us");

      // …and it is nowhere.
      expectNowhere("the requests to the model", sentToModel);
      expectNowhere("the SSE stream", events.join("\n"));
      expect(events.some((e) => e.startsWith("run.ended"))).toBe(true);
      expectNowhere("the logs", logs.join("\n"));
      expect(
        spans.some((sp) => sp.name === "execute_tool leaky"),
        "traced the tool calls",
      ).toBe(true);
      expect(JSON.stringify(spans), "traces carry tool results").toContain("{{credential:svc}}");
      expectNowhere("the traces", JSON.stringify(spans));
      expect(logs.join("\n")).toContain("the API answered");
      expectNowhere(
        "the journal's API",
        JSON.stringify([steps, await h.journal.readEntries("default", runId)]),
      );
      if (h.store === "sqlite") {
        await h.journal.close();
        for (const f of readdirSync(h.dir).filter((f) => f.startsWith("cairn.db")))
          expectNowhere(`the SQLite file ${f}`, readFileSync(join(h.dir, f)).toString("latin1"));
      } else {
        const tables = await h.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
        expect(tables.length).toBeGreaterThan(5);
        for (const { tablename } of tables) {
          const rows = await h.sql(`SELECT t::text AS row FROM "${String(tablename)}" t`);
          expectNowhere(
            `the PostgreSQL table ${String(tablename)}`,
            rows.map((r) => String(r.row)).join("\n"),
          );
        }
      }
    } finally {
      await server.close();
      app.close();
      await model.close();
    }
  });
});
