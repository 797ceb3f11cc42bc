/**
 * OAuth 2 against a local authorization server: per-user tokens in the vault, refreshed before
 * expiry or after a 401 (retried once), client credentials, and a refused refresh that pauses the
 * run for a person instead of failing it.
 */
import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { accessToken, oauthProvider } from "../../src/agent/oauth.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import { Vault } from "../../src/store/vault.js";
import { httpTool } from "../../src/tools/http/http-tool.js";
import { harness } from "../helpers.js";
import type { OAuthServer } from "./oauth-server.js";
import { startOAuthServer } from "./oauth-server.js";
import { useMasterKey } from "./net-support.js";

useMasterKey();

function provider(s: OAuthServer, flow: "authorization-code" | "client-credentials" = "authorization-code") {
  return oauthProvider({
    name: "acme",
    authorizeUrl: `${s.url}/authorize`,
    tokenUrl: `${s.url}/token`,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    flow,
  });
}

async function setup(s: OAuthServer, flow?: "authorization-code" | "client-credentials", calls = 1) {
  const prompts: string[] = [];
  const call = (i: number) => ({ name: "http", args: { url: `${s.url}/api/me${i > 0 ? `?n=${i}` : ""}` } });
  const a = agent({
    name: "acme-agent",
    instructions: "",
    model: scriptedModel({
      name: "m",
      respond: (p) => {
        prompts.push(promptText(p));
        return prompts.length === 1
          ? { toolCalls: Array.from({ length: calls }, (_, i) => call(i)) }
          : { text: "ok" };
      },
    }),
    tools: { http: httpTool({ credentials: { acme: { hosts: [s.host], oauth: provider(s, flow) } } }) },
  });
  const h = await harness([a.workflow]);
  const vault = new Vault(h.journal.secrets);
  const store = (tokens: object) =>
    vault.set({ workspace: "default", user: "ada", name: "acme" }, JSON.stringify(tokens), "oauth");
  const stored = async () =>
    JSON.parse((await vault.get({ workspace: "default", user: "ada", name: "acme" }))!.value) as {
      accessToken: string;
      refreshToken: string;
    };
  return { a, h, prompts, store, stored };
}

