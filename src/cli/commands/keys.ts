import { issueApiKey } from "../../server/api-keys.js";
import type { ApiKeyRecord } from "../../store/service-records.js";
import { parse, UsageError } from "../args.js";
import { openContext } from "../context.js";
import { bold, dim, printJson, table, time } from "../format.js";

export const KEYS_HELP = `cairn keys create NAME --scopes read,run,approve,admin [--principal WHO] [--workspace WS] [--json]
cairn keys ls [--workspace WS] [--json]
cairn keys revoke ID [--workspace WS] [--json]

API keys for \`cairn serve\`. A key belongs to one workspace (default: the config's) and sees only
its runs, approvals and sessions. Scopes: read (look), run (start, cancel, send), approve (decide
approvals), admin (all, and keys). --principal names who the key acts as: approval decisions are
recorded as, and \`approvers\` matched against, it (default NAME). The key is printed once: only
its hash is stored.`;

export async function keysCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "create":
      return create(rest);
    case "ls":
    case "list":
      return ls(rest);
    case "revoke":
      return revoke(rest);
    default:
      throw new UsageError(`cairn keys: unknown subcommand "${sub ?? ""}"\n\n${KEYS_HELP}`);
  }
}

async function create(argv: string[]): Promise<number> {
  const args = parse("keys create", argv, {
    scopes: { type: "string" },
    principal: { type: "string" },
    workspace: { type: "string" },
  });
  const [name, ...extra] = args.positionals;
  if (name === undefined || extra.length > 0)
    throw new UsageError(`usage: cairn keys create NAME --scopes read,run`);
  const scopes =
    typeof args.values.scopes === "string" ? args.values.scopes.split(",").map((s) => s.trim()) : [];
  if (scopes.length === 0 || scopes.includes(""))
    throw new UsageError(
      "cairn keys create needs --scopes, e.g. --scopes read,run (or admin for everything)",
    );
  const ctx = await openContext(args);
  try {
    const principal = args.values.principal as string | undefined;
    const { key, record } = await issueApiKey(ctx.journal, {
      workspace: (args.values.workspace as string | undefined) ?? ctx.workspace,
      name,
      ...(principal !== undefined ? { principal } : {}),
      scopes,
    });
    if (ctx.json) printJson({ key, ...record });
    else {
      console.log(key);
      console.log(
        dim(
          `key ${record.id} "${record.name}" for workspace ${record.workspace} as ${record.principal} (${record.scopes.join(", ")}).\n` +
            "It is shown this once: keep it now. Send it as: Authorization: Bearer <key>",
        ),
      );
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

async function ls(argv: string[]): Promise<number> {
  const args = parse("keys ls", argv, { workspace: { type: "string" } });
  const ctx = await openContext(args);
  try {
    const keys = await ctx.journal.listApiKeys(
      (args.values.workspace as string | undefined) ?? ctx.workspace,
    );
    if (ctx.json) printJson(keys);
    else printKeys(keys);
    return 0;
  } finally {
    await ctx.close();
  }
}

async function revoke(argv: string[]): Promise<number> {
  const args = parse("keys revoke", argv, { workspace: { type: "string" } });
  const [id, ...extra] = args.positionals;
  if (id === undefined || extra.length > 0)
    throw new UsageError("usage: cairn keys revoke ID (see cairn keys ls)");
  const ctx = await openContext(args);
  try {
    const workspace = (args.values.workspace as string | undefined) ?? ctx.workspace;
    const revoked = await ctx.journal.revokeApiKey(workspace, id);
    if (revoked === undefined)
      throw new UsageError(`no API key ${id} in workspace ${workspace} (see cairn keys ls)`);
    if (ctx.json) printJson(revoked);
    else console.log(`revoked ${bold(revoked.id)} ${dim(`(${revoked.name}); requests with it now get 401`)}`);
    return 0;
  } finally {
    await ctx.close();
  }
}

function printKeys(keys: ApiKeyRecord[]): void {
  if (keys.length === 0) {
    console.log(dim("no API keys; create one: cairn keys create NAME --scopes read,run"));
    return;
  }
  const rows = [["ID", "NAME", "PRINCIPAL", "SCOPES", "KEY", "CREATED", "REVOKED"].map((h) => dim(h))];
  for (const k of keys)
    rows.push([
      k.id,
      k.name,
      k.principal,
      k.scopes.join(","),
      `${k.prefix}…`,
      time(k.createdAt),
      time(k.revokedAt),
    ]);
  console.log(table(rows));
}
