import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/shared/clock.js";
import { shipIt } from "./fixtures.js";
import { eventually, serverHarness } from "./support.js";

describe("API keys and limits", () => {
  it("refuses a request without a key, with an unknown or revoked key, or without the scope", async () => {
    const s = await serverHarness([shipIt]);
    const none = await s.call("GET", "/v1/runs");
    expect(none).toMatchObject({ status: 401, body: { error: { code: "CAIRN_UNAUTHORIZED" } } });
    const unknown = await s.call("GET", "/v1/runs", { key: "cairn_not-a-real-key" });
    expect(unknown.status).toBe(401);
    const reader = await s.key(["read"]);
    expect((await s.call("GET", "/v1/runs", { key: reader })).status).toBe(200);
    const write = await s.call("POST", "/v1/runs", { key: reader, body: { workflow: "ship-it" } });
    expect(write).toMatchObject({ status: 403, body: { error: { code: "CAIRN_FORBIDDEN" } } });
    expect(write.body.error.message).toContain('"run" scope');
    expect((await s.call("GET", "/v1/keys", { key: reader })).status).toBe(403);
    const admin = await s.key(["admin"]);
    const created = await s.call("POST", "/v1/keys", { key: admin, body: { name: "ci", scopes: ["run"] } });
    expect(created.status).toBe(201);
    const fresh = created.body.key as string;
    expect(fresh).toMatch(/^cairn_/);
    // Shown once: the store has only its hash.
    const rows = await s.sql("SELECT * FROM api_keys");
    expect(JSON.stringify(rows)).not.toContain(fresh);
    expect((await s.call("POST", "/v1/runs", { key: fresh, body: { workflow: "ship-it" } })).status).toBe(
      202,
    );
    const revoked = await s.call("DELETE", `/v1/keys/${created.body.apiKey.id}`, { key: admin });
    expect(revoked.body.revokedAt).toEqual(expect.any(Number));
    const after = await s.call("POST", "/v1/runs", { key: fresh, body: { workflow: "ship-it" } });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain("revoked");
    const badScope = await s.call("POST", "/v1/keys", { key: admin, body: { name: "x", scopes: ["root"] } });
    expect(badScope.status).toBe(400);
    expect(badScope.body.error.message).toContain("body.scopes");
  });

  it("answers 429 with Retry-After once a key goes over its rate, and lets it in again later", async () => {
    const clock = new ManualClock();
    const s = await serverHarness([shipIt], { app: { rateLimit: { perSecond: 2, burst: 3 }, clock } });
    const k = await s.key(["read"]);
    const other = await s.key(["read"]);
    for (let i = 0; i < 3; i++) expect((await s.call("GET", "/v1/runs", { key: k })).status).toBe(200);
    const limited = await s.call("GET", "/v1/runs", { key: k });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("CAIRN_RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Per key: another key is not limited.
    expect((await s.call("GET", "/v1/runs", { key: other })).status).toBe(200);
    clock.advance(1000);
    expect((await s.call("GET", "/v1/runs", { key: k })).status).toBe(200);
  });

  it("answers 413 to a body over the limit, and never shows a stack trace", async () => {
    const s = await serverHarness([shipIt], { app: { bodyLimitBytes: 1024 } });
    const k = await s.key(["run"]);
    const big = await s.call("POST", "/v1/runs", {
      key: k,
      body: { workflow: "ship-it", input: { blob: "x".repeat(4096) } },
    });
    expect(big).toMatchObject({ status: 413, body: { error: { code: "CAIRN_PAYLOAD_TOO_LARGE" } } });
    const small = await s.call("POST", "/v1/runs", {
      key: k,
      body: { workflow: "ship-it", input: { blob: "x" } },
    });
    expect(small.status).toBe(202);
    // A run that failed: its error is shown without a stack.
    await s.drain();
    const all = await s.call("GET", "/v1/runs", { key: k });
    expect(JSON.stringify(all.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it("sends no CORS headers unless origins are configured, then only for them", async () => {
    const off = await serverHarness([shipIt]);
    const k = await off.key(["read"]);
    const plain = await off.call("GET", "/v1/runs", { key: k, headers: { origin: "https://app.example" } });
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    const on = await serverHarness([shipIt], { app: { corsOrigins: ["https://app.example"] } });
    const pre = await fetch(`${on.url}/v1/runs`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const foreign = await fetch(`${on.url}/v1/health`, { headers: { origin: "https://evil.example" } });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("serves health and readiness without a key", async () => {
    const s = await serverHarness([shipIt]);
    expect(await s.call("GET", "/v1/health")).toMatchObject({ status: 200, body: { ok: true } });
    const ready = await s.call("GET", "/v1/ready");
    expect(ready).toMatchObject({ status: 200, body: { ready: true, store: s.journal.dialect } });
    expect(ready.body.schema.version).toBe(ready.body.schema.latest);
    await s.sql("DELETE FROM cairn_migrations WHERE id = (SELECT MAX(id) FROM cairn_migrations)");
    const stale = await s.call("GET", "/v1/ready");
    expect(stale.status).toBe(503);
    expect(stale.body.reason).toContain("schema");
  });

  it("an open (development) server answers only requests addressed to loopback: no DNS rebinding", async () => {
    const s = await serverHarness([shipIt], { open: true });
    // Sent with a chosen Host header, as a browser does for a page whose name points at 127.0.0.1.
    const post = (host: string, url = s.url, key?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const auth = key === undefined ? {} : { authorization: `Bearer ${key}` };
        const req = request(
          `${url}/v1/keys`,
          { method: "POST", headers: { host, "content-type": "application/json", ...auth }, timeout: 20_000 },
          (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer to POST /v1/keys with Host ${host}`)));
        req.on("error", reject);
        req.end(JSON.stringify({ name: "k", scopes: ["admin"] }));
      });
    const port = new URL(s.url).port;
    const rebound = await post(`rebind.attacker.example:${port}`);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.message).toContain("addressed to localhost");
    expect(await s.sql("SELECT * FROM api_keys")).toEqual([]);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`])
      expect((await post(host)).status, host).toBe(201);
    // A server with API keys answers every Host: the key is what lets a request in.
    const keyed = await serverHarness([shipIt]);
    const admin = await keyed.key(["admin"]);
    expect((await post(`rebind.attacker.example:${port}`, keyed.url, admin)).status).toBe(201);
    expect((await post(`rebind.attacker.example:${port}`, keyed.url)).status).toBe(401);
  });

  it("ends the open streams of a revoked key: at once when revoked here, soon when revoked elsewhere", async () => {
    const s = await serverHarness([shipIt], { app: { keyCheckMs: 200 } });
    const admin = await s.key(["admin"]);
    const create = async (name: string) =>
      (await s.call("POST", "/v1/keys", { key: admin, body: { name, scopes: ["read", "run"] } })).body as {
        key: string;
        apiKey: { id: string };
      };
    const [here, elsewhere] = [await create("here"), await create("elsewhere")];
    const feeds = {
      here: await s.sse("/v1/events?from=now", { key: here.key }),
      elsewhere: await s.sse("/v1/events?from=now", { key: elsewhere.key }),
      kept: await s.sse("/v1/events?from=now", { key: admin }),
    };
    expect([feeds.here.status, feeds.elsewhere.status, feeds.kept.status]).toEqual([200, 200, 200]);
    // Revoked through this server: its streams end now.
    expect((await s.call("DELETE", `/v1/keys/${here.apiKey.id}`, { key: admin })).status).toBe(200);
    await feeds.here.rest(10_000);
    // Revoked by another process (the CLI, another server): found at the next check.
    await s.journal.revokeApiKey("default", elsewhere.apiKey.id);
    await feeds.elsewhere.rest(10_000);
    expect((await s.sse("/v1/events?from=now", { key: elsewhere.key })).status).toBe(401);
    // A key still valid keeps its stream.
    await s.call("POST", "/v1/events", { key: admin, body: { name: "still.here" } });
    expect((await feeds.kept.next(1, 10_000)).map((m) => m.event)).toEqual(["event.sent"]);
    feeds.kept.close();
    await eventually("no key watched once the streams are gone", () =>
      Promise.resolve(s.cairn.services.keys.size === 0),
    );
  });
});
