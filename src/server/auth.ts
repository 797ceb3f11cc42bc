import { CairnError, ErrorCode } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import type { ApiScope } from "../store/service-records.js";
import { hashApiKey, KEY_PREFIX } from "./api-keys.js";

/** Who is calling: the workspace everything they touch is scoped to, and what they may do. */
export interface Principal {
  workspace: string;
  /** Recorded on approval decisions and matched against `approvers`. */
  name: string;
  scopes: readonly ApiScope[];
  /** The API key used; null on an open (loopback development) server. */
  keyId: string | null;
}

/** Turns a request's bearer token into a principal, or refuses it. */
export interface Authenticator {
  /** Throws CairnError CAIRN_UNAUTHORIZED for a missing, unknown or revoked key. */
  authenticate(token: string | undefined): Promise<Principal>;
  /** True when every request is let in (cairn dev on loopback). */
  readonly open: boolean;
}

/** API keys from the store. */
export function keyAuth(journal: Journal): Authenticator {
  return {
    open: false,
    async authenticate(token) {
      if (token === undefined || token === "")
        throw unauthorized("this API needs a key: send Authorization: Bearer <key> (cairn keys create)");
      if (!token.startsWith(KEY_PREFIX)) throw unauthorized("that is not a Cairn API key");
      const key = await journal.findApiKey(hashApiKey(token));
      if (key === undefined) throw unauthorized("unknown API key");
      if (key.revokedAt !== null) throw unauthorized(`API key ${key.id} was revoked`);
      return { workspace: key.workspace, name: key.principal, scopes: key.scopes, keyId: key.id };
    },
  };
}

/** Lets everyone in as one principal with every scope: only for a server on loopback. */
export function openAuth(workspace: string, name: string): Authenticator {
  const principal: Principal = { workspace, name, scopes: ["admin"], keyId: null };
  return { open: true, authenticate: () => Promise.resolve(principal) };
}

/** Whether the principal may act with `scope` (admin may do anything). */
export function allows(principal: Principal, scope: ApiScope): boolean {
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}

export function unauthorized(message: string): CairnError {
  return new CairnError(ErrorCode.Unauthorized, message);
}
