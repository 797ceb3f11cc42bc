import { OAUTH_PROVIDER_BRAND } from "../shared/brands.js";
import { CairnError, ConfigError, ErrorCode } from "../shared/errors.js";
import type { Vault } from "../store/vault.js";

const OAUTH = OAUTH_PROVIDER_BRAND;

export interface OAuthProviderOptions {
  /** The name `cairn connect NAME` takes, and the vault secret the user's tokens are kept under. */
  name: string;
  tokenUrl: string;
  /** Where a person authorizes (authorization-code flow). */
  authorizeUrl?: string;
  clientId: string;
  /** For confidential clients and the client-credentials flow. */
  clientSecret?: string;
  scopes?: string[];
  /** "authorization-code" (default; per end user, `cairn connect`) or "client-credentials" (per workspace). */
  flow?: "authorization-code" | "client-credentials";
  /** The loopback port `cairn connect` listens on for the redirect (default: any free port). */
  redirectPort?: number;
}

export interface OAuthProvider extends Readonly<OAuthProviderOptions> {
  readonly [OAUTH]: true;
}

/** Tokens as the vault keeps them (sealed, kind "oauth"). */
export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  /** ms since the epoch; absent when the provider gave no lifetime. */
  expiresAt?: number;
  scope?: string;
}

/** Refresh this long before an access token expires. */
const EARLY_MS = 60_000;

/**
 * Declares an OAuth 2 provider for the credential proxy and `cairn connect`.
 *
 * @example
 * const github = oauthProvider({
 *   name: "github",
 *   authorizeUrl: "https://github.com/login/oauth/authorize",
 *   tokenUrl: "https://github.com/login/oauth/access_token",
 *   clientId: process.env.GITHUB_CLIENT_ID!,
 *   clientSecret: process.env.GITHUB_CLIENT_SECRET,
 * });
 */
export function oauthProvider(options: OAuthProviderOptions): OAuthProvider {
  const where = `oauthProvider(${JSON.stringify(options?.name)})`;
  if (typeof options?.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(options.name))
    throw new ConfigError(`${where}: name must be letters, digits, ".", "_" or "-"`);
  for (const key of ["tokenUrl", "authorizeUrl"] as const) {
    const url = options[key];
    if (url === undefined) continue;
    try {
      new URL(url);
    } catch {
      throw new ConfigError(`${where}: ${key} ${JSON.stringify(url)} is not a URL`);
    }
  }
  if (typeof options.tokenUrl !== "string") throw new ConfigError(`${where}: tokenUrl is required`);
  if (typeof options.clientId !== "string" || options.clientId === "")
    throw new ConfigError(`${where}: clientId is required`);
  const flow = options.flow ?? "authorization-code";
  if (flow === "authorization-code" && options.authorizeUrl === undefined)
    throw new ConfigError(`${where}: the authorization-code flow needs authorizeUrl`);
  if (flow === "client-credentials" && options.clientSecret === undefined)
    throw new ConfigError(`${where}: the client-credentials flow needs clientSecret`);
  return Object.freeze({ ...options, flow, [OAUTH]: true as const });
}

export function isOAuthProvider(value: unknown): value is OAuthProvider {
  return typeof value === "object" && value !== null && OAUTH in value;
}

/** A credential a person must fix (connect again): the run waits for them instead of failing. */
export class CredentialUnavailableError extends CairnError {
  override readonly retriable = false;
  constructor(message: string) {
    super(ErrorCode.CredentialUnavailable, message);
    this.name = "CredentialUnavailableError";
  }
}

/** Where a user's tokens are: their workspace and user, under the provider's name. */
export interface TokenScope {
  workspace: string;
  user: string | null;
}

/** Client-credentials tokens, per process: they belong to the app, not to a user. */
const appTokens = new Map<string, OAuthTokens>();

/**
 * A usable access token: the stored one, refreshed first when it expires within a minute or
 * when `force` (the API answered 401). A missing connection or a refused refresh throws
 * CredentialUnavailableError, naming the command that fixes it; `onToken` sees every token
 * value so the run can redact it.
 */
