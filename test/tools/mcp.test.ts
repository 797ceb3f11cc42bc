/**
 * MCP servers as tools, against a real MCP server made with the SDK's server side: over stdio (a
 * child process) and Streamable HTTP. Each call is a memoized step; a dead server is restarted; a
 * tool list that changed under a run is caught; HTTP credentials come from the vault via the proxy.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { loadAgentProfile } from "../../src/agent/profile.js";
import { defineConfig } from "../../src/cli/define-config.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { decideApproval } from "../../src/agent/tool-approval.js";
import { Vault } from "../../src/store/vault.js";
import { closeMcpSessions } from "../../src/tools/mcp/mcp-connection.js";
import { mcpServer } from "../../src/tools/mcp/mcp-server.js";
import { harness, tempDir } from "../helpers.js";
import { startHttpMcpServer } from "./mcp-fixture-server.js";
import { useMasterKey } from "./net-support.js";

useMasterKey();
afterEach(() => closeMcpSessions());

const FIXTURE = resolve(import.meta.dirname, "mcp-fixture-server.ts");

function stdioServer(dir: string) {
  const log = join(dir, "mcp.log");
  const server = mcpServer({
    name: "calc",
    command: process.execPath,
    args: ["--import", "tsx", FIXTURE],
    cwd: resolve(import.meta.dirname, "../.."),
    env: { MCP_LOG: log, MCP_CRASH_MARKER: join(dir, "crashed"), MCP_VARIANT_FILE: join(dir, "variant") },
  });
  const lines = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  return { server, lines, variantFile: join(dir, "variant") };
}

function model(turns: ScriptedReply[], prompts: string[]) {
  return scriptedModel({
    name: "m",
    respond: (prompt) => {
      prompts.push(promptText(prompt));
      return turns[prompts.length - 1] ?? { text: "done" };
    },
  });
}

/** A local tool that waits for a person: the run suspends and later resumes by replay. */
const confirm = tool({
  description: "Asks a person",
  input: z.object({}),
  needsApproval: true,
  execute: () => "confirmed",
});

