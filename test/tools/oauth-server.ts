import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()!();
});

export interface OAuthServer {
  url: string;
  host: string;
  clientId: string;
  clientSecret: string;
  /** Access tokens the API accepts now. */
  valid: Set<string>;
  /** Refresh tokens that still work. */
  refreshTokens: Set<string>;
  /** Every grant the token endpoint was asked for, in order. */
  grants: string[];
  /** Authorization headers the API received. */
  apiAuth: (string | undefined)[];
  /** While true, the token endpoint answers 503 to refreshes. */
  failRefresh: boolean;
  /** Issues a token pair as the code flow would (for tests that skip the browser). */
  issue(): { access_token: string; refresh_token: string };
}

/**
 * A small OAuth 2 authorization server and a protected API on loopback: /authorize (approves at
 * once, redirecting with a code), /token (authorization_code with PKCE S256, refresh_token,
 * client_credentials), /api/me (needs a valid access token, else 401).
 */
export async function startOAuthServer(): Promise<OAuthServer> {
  const clientId = "cairn-test";
  const clientSecret = `client-secret-${randomBytes(4).toString("hex")}`;
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const valid = new Set<string>();
  const refreshTokens = new Set<string>();
  const grants: string[] = [];
  const apiAuth: (string | undefined)[] = [];
  let n = 0;
  const issue = () => {
    n++;
    const pair = {
      access_token: `at-${n}-${randomBytes(6).toString("hex")}`,
      refresh_token: `rt-${n}-${randomBytes(6).toString("hex")}`,
    };
    valid.add(pair.access_token);
    refreshTokens.add(pair.refresh_token);
    return pair;
  };
  const state = { failRefresh: false };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const json = (status: number, body: unknown) => {
        res.statusCode = status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
      };
      if (url.pathname === "/authorize") {
        const q = url.searchParams;
        if (
          q.get("client_id") !== clientId ||
          q.get("code_challenge_method") !== "S256" ||
          !q.get("code_challenge")
        )
          return json(400, { error: "invalid_request" });
        const code = randomBytes(8).toString("hex");
        codes.set(code, { challenge: q.get("code_challenge")!, redirectUri: q.get("redirect_uri")! });
        res.statusCode = 302;
        res.setHeader("location", `${q.get("redirect_uri")}?code=${code}&state=${q.get("state")}`);
        return res.end();
      }
      if (url.pathname === "/token") {
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        const grant = form.get("grant_type") ?? "";
        grants.push(grant);
        if (form.get("client_id") !== clientId) return json(401, { error: "invalid_client" });
        if (grant === "authorization_code") {
          const c = codes.get(form.get("code") ?? "");
          const verifier = form.get("code_verifier") ?? "";
          const challenge = createHash("sha256").update(verifier).digest("base64url");
          if (!c || c.challenge !== challenge || c.redirectUri !== form.get("redirect_uri"))
            return json(400, { error: "invalid_grant" });
          codes.delete(form.get("code")!);
          return json(200, { ...issue(), expires_in: 3600, token_type: "Bearer", scope: "read" });
        }
        if (grant === "refresh_token" && state.failRefresh)
          return json(503, { error: "temporarily_unavailable" });
        if (grant === "refresh_token") {
          if (!refreshTokens.has(form.get("refresh_token") ?? ""))
            return json(400, { error: "invalid_grant" });
          n++;
          const access = `at-${n}-${randomBytes(6).toString("hex")}`;
          valid.add(access);
          return json(200, { access_token: access, expires_in: 3600, token_type: "Bearer" });
        }
        if (grant === "client_credentials") {
          if (form.get("client_secret") !== clientSecret) return json(401, { error: "invalid_client" });
          n++;
          const access = `cc-${n}-${randomBytes(6).toString("hex")}`;
          valid.add(access);
          return json(200, { access_token: access, expires_in: 3600, token_type: "Bearer" });
        }
        return json(400, { error: "unsupported_grant_type" });
      }
      if (url.pathname === "/api/me") {
        apiAuth.push(req.headers.authorization);
        const token = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
        if (!valid.has(token)) return json(401, { error: "invalid_token", token });
        return json(200, { login: "ada", token });
      }
      json(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    get failRefresh() {
      return state.failRefresh;
    },
    set failRefresh(v: boolean) {
      state.failRefresh = v;
    },
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    clientId,
    clientSecret,
    valid,
    refreshTokens,
    grants,
    apiAuth,
    issue,
  };
}
