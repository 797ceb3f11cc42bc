import { describe, expect, it } from "vitest";
import { chatAgent, shipIt } from "./fixtures.js";
import { serverHarness } from "./support.js";

/**
 * Every route, called with a key of another workspace on ids of this one: 404 each time, and
 * nothing changed. The OpenAPI document's routes must all be in this table.
 */
describe("workspace isolation", () => {
  it("answers 404 to another workspace's key on every route that names an id, and lists nothing of ours", async () => {
    const helper = chatAgent();
    const s = await serverHarness([shipIt], {
      agents: [helper],
      app: { masterKey: { key: Buffer.alloc(32, 1) } },
    });
    const mine = await s.key(["admin"], "default", "alice");
    const theirs = await s.key(["admin"], "other", "alice");
    // Fixtures in "default": a run waiting for an approval, a session with a run, a key.
    const run = (await s.call("POST", "/v1/runs", { key: mine, body: { workflow: "ship-it" } })).body.run.id;
    await s.drain();
    const approval = (await s.call("GET", "/v1/approvals", { key: mine })).body.approvals[0].id;
    expect(approval).toBeTruthy();
    const sent = await s.call("POST", "/v1/sessions/helper/s1/messages", {
      key: mine,
      body: { message: "hi" },
    });
    expect(sent.status).toBe(202);
    await s.drain();
    const keyId = (await s.call("GET", "/v1/keys", { key: mine })).body.keys[0].id;
    const put = await s.call("PUT", "/v1/secrets/ours", { key: mine, body: { value: "ours-value-1" } });
    expect(put.status).toBe(200);

    const byId: [string, string, unknown?][] = [
      ["GET", `/v1/runs/${run}`],
      ["GET", `/v1/runs/${run}/result`],
      ["GET", `/v1/runs/${run}/stream`],
      ["POST", `/v1/runs/${run}/cancel`, {}],
      ["POST", `/v1/runs/${run}/steps/ship/retry`],
      ["POST", `/v1/runs/${run}/steps/ship/skip`, { output: 1 }],
      ["POST", `/v1/runs/${run}/fork`, { from: "ship" }],
      ["GET", `/v1/runs/${run}/diff/${run}`],
      ["DELETE", `/v1/runs/${run}`],
      ["GET", `/v1/approvals/${approval}`],
      ["POST", `/v1/approvals/${approval}/decision`, { approve: true }],
      ["GET", "/v1/sessions/helper/s1"],
      ["GET", "/v1/sessions/helper/s1/stream"],
      ["DELETE", `/v1/keys/${keyId}`],
      ["DELETE", "/v1/secrets/ours"],
    ];
    for (const [method, path, body] of byId) {
      const r = await s.call(method, path, { key: theirs, ...(body !== undefined ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain("stack");
    }
    // A chat of ours resumed from there: nothing in progress, as for a chat that never was.
    expect((await s.call("GET", "/v1/agents/helper/chat/s1/stream", { key: theirs })).status).toBe(204);
    // Lists and feeds show nothing of ours.
    expect((await s.call("GET", "/v1/runs", { key: theirs })).body.runs).toEqual([]);
    // A bulk action there matches nothing here, and their usage shows none of ours.
    const bulk = await s.call("POST", "/v1/runs/bulk", {
      key: theirs,
      body: { action: "cancel", filter: { workflow: "ship-it" } },
    });
    expect(bulk.body).toMatchObject({ matched: 0, runIds: [] });
    expect((await s.call("GET", "/v1/usage", { key: theirs })).body.buckets).toEqual([]);
    expect((await s.call("GET", "/v1/approvals?status=all", { key: theirs })).body.approvals).toEqual([]);
    expect((await s.call("GET", "/v1/sessions", { key: mine })).body.sessions).toHaveLength(1);
    expect((await s.call("GET", "/v1/sessions", { key: theirs })).body.sessions).toEqual([]);
    const theirKeys = (await s.call("GET", "/v1/keys", { key: theirs })).body.keys;
    expect(theirKeys.map((k: { id: string }) => k.id)).not.toContain(keyId);
    expect((await s.call("GET", "/v1/secrets", { key: theirs })).body.secrets).toEqual([]);
    const feed = await s.sse("/v1/events", { key: theirs });
    expect(feed.status).toBe(200);
    const late = await s.call("POST", "/v1/runs", { key: theirs, body: { workflow: "ship-it" } });
    const theirRun = late.body.run.id as string;
    const firstOfFeed = await feed.next(1);
    expect(JSON.parse(firstOfFeed[0]!.data)).toMatchObject({ runId: theirRun, type: "run.created" });
    feed.close();
    // Their writes do not reach ours: an event sent there wakes nothing here; a chat there starts its own session.
    const ev = await s.call("POST", "/v1/events", {
      key: theirs,
      body: { name: "go.now", data: {} },
    });
    expect(ev.body.resumedRuns).toEqual([]);
    // Nor can they forge Cairn's own events (approval.*, run.*, step.*).
    const forged = await s.call("POST", "/v1/events", {
      key: theirs,
      body: { name: "approval.decided", data: { approve: true } },
    });
    expect(forged.status).toBe(400);
    // Ours is untouched.
    const still = await s.call("GET", `/v1/runs/${run}`, { key: mine });
    expect(still.body.run.status).toBe("waiting");
    expect((await s.call("GET", `/v1/approvals/${approval}`, { key: mine })).body.status).toBe("pending");
    expect((await s.call("GET", "/v1/keys", { key: mine })).body.keys[0].revokedAt).toBeNull();
    expect((await s.call("GET", "/v1/secrets", { key: mine })).body.secrets).toHaveLength(1);

    // Every route of the API is in the table above or is a list, a create, or a public probe.
    const doc = (await s.call("GET", "/v1/openapi.json")).body;
    const covered = new Set([
      ...byId.map(([m, p]) => `${m} ${normalise(p, [run, approval, keyId])}`),
      "GET /v1/runs",
      "POST /v1/runs",
      "POST /v1/runs/bulk",
      "GET /v1/usage",
      "GET /v1/approvals",
      "GET /v1/sessions",
      // The server's own workflows and agents (its config), the same in every workspace.
      "GET /v1/workflows",
      "GET /v1/keys",
      "POST /v1/keys",
      "GET /v1/secrets",
      "PUT /v1/secrets/{name}",
      "GET /v1/events",
      "POST /v1/events",
      "POST /v1/sessions/{agent}/{session}/messages",
      "POST /v1/agents/{name}/chat",
      // Checked above: 204, as for a chat that never was.
      "GET /v1/agents/{name}/chat/{chatId}/stream",
      "GET /v1/health",
      "GET /v1/ready",
    ]);
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
      for (const m of Object.keys(methods)) {
        expect(covered, `${m.toUpperCase()} ${path} is not covered by the isolation test`).toContain(
          `${m.toUpperCase()} ${path}`,
        );
      }
    }
  });
});

function normalise(path: string, ids: string[]): string {
  let p = path.replace(`/diff/${ids[0]}`, "/diff/{b}");
  if (p !== path) p = p.replace(ids[0]!, "{a}");
  for (const id of ids) p = p.replace(id, "{id}");
  return p
    .replace("/secrets/ours", "/secrets/{name}")
    .replace("/steps/ship/", "/steps/{stepId}/")
    .replace("/sessions/helper/s1", "/sessions/{agent}/{session}")
    .replace("/agents/helper/chat/s1/", "/agents/{name}/chat/{chatId}/");
}