describe("MCP tools", () => {
  it("stdio: a call is a step, memoized across a resume; the listing's hash is journaled", async () => {
    const { server, lines } = stdioServer(tempDir());
    const prompts: string[] = [];
    const a = agent({
      name: "calc-agent",
      instructions: "",
      model: model(
        [
          { toolCalls: [{ name: "calc_add", args: { a: 2, b: 3 } }] },
          { toolCalls: [{ name: "confirm", args: {} }] },
        ],
        prompts,
      ),
      tools: { confirm },
      mcp: [server.tools({ allow: ["add"] })],
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "add" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("waiting");
    const [pending] = await h.journal.listApprovals("default", { status: "pending" });
    await h.engine.decide(pending!.id, { approve: true, by: "ops" });
    await closeMcpSessions(); // as if the run resumed in another process
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(lines().filter((l) => l.startsWith("add"))).toEqual(["add 2 3"]);
    expect(prompts[1]).toContain('"5"');
    const steps = await h.journal.loadSteps("default", runId);
    const listing = steps.find((s) => s.stepId === "mcp.calc")!.output as {
      hash: string;
      tools: { name: string }[];
    };
    expect(listing.tools.map((t) => t.name)).toEqual(["add"]);
    expect(listing.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(steps.find((s) => s.stepId === "tool.calc_add")?.output).toBe("5");
  });

  it("stdio: a server that dies mid-call is started again and the call retried", async () => {
    const { server, lines } = stdioServer(tempDir());
    const prompts: string[] = [];
    const a = agent({
      name: "crashy",
      instructions: "",
      model: model([{ toolCalls: [{ name: "calc_crash", args: {} }] }], prompts),
      mcp: [server.tools({ allow: ["crash"] })],
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    for (let i = 0; i < 10 && (await h.journal.getRun("default", runId))?.status !== "completed"; i++)
      await h.advance(60_000);
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(lines().filter((l) => l === "start")).toHaveLength(2);
    expect(lines()).toContain("crash survived");
    expect(prompts[1]).toContain("survived");
  });

  it("stdio: a tool list that changed between the run's start and its resume is caught", async () => {
    const { server, lines, variantFile } = stdioServer(tempDir());
    const prompts: string[] = [];
    const a = agent({
      name: "changed",
      instructions: "",
      model: model(
        [
          { toolCalls: [{ name: "confirm", args: {} }] },
          { toolCalls: [{ name: "calc_add", args: { a: 1, b: 1 } }] },
        ],
        prompts,
      ),
      tools: { confirm },
      mcp: [server.tools({ allow: ["add"] })],
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    // While the run waits, the server is upgraded: `add` now says something else.
    writeFileSync(variantFile, "v2");
    await closeMcpSessions();
    const [pending] = await h.journal.listApprovals("default", { status: "pending" });
    await h.engine.decide(pending!.id, { approve: true, by: "ops" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(lines().filter((l) => l.startsWith("add"))).toEqual([]);
    expect(prompts[2]).toMatch(
      /MCP server calc changed its tools since this run started \(changed add; tool list hash/,
    );
  });

  it("HTTP: the token comes from the vault through the proxy; only allowed tools are shown; approval per tool", async () => {
    const TOKEN = "mcp_http_token_7d1e";
    const log = join(tempDir(), "http.log");
    const remote = await startHttpMcpServer(TOKEN, { log });
    try {
      const server = mcpServer({
        name: "remote",
        url: remote.url,
        credentials: { remote_mcp: { hosts: [remote.host] } },
      });
      const prompts: string[] = [];
      const seenTools: string[][] = [];
      const a = agent({
        name: "remote-agent",
        instructions: "",
        model: scriptedModel({
          name: "m",
          respond: (prompt) => {
            prompts.push(promptText(prompt));
            return prompts.length === 1
              ? { toolCalls: [{ name: "remote_add", args: { a: 2, b: 2 } }] }
              : { text: "ok" };
          },
        }),
        mcp: [server.tools({ allow: ["add"], approval: ["add"] })],
      });
      const h = await harness([a.workflow]);
      await new Vault(h.journal.secrets).set(
        { workspace: "default", user: "ada", name: "remote_mcp" },
        TOKEN,
      );
      const { runId } = await h.engine.start(a.workflow, { message: "sum", user: "ada" });
      await h.drain();
      const [pending] = await h.journal.listApprovals("default", { status: "pending" });
      expect(pending?.title).toBe("remote-agent wants to call remote_add");
      // The approver changes the arguments; the run checks them against the listed schema.
      const agents = new Map([[a.name, a]]);
      await decideApproval(h.engine, agents, pending!.id, {
        approve: true,
        by: "ops",
        args: { a: 20, b: 22 },
      });
      await h.drain();
      expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
      expect(readFileSync(log, "utf8")).toBe("add 20 22\n");
      expect(prompts[1]).toContain("42");
      expect(remote.auth.length).toBeGreaterThan(1);
      expect(remote.auth.every((x) => x === `Bearer ${TOKEN}`)).toBe(true);
      const listing = (await h.journal.loadSteps("default", runId)).find((s) => s.stepId === "mcp.remote")!;
      seenTools.push((listing.output as { tools: { name: string }[] }).tools.map((t) => t.name));
      expect(seenTools).toEqual([["add"]]);
      const all = JSON.stringify([
        await h.journal.loadSteps("default", runId),
        await h.journal.readEntries("default", runId),
      ]);
      expect(all).not.toContain(TOKEN);
    } finally {
      await remote.close();
    }
  });

  it("a profile takes the tools of an MCP server declared in the config", async () => {
    const dir = tempDir();
    const { server, lines } = stdioServer(dir);
    const config = defineConfig({ mcp: [server] });
    const path = join(dir, "calc.yaml");
    writeFileSync(
      path,
      "name: calc-profile\ninstructions: x\nmodel: openai:gpt-4.1-mini\nmcp: { calc: { allow: [add] } }\n",
    );
    const a = loadAgentProfile(
      path,
      {},
      undefined,
      Object.fromEntries((config.mcp ?? []).map((m) => [m.name, m])),
    );
    const prompts: string[] = [];
    const scripted = agent({
      ...a.options,
      model: model([{ toolCalls: [{ name: "calc_add", args: { a: 4, b: 5 } }] }], prompts),
    });
    const h = await harness([scripted.workflow]);
    await h.engine.start(scripted.workflow, { message: "go" });
    await h.drain();
    expect(lines()).toContain("add 4 5");
    writeFileSync(
      path,
      "name: p\ninstructions: x\nmodel: openai:gpt-4.1-mini\nmcp: { nope: { allow: [add] } }\n",
    );
    expect(() => loadAgentProfile(path, {}, undefined, { calc: server })).toThrow(
      /unknown MCP server "nope" \(known: calc\)/,
    );
    expect(() => defineConfig({ mcp: [{ name: "x" }] as never })).toThrow(
      /"mcp" must be an array of mcpServer/,
    );
  });
});
