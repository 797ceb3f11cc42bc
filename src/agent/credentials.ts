import { ConfigError, ErrorCode, NonRetriableError } from "../shared/errors.js";
import { CairnError } from "../shared/errors.js";
import type { Vault } from "../store/vault.js";
import type { ProxyCredential } from "./credential-proxy.js";
import type { OAuthProvider } from "./oauth.js";
import { accessToken, isOAuthProvider } from "./oauth.js";
import type { Redactor } from "./redactor.js";
import { placeholder } from "./redactor.js";

/**
 * A credential a tool needs, declared with the tool: the hosts its value may go to and how it is
 * sent. The value comes from the vault (the run's user's secret, else the workspace's) or, with
 * `oauth`, is that user's access token, refreshed as needed. The tool never sees it.
 *
 * @example
 * credentials: { github: { hosts: ["api.github.com"], header: "Authorization: Bearer {{secret}}" } }
 */
export interface CredentialSpec {
  hosts: string[];
  /** Default `Authorization: Bearer {{secret}}`. */
  header?: string;
  /** The vault secret's name; default the credential's own name. */
  secret?: string;
  /** The value is this provider's access token for the run's user. */
  oauth?: OAuthProvider;
}

/** Checks a tool's `credentials` when the tool is defined. */
export function checkCredentials(specs: unknown, where: string): void {
  if (specs === undefined) return;
  if (typeof specs !== "object" || specs === null || Array.isArray(specs))
    throw new ConfigError(
      `${where}: credentials must be an object, e.g. { github: { hosts: ["api.github.com"] } }`,
    );
  for (const [name, spec] of Object.entries(specs as Record<string, unknown>)) {
    const s = spec as Partial<CredentialSpec> | null;
    const at = `${where}: credentials.${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new ConfigError(`${at}: not a valid name`);
    if (typeof s !== "object" || s === null) throw new ConfigError(`${at} must be { hosts: [...] }`);
    if (
      !Array.isArray(s.hosts) ||
      s.hosts.length === 0 ||
      s.hosts.some((h) => typeof h !== "string" || h === "" || h === "*")
    )
      throw new ConfigError(
        `${at}.hosts must name the hosts it may go to, e.g. ["api.github.com"] (no bare "*")`,
      );
    if (
      s.header !== undefined &&
      (typeof s.header !== "string" || !/^[A-Za-z0-9-]+:.*\{\{secret\}\}/.test(s.header))
    )
      throw new ConfigError(`${at}.header must look like "Authorization: Bearer {{secret}}"`);
    if (s.oauth !== undefined && !isOAuthProvider(s.oauth))
      throw new ConfigError(`${at}.oauth must be an oauthProvider({ ... })`);
  }
}

/** Who the credentials are resolved for. */
export interface CredentialScope {
  workspace: string;
  user: string;
  vault: Vault;
  redactor: Redactor;
}

/** The proxy's view of a tool's credentials, resolved lazily for the run's user. */
export function proxyCredentials(
  specs: Record<string, CredentialSpec> | undefined,
  scope: CredentialScope,
): ProxyCredential[] {
  return Object.entries(specs ?? {}).map(([name, spec]) => ({
    name,
    hosts: spec.hosts,
    header: spec.header ?? "Authorization: Bearer {{secret}}",
    placeholder: placeholder(name),
    refreshable: spec.oauth !== undefined,
    value: (options = {}) => resolveValue(name, spec, scope, options.refresh === true),
  }));
}

async function resolveValue(
  name: string,
  spec: CredentialSpec,
  scope: CredentialScope,
  refresh: boolean,
): Promise<string> {
  const { vault, redactor, workspace, user } = scope;
  if (spec.oauth !== undefined) {
    return accessToken(
      vault,
      spec.oauth,
      { workspace, user },
      {
        force: refresh,
        onToken: (v) => redactor.add(v, name),
      },
    );
  }
  const secret = spec.secret ?? name;
  let found;
  try {
    found = await vault.resolve(workspace, secret, user);
  } catch (err) {
    // A missing or wrong master key is the operator's to fix; retrying the call will not.
    if (CairnError.is(err, ErrorCode.VaultKey))
      throw new NonRetriableError(`credential ${name}: ${err.message}`);
    throw err;
  }
  if (found === undefined) {
    throw new NonRetriableError(
      `credential ${name}: there is no secret ${secret} for user ${user} or workspace ${workspace}; store it with cairn secrets set ${secret} --user ${user}`,
    );
  }
  redactor.add(found.value, name);
  return found.value;
}
