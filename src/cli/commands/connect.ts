import { isAgent } from "../../agent/agent.js";
import type { OAuthProvider } from "../../agent/oauth.js";
import { isOAuthProvider } from "../../agent/oauth.js";
import { Vault } from "../../store/vault.js";
import { connectProvider } from "../../tools/http/oauth-connect.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import type { CairnConfig } from "../define-config.js";
import { openStore } from "../context.js";
import { bold, dim, printJson } from "../format.js";
import { positionals } from "./runs.js";

/** `cairn connect PROVIDER --user U`: authorization code + PKCE on loopback; tokens into the vault. */
export async function connectCommand(args: Parsed): Promise<number> {
  const name = positionals(args, 1, "connect PROVIDER --user U")[0]!;
  const user = args.string("user");
  if (user === undefined)
    throw new UsageError(`cairn connect ${name} needs --user: whose account it connects`);
  const ctx = await openStore(args);
  try {
    const providers = providersOf(ctx.config);
    const provider = providers.get(name);
    if (provider === undefined) {
      const known = [...providers.keys()];
      throw new UsageError(
        `no OAuth provider ${name} in the config (known: ${known.length ? known.join(", ") : "none"}); declare it in the config's oauth: [oauthProvider({ name: "${name}", ... })]`,
      );
    }
    const port = args.number("port");
    const tokens = await connectProvider(new Vault(ctx.journal.secrets), provider, {
      workspace: args.string("workspace") ?? ctx.workspace,
      user,
      ...(port !== undefined ? { port } : {}),
      onAuthorizeUrl: (url) => {
        if (ctx.json) printJson({ authorizeUrl: url });
        else console.log(`Open this URL to connect ${bold(name)} for ${user}:\n${url}`);
      },
    });
    if (ctx.json) printJson({ connected: name, user, scope: tokens.scope ?? null });
    else console.log(`connected ${bold(name)} for ${user} ${dim("(tokens sealed in the vault)")}`);
    return 0;
  } finally {
    await ctx.close();
  }
}

/** The config's `oauth` providers, and any a tool's credentials name. */
function providersOf(config: CairnConfig): Map<string, OAuthProvider> {
  const found = new Map<string, OAuthProvider>();
  for (const p of config.oauth ?? []) found.set(p.name, p);
  const tools = [...Object.values(config.tools ?? {})];
  for (const a of config.agents ?? []) if (isAgent(a)) tools.push(...Object.values(a.options.tools ?? {}));
  for (const t of tools)
    for (const spec of Object.values(t.credentials ?? {}))
      if (isOAuthProvider(spec.oauth) && !found.has(spec.oauth.name)) found.set(spec.oauth.name, spec.oauth);
  return found;
}