export async function accessToken(
  vault: Vault,
  provider: OAuthProvider,
  scope: TokenScope,
  options: { force?: boolean; onToken?: (value: string) => void } = {},
): Promise<string> {
  const seen = (t: OAuthTokens) => {
    options.onToken?.(t.accessToken);
    if (t.refreshToken) options.onToken?.(t.refreshToken);
    return t;
  };
  if (provider.clientSecret) options.onToken?.(provider.clientSecret);
  const fresh = (t: OAuthTokens | undefined) =>
    t !== undefined && !options.force && (t.expiresAt === undefined || t.expiresAt - EARLY_MS > Date.now());
  if (provider.flow === "client-credentials") {
    const key = `${provider.name}\0${provider.tokenUrl}\0${scope.workspace}`;
    const cached = appTokens.get(key);
    if (fresh(cached)) return seen(cached!).accessToken;
    const tokens = seen(await tokenRequest(provider, { grant_type: "client_credentials" }));
    appTokens.set(key, tokens);
    return tokens.accessToken;
  }
  const who = scope.user ?? "the workspace";
  const fix = `cairn connect ${provider.name}${scope.user !== null ? ` --user ${scope.user}` : ""}`;
  const stored = await vault.get({ workspace: scope.workspace, user: scope.user, name: provider.name });
  if (stored === undefined || stored.kind !== "oauth")
    throw new CredentialUnavailableError(`${who} has not connected ${provider.name}: run ${fix}`);
  const tokens = seen(parseTokens(stored.value, provider.name));
  if (fresh(tokens)) return tokens.accessToken;
  if (tokens.refreshToken === undefined)
    throw new CredentialUnavailableError(
      `the ${provider.name} access token of ${who} expired and there is no refresh token: run ${fix}`,
    );
  // Parallel calls of one run (or of several) refresh once: a provider that rotates refresh
  // tokens would refuse the second refresh with the first's spent token. A call that read the
  // tokens before a refresh stored its result holds that spent token too: it is keyed by it, and
  // a new token is kept a while so such a call gets it instead of refreshing again.
  const refreshToken = tokens.refreshToken;
  const key = JSON.stringify([provider.name, provider.tokenUrl, scope.workspace, scope.user, refreshToken]);
  let pending = refreshing.get(key);
  if (pending === undefined) {
    pending = refresh(vault, provider, scope, { ...tokens, refreshToken }, who, fix);
    refreshing.set(key, pending);
    // A failed refresh is forgotten at once: the step's next attempt tries again.
    pending.then(
      () => setTimeout(() => refreshing.delete(key), REFRESH_KEPT_MS).unref(),
      () => refreshing.delete(key),
    );
  }
  return seen(await pending).accessToken;
}

/** How long a refreshed token is kept for calls that read the tokens before it was stored. */
const REFRESH_KEPT_MS = 60_000;
const refreshing = new Map<string, Promise<OAuthTokens>>();

async function refresh(
  vault: Vault,
  provider: OAuthProvider,
  scope: TokenScope,
  tokens: OAuthTokens & { refreshToken: string },
  who: string,
  fix: string,
): Promise<OAuthTokens> {
  let next: OAuthTokens;
  try {
    next = await tokenRequest(provider, { grant_type: "refresh_token", refresh_token: tokens.refreshToken });
  } catch (err) {
    if (err instanceof OAuthRefusedError)
      throw new CredentialUnavailableError(
        `${provider.name} refused to refresh the token of ${who} (${err.message}); it was revoked or expired: run ${fix}`,
      );
    // Down or failing: retried with the step; if it keeps failing, a person decides when to try again.
    throw new CairnError(
      ErrorCode.CredentialUnavailable,
      `${provider.name} could not refresh the token of ${who}: ${(err as Error)?.message ?? String(err)}`,
    );
  }
  const kept: OAuthTokens = { ...next, refreshToken: next.refreshToken ?? tokens.refreshToken };
  await vault.set(
    { workspace: scope.workspace, user: scope.user, name: provider.name },
    JSON.stringify(kept),
    "oauth",
  );
  return kept;
}

/** The token endpoint said no (4xx): retrying will not help. */
export class OAuthRefusedError extends Error {}

/** One token request (form-encoded, RFC 6749); a 4xx is OAuthRefusedError, a 5xx or network error retriable. */
export async function tokenRequest(
  provider: OAuthProvider,
  params: Record<string, string>,
): Promise<OAuthTokens> {
  const body = new URLSearchParams({ ...params, client_id: provider.clientId });
  if (provider.clientSecret !== undefined) body.set("client_secret", provider.clientSecret);
  if (params.grant_type === "client_credentials" && provider.scopes?.length)
    body.set("scope", provider.scopes.join(" "));
  const res = await fetch(provider.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body,
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: described below by status
  }
  if (res.status >= 400 && res.status < 500) {
    const reason = typeof json.error === "string" ? json.error : `HTTP ${res.status}`;
    throw new OAuthRefusedError(reason);
  }
  if (!res.ok) throw new Error(`${provider.name} token endpoint answered HTTP ${res.status}`);
  if (typeof json.access_token !== "string")
    throw new Error(`${provider.name} token endpoint answered without an access_token`);
  return {
    accessToken: json.access_token,
    ...(typeof json.refresh_token === "string" ? { refreshToken: json.refresh_token } : {}),
    ...(typeof json.expires_in === "number" ? { expiresAt: Date.now() + json.expires_in * 1000 } : {}),
    ...(typeof json.scope === "string" ? { scope: json.scope } : {}),
  };
}

function parseTokens(text: string, name: string): OAuthTokens {
  try {
    const t = JSON.parse(text) as OAuthTokens;
    if (typeof t.accessToken === "string") return t;
  } catch {
    // described below
  }
  throw new CredentialUnavailableError(`the stored ${name} tokens are not readable: connect ${name} again`);
}
