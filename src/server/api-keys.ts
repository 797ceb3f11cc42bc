import { createHash, randomBytes } from "node:crypto";
import { ErrorCode, InputError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Journal } from "../store/journal.js";
import type { ApiKeyRecord, ApiScope } from "../store/service-records.js";
import { API_SCOPES } from "../store/service-records.js";

/** Every key starts with this, so a leaked one is easy to recognise (and to scan for). */
export const KEY_PREFIX = "cairn_";

/** sha-256 of a key, hex: what the store keeps. A key has 256 random bits, so no slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export interface IssueKeyOptions {
  workspace: string;
  name: string;
  /** Who the key acts as (approval decisions); default the name. */
  principal?: string;
  scopes: readonly string[];
}

/**
 * Creates an API key: returns the secret (shown once, never stored) and the stored record. Throws
 * InputError for an unknown scope or a bad name.
 */
export async function issueApiKey(
  journal: Journal,
  options: IssueKeyOptions,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const scopes = parseScopes(options.scopes);
  for (const [what, value] of [
    ["workspace", options.workspace],
    ["name", options.name],
    ["principal", options.principal ?? options.name],
  ] as const) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(value))
      throw new InputError(
        ErrorCode.InvalidInput,
        `the key's ${what} "${value}" is not valid: use letters, digits, ".", "_", "@" or "-" (at most 100)`,
      );
  }
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  const record = await journal.createApiKey({
    id: newId("key"),
    workspace: options.workspace,
    name: options.name,
    principal: options.principal ?? options.name,
    hash: hashApiKey(key),
    prefix: key.slice(0, KEY_PREFIX.length + 6),
    scopes,
  });
  return { key, record };
}

export function parseScopes(scopes: readonly string[]): ApiScope[] {
  if (scopes.length === 0)
    throw new InputError(ErrorCode.InvalidInput, `a key needs at least one scope: ${API_SCOPES.join(", ")}`);
  const out: ApiScope[] = [];
  for (const s of scopes) {
    if (!(API_SCOPES as readonly string[]).includes(s))
      throw new InputError(
        ErrorCode.InvalidInput,
        `unknown scope "${s}"; scopes are ${API_SCOPES.join(", ")}`,
      );
    if (!out.includes(s as ApiScope)) out.push(s as ApiScope);
  }
  return out;
}
