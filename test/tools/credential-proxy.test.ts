/**
 * The credential proxy: a tool's credential goes to its hosts only, added by the proxy; the
 * model, the journal and the tool's result see a placeholder, even when a remote echoes it back.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { Vault } from "../../src/store/vault.js";
import { httpTool } from "../../src/tools/http/http-tool.js";
import { harness } from "../helpers.js";
import { localServer, useMasterKey } from "./net-support.js";

useMasterKey();
const TOKEN = "ghp_proxy_secret_5f3c9a";

/** A model that makes the given calls in turn, then answers; it records every prompt it was sent. */
function model(turns: ScriptedReply[], prompts: string[]) {
  return scriptedModel({
    name: "m",
    respond: (prompt) => {
      prompts.push(promptText(prompt));
      return turns[prompts.length - 1] ?? { text: "done" };
    },
  });
}

async function everything(h: Awaited<ReturnType<typeof harness>>, runId: string): Promise<string> {
  const steps = await h.journal.loadSteps("default", runId);
  const entries = await h.journal.readEntries("default", runId);
  const attempts = await h.journal.loadAttempts("default", runId);
  return JSON.stringify([steps, entries, attempts]);
}

describe("credential proxy", () => {
  it("injects the credential for its host only; the echo, the journal and the model see a placeholder", async () => {
    const api = await localServer();
    const other = await localServer();
    const prompts: string[] = [];
    const http = httpTool({
      credentials: { github: { hosts: [api.host], header: "Authorization: Bearer {{secret}}" } },
    });
    const a = agent({
      name: "octo",
      instructions: "",
      model: model(
        [
          { toolCalls: [{ name: "http", args: { method: "GET", url: `${api.url}/user` } }] },
          {
            toolCalls: [
              { name: "http", args: { method: "POST", url: `${other.url}/collect`, body: { x: 1 } } },
            ],
          },
        ],
        prompts,
      ),
      tools: { http },
    });
    const h = await harness([a.workflow]);
    await new Vault(h.journal.secrets).set({ workspace: "default", user: "ada", name: "github" }, TOKEN);
    const { runId } = await h.engine.start(a.workflow, { message: "who am I?", user: "ada" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");

    expect(api.received[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(other.received[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(other.received)).not.toContain(TOKEN);
    // The echo came back with the token in it: the model saw the placeholder.
    expect(prompts[1]).toContain("Bearer {{credential:github}}");
    expect(prompts[2]).toContain(`credential github was not sent to ${other.host}`);
    expect(prompts.join("\n")).not.toContain(TOKEN);
    expect(await everything(h, runId)).not.toContain(TOKEN);
  });

  it("a credential never follows a redirect to another host", async () => {
    const elsewhere = await localServer();
    const api = await localServer((_req, res) => {
      res.statusCode = 302;
      res.setHeader("location", `${elsewhere.url}/landing`);
      res.end();
    });
    const prompts: string[] = [];
    const a = agent({
      name: "redirected",
      instructions: "",
      model: model([{ toolCalls: [{ name: "http", args: { url: `${api.url}/start` } }] }], prompts),
      tools: {
        http: httpTool({ credentials: { svc: { hosts: [api.host], header: "X-Api-Key: {{secret}}" } } }),
      },
    });
    const h = await harness([a.workflow]);
    await new Vault(h.journal.secrets).set({ workspace: "default", user: null, name: "svc" }, TOKEN);
    await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    expect(api.received[0]!.headers["x-api-key"]).toBe(TOKEN);
    expect(elsewhere.received).toHaveLength(1);
    expect(elsewhere.received[0]!.headers["x-api-key"]).toBeUndefined();
    expect(prompts[1]).toContain(`credential svc was not sent to ${elsewhere.host}`);
  });

  it("ctx.fetch swaps a placeholder for the value; a tool's error quoting it is redacted", async () => {
    const api = await localServer((req, res) => {
      res.statusCode = 403;
      res.end(`forbidden for key ${String(req.headers["x-key"])}`);
    });
    const prompts: string[] = [];
    const custom = tool({
      description: "Calls the API",
      input: z.object({}),
      retries: 0,
      credentials: { key: { hosts: [api.host], header: "X-Trace: cairn {{secret}}" } },
      execute: async (_args, ctx) => {
        const res = await ctx.fetch(`${api.url}/thing`, { headers: { "x-key": ctx.credentials.key! } });
        throw new Error(`API said ${res.status}: ${await res.text()}`);
      },
    });
    const a = agent({
      name: "custom",
      instructions: "",
      model: model([{ toolCalls: [{ name: "custom", args: {} }] }], prompts),
      tools: { custom },
    });
    const h = await harness([a.workflow]);
    await new Vault(h.journal.secrets).set({ workspace: "default", user: "ada", name: "key" }, TOKEN);
    const { runId } = await h.engine.start(a.workflow, { message: "go", user: "ada" });
    await h.drain();
    expect(api.received[0]!.headers["x-key"]).toBe(TOKEN);
    expect(api.received[0]!.headers["x-trace"]).toBe(`cairn ${TOKEN}`);
    expect(prompts[1]).toContain("API said 403: forbidden for key {{credential:key}}");
    expect(prompts.join("\n")).not.toContain(TOKEN);
    expect(await everything(h, runId)).not.toContain(TOKEN);
  });

  it("a run for one user never gets another user's credential; the model is told what is missing", async () => {
    const api = await localServer();
    const prompts: string[] = [];
    const a = agent({
      name: "scoped",
      instructions: "",
      model: model([{ toolCalls: [{ name: "http", args: { url: `${api.url}/me` } }] }], prompts),
      tools: { http: httpTool({ credentials: { github: { hosts: [api.host] } } }) },
    });
    const h = await harness([a.workflow]);
    await new Vault(h.journal.secrets).set({ workspace: "default", user: "bob", name: "github" }, TOKEN);
    await h.engine.start(a.workflow, { message: "go", user: "ada" });
    await h.drain();
    expect(api.received).toHaveLength(0);
    expect(prompts[1]).toContain("there is no secret github for user ada");
    expect(prompts.join("\n")).not.toContain(TOKEN);
  });
});
