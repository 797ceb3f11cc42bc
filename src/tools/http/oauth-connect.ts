import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthProvider, OAuthTokens } from "../../agent/oauth.js";
import { OAuthRefusedError, tokenRequest } from "../../agent/oauth.js";
import { CairnError, ErrorCode, InputError } from "../../shared/errors.js";
import type { Vault } from "../../store/vault.js";

export interface ConnectOptions {
  workspace: string;
  user: string;
  /** Loopback port for the redirect; default the provider's redirectPort, else any free port. */
  port?: number;
  /** Told the URL a person must open (print it, open a browser). */
  onAuthorizeUrl(url: string): void;
  /** How long to wait for the person. Default 5 minutes. */
  timeoutMs?: number;
}

/**
 * The authorization-code flow with PKCE (RFC 7636) on a loopback redirect (RFC 8252): a
 * one-request server on 127.0.0.1 receives the code, which is exchanged with the verifier only
 * this process knows; the tokens are sealed in the vault for the user. Returns their scope.
 */
export async function connectProvider(
  vault: Vault,
  provider: OAuthProvider,
  o: ConnectOptions,
): Promise<OAuthTokens> {
  if (provider.flow !== "authorization-code" || provider.authorizeUrl === undefined)
    throw new InputError(
      ErrorCode.InvalidInput,
      `${provider.name} uses the client-credentials flow: there is nothing to connect`,
    );
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const state = randomBytes(16).toString("base64url");
  let settle!: (r: { code: string } | { error: string }) => void;
  const answered = new Promise<{ code: string } | { error: string }>((resolve) => (settle = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.statusCode = 404;
      res.end();
      return;
    }
    const ok = url.searchParams.get("state") === state && url.searchParams.get("code") !== null;
    const error =
      url.searchParams.get("error") ?? (ok ? null : "the redirect's state or code is missing or wrong");
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end(
      error === null ? `Connected ${provider.name}. You can close this tab.` : `Not connected: ${error}`,
    );
    settle(error === null ? { code: url.searchParams.get("code")! } : { error });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? provider.redirectPort ?? 0, "127.0.0.1", resolve);
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const authorize = new URL(provider.authorizeUrl);
    authorize.searchParams.set("response_type", "code");
    authorize.searchParams.set("client_id", provider.clientId);
    authorize.searchParams.set("redirect_uri", redirectUri);
    authorize.searchParams.set("state", state);
    authorize.searchParams.set("code_challenge", challenge);
    authorize.searchParams.set("code_challenge_method", "S256");
    if (provider.scopes?.length) authorize.searchParams.set("scope", provider.scopes.join(" "));
    o.onAuthorizeUrl(authorize.toString());
    const timeoutMs = o.timeoutMs ?? 300_000;
    const result = await Promise.race([
      answered,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new InputError(
                ErrorCode.InvalidInput,
                `nobody completed the ${provider.name} authorization within ${Math.round(timeoutMs / 1000)} s`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
    if ("error" in result)
      throw new InputError(ErrorCode.InvalidInput, `${provider.name} authorization failed: ${result.error}`);
    let tokens: OAuthTokens;
    try {
      tokens = await tokenRequest(provider, {
        grant_type: "authorization_code",
        code: result.code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      });
    } catch (err) {
      if (err instanceof OAuthRefusedError)
        throw new CairnError(
          ErrorCode.CredentialUnavailable,
          `${provider.name} refused the code: ${err.message}`,
        );
      throw err;
    }
    await vault.set(
      { workspace: o.workspace, user: o.user, name: provider.name },
      JSON.stringify(tokens),
      "oauth",
    );
    return tokens;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}
