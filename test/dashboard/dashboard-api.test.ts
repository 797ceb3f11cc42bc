import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CairnClient } from "../../src/client/index.js";
import { tempDir } from "../helpers.js";
import { chatAgent, waitsForEvent } from "../server/fixtures.js";
import { serverHarness } from "../server/support.js";

/** A built dashboard as Vite lays it out: index.html, hashed assets, a public file. */
function fakeBuild(): string {
  const dir = tempDir("cairn-dashboard-");
  mkdirSync(join(dir, "assets"));
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><html><head><meta name="cairn-auth" content="keys" /></head><body>app</body></html>',
  );
  writeFileSync(join(dir, "assets/index-abc123.js"), "console.log('app')");
  writeFileSync(join(dir, "favicon.svg"), "<svg/>");
  return dir;
}

describe("the dashboard's static files, served at / beside the API", () => {
  it("serves its files by exact path, index.html for page paths, and leaves /v1 to the API", async () => {
    const s = await serverHarness([waitsForEvent], { app: { dashboard: fakeBuild() } });
    const page = await fetch(`${s.url}/runs/run_123?status=failed`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    // A server with keys says so to the page, which asks for one before calling the API.
    expect(await page.text()).toContain('<meta name="cairn-auth" content="keys"');
    const asset = await fetch(`${s.url}/assets/index-abc123.js`);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await asset.text()).toBe("console.log('app')");
    // Nothing else on disk is reachable, however the path is spelled.
    for (const path of [
      "/assets/missing.js",
      "/../package.json",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/..%2f..%2fpackage.json",
    ]) {
      const res = await fetch(`${s.url}${path}`);
      const text = await res.text();
      expect(text, path).not.toContain('"name"');
      expect(text, path).not.toContain("root:");
    }
    expect((await fetch(`${s.url}/assets/missing.js`)).status).toBe(404);
    // The API keeps its own answers: JSON errors, keys required.
    const unknown = await s.call("GET", "/v1/nope", { key: await s.key() });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: "CAIRN_NOT_FOUND" } });
    expect((await s.call("GET", "/v1/runs")).status).toBe(401);
  });

  it("tells the page that an open server (cairn dev) needs no key, and says how to build a missing dashboard", async () => {
    const open = await serverHarness([waitsForEvent], { open: true, app: { dashboard: fakeBuild() } });
    expect(await (await fetch(`${open.url}/`)).text()).toContain('<meta name="cairn-auth" content="open"');
    const missing = await serverHarness([waitsForEvent], { app: { dashboard: tempDir("cairn-empty-") } });
    const res = await fetch(`${missing.url}/`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("npm run build");
  });
});

describe("the API the dashboard reads", () => {
  it("lists what can be started, with agents' tools and their argument schemas", async () => {
    const s = await serverHarness([waitsForEvent], { agents: [chatAgent()] });
    const client = new CairnClient({ baseUrl: s.url, apiKey: await s.key(["read"]) });
    const workflows = await client.workflows();
    expect(workflows.map((w) => [w.name, w.kind])).toEqual([
      ["helper", "agent"],
      ["waits-for-event", "workflow"],
    ]);
    const helper = workflows.find((w) => w.name === "helper")!;
    expect(helper.model).toBe("scripted:script");
    expect(helper.tools).toEqual([
      {
        name: "post",
        description: "Posts a message",
        needsApproval: true,
        inputSchema: expect.objectContaining({
          type: "object",
          properties: { text: { type: "string" } },
          required: ["text"],
        }) as unknown,
      },
    ]);
  });

  it("gives a tool call's approval the tool's argument schema, and lists sessions by latest activity", async () => {
    const s = await serverHarness([], { agents: [chatAgent()] });
    s.startWorker();
    const client = new CairnClient({ baseUrl: s.url, apiKey: await s.key(["admin"]) });
    expect(await client.sessions()).toEqual([]);
    const first = await client.send("helper", "first", "hello");
    await client.result(first.runId, { timeoutMs: 20_000 });
    const { runId } = await client.send("helper", "second", "post the news");
    const deadline = Date.now() + 20_000;
    let pending = await client.approvals({ runId });
    while (pending.length === 0) {
      if (Date.now() > deadline) throw new Error("no approval was requested within 20 s");
      await new Promise((r) => setTimeout(r, 50));
      pending = await client.approvals({ runId });
    }
    expect(pending[0]!.argsSchema).toMatchObject({ type: "object", required: ["text"] });
    const sessions = await client.sessions();
    expect(sessions.map((x) => [x.agent, x.session, x.runs])).toEqual([
      ["helper", "second", 1],
      ["helper", "first", 1],
    ]);
    expect(sessions[0]).toMatchObject({ lastRunId: runId, lastStatus: "waiting" });
    expect(await client.sessions({ agent: "helper" })).toHaveLength(2);
    const nobody = await s.call("GET", "/v1/sessions?agent=nobody", { key: await s.key(["read"]) });
    expect(nobody.status).toBe(404);
    expect(nobody.body).toMatchObject({
      error: { message: expect.stringContaining('no agent "nobody"') as unknown },
    });
  });
});
