import { issueApiKey } from "../../server/api-keys.js";
import type { ApiKeyRecord } from "../../store/service-records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openStore } from "../context.js";
import { positionals } from "./runs.js";
import { bold, dim, printJson, table, time } from "../format.js";

/** `cairn keys create NAME --scopes …`: prints the key once. */
export async function createKeyCommand(args: Parsed): Promise<number> {
  const name = positionals(args, 1, "keys create NAME --scopes read,run")[0]!;
  const scopes =
    args
      .string("scopes")
      ?.split(",")
      .map((s) => s.trim()) ?? [];
  if (scopes.length === 0 || scopes.includes(""))
    throw new UsageError(
      "cairn keys create needs --scopes, e.g. --scopes read,run (or admin for everything)",
    );
  const ctx = await openStore(args);
  try {
    const principal = args.string("principal");
    const { key, record } = await issueApiKey(ctx.journal, {
      workspace: args.string("workspace") ?? ctx.workspace,
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

/** `cairn keys ls`: the workspace's keys, never the keys themselves. */
export async function listKeysCommand(args: Parsed): Promise<number> {
  positionals(args, 0, "keys ls");
  const ctx = await openStore(args, { readOnly: true });
  try {
    const keys = await ctx.journal.listApiKeys(args.string("workspace") ?? ctx.workspace);
    if (ctx.json) printJson(keys);
    else printKeys(keys);
    return 0;
  } finally {
    await ctx.close();
  }
}

/** `cairn keys revoke ID`: requests with the key get 401 from then on. */
export async function revokeKeyCommand(args: Parsed): Promise<number> {
  const id = positionals(args, 1, "keys revoke ID (see cairn keys ls)")[0]!;
  const ctx = await openStore(args);
  try {
    const workspace = args.string("workspace") ?? ctx.workspace;
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