describe("OAuth", () => {
  it("a 401 refreshes the access token and retries once; the new token is stored", async () => {
    const s = await startOAuthServer();
    const { a, h, prompts, store, stored } = await setup(s);
    const { refresh_token } = s.issue();
    await store({ accessToken: "at-stale", refreshToken: refresh_token, expiresAt: Date.now() + 3_600_000 });
    const { runId } = await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(s.apiAuth[0]).toBe("Bearer at-stale");
    const fresh = (await stored()).accessToken;
    expect(s.apiAuth[1]).toBe(`Bearer ${fresh}`);
    expect(s.grants).toEqual(["refresh_token"]);
    expect((await stored()).refreshToken).toBe(refresh_token);
    expect(prompts[1]).toContain('\\"login\\":\\"ada\\"');
    expect(prompts.join()).not.toContain(fresh);
  });

  it("an access token about to expire is refreshed before the request", async () => {
    const s = await startOAuthServer();
    const { a, h, store, stored } = await setup(s);
    const { access_token, refresh_token } = s.issue();
    await store({ accessToken: access_token, refreshToken: refresh_token, expiresAt: Date.now() + 10_000 });
    await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    expect(s.apiAuth).toEqual([`Bearer ${(await stored()).accessToken}`]);
    expect((await stored()).accessToken).not.toBe(access_token);
  });

  it("parallel calls with an expired token refresh it once", async () => {
    const s = await startOAuthServer();
    const { a, h, store, stored } = await setup(s, undefined, 3);
    const { access_token, refresh_token } = s.issue();
    await store({ accessToken: access_token, refreshToken: refresh_token, expiresAt: Date.now() - 1 });
    await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    expect(s.grants).toEqual(["refresh_token"]);
    const fresh = (await stored()).accessToken;
    expect(s.apiAuth).toEqual([1, 2, 3].map(() => `Bearer ${fresh}`));
  });

  it("a call that read the expired tokens before a parallel refresh stored new ones gets those, not a second refresh", async () => {
    const s = await startOAuthServer();
    const { h, store, stored } = await setup(s);
    const { refresh_token } = s.issue();
    await store({ accessToken: "at-old", refreshToken: refresh_token, expiresAt: Date.now() - 1000 });
    const vault = new Vault(h.journal.secrets);
    const scope = { workspace: "default", user: "ada" };
    const early = await vault.get({ ...scope, name: "acme" });
    const first = await accessToken(vault, provider(s), scope);
    // The other call read the vault before the refresh above stored its tokens.
    const readEarly = { get: () => Promise.resolve(early) } as unknown as Vault;
    expect(await accessToken(readEarly, provider(s), scope)).toBe(first);
    expect(s.grants).toEqual(["refresh_token"]);
    expect((await stored()).accessToken).toBe(first);
  });

  it("a revoked refresh token pauses the run for a person, who reconnects and lets it go on", async () => {
    const s = await startOAuthServer();
    const { a, h, prompts, store } = await setup(s);
    await store({ accessToken: "at-dead", refreshToken: "rt-revoked", expiresAt: Date.now() - 1000 });
    const { runId } = await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("waiting");
    const [pending] = await h.journal.listApprovals("default", { status: "pending" });
    expect(pending?.title).toContain("acme refused to refresh the token of ada (invalid_grant)");
    expect(pending?.title).toContain("run cairn connect acme --user ada");
    expect(s.apiAuth).toEqual([]);
    // The person reconnects (as cairn connect would store it), then approves.
    const { access_token, refresh_token } = s.issue();
    await store({
      accessToken: access_token,
      refreshToken: refresh_token,
      expiresAt: Date.now() + 3_600_000,
    });
    await h.engine.decide(pending!.id, { approve: true, by: "ada" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(s.apiAuth).toEqual([`Bearer ${access_token}`]);
    expect(prompts[1]).toContain("login");
  });

  it("a token endpoint that keeps failing is retried, then the run waits for a person instead of failing", async () => {
    const s = await startOAuthServer();
    const { a, h, store } = await setup(s);
    const { refresh_token } = s.issue();
    await store({ accessToken: "at-old", refreshToken: refresh_token, expiresAt: Date.now() - 1000 });
    s.failRefresh = true;
    const { runId } = await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    for (
      let i = 0;
      i < 5 && (await h.journal.listApprovals("default", { status: "pending" })).length === 0;
      i++
    )
      await h.advance(120_000);
    expect(s.grants).toEqual(["refresh_token", "refresh_token", "refresh_token"]);
    const [pending] = await h.journal.listApprovals("default", { status: "pending" });
    expect(pending?.title).toContain("acme could not refresh the token of ada");
    expect((await h.journal.getRun("default", runId))?.status).toBe("waiting");
    s.failRefresh = false;
    await h.engine.decide(pending!.id, { approve: true, by: "ops" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(s.apiAuth).toHaveLength(1);
  });

  it("parallel calls that need reconnecting wait one after another, and a replay agrees", async () => {
    const s = await startOAuthServer();
    const { a, h, store } = await setup(s, undefined, 2);
    await store({ accessToken: "at-dead", refreshToken: "rt-revoked", expiresAt: Date.now() - 1000 });
    const { runId } = await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    const { access_token, refresh_token } = s.issue();
    await store({
      accessToken: access_token,
      refreshToken: refresh_token,
      expiresAt: Date.now() + 3_600_000,
    });
    for (let i = 0; i < 2; i++) {
      const pending = await h.journal.listApprovals("default", { status: "pending" });
      expect(pending.map((p) => p.title.split(":")[0])).toEqual(["acme-agent cannot call http"]);
      await h.engine.decide(pending[0]!.id, { approve: true, by: "ada" });
      await h.drain();
    }
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    expect(s.apiAuth).toEqual([`Bearer ${access_token}`, `Bearer ${access_token}`]);
  });

  it("client credentials: the app's own token, from the token endpoint", async () => {
    const s = await startOAuthServer();
    const { a, h, prompts } = await setup(s, "client-credentials");
    await h.engine.start(a.workflow, { message: "me", user: "ada" });
    await h.drain();
    expect(s.grants).toEqual(["client_credentials"]);
    expect(s.apiAuth[0]).toMatch(/^Bearer cc-/);
    expect(prompts.join()).not.toContain(s.clientSecret);
    expect(prompts.join()).not.toContain(s.apiAuth[0]!.slice(7));
  });
});
