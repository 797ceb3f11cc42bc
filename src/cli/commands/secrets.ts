import { existsSync, renameSync, rmSync } from "node:fs";
import { createKeyFile, decodeKey, keyFilePath, loadMasterKey } from "../../shared/master-key.js";
import { masterKey } from "../../shared/envelope-crypto.js";
import type { SecretInfo } from "../../store/secret-records.js";
import { Vault } from "../../store/vault.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openStore } from "../context.js";
import type { StoreContext } from "../context.js";
import { bold, dim, printJson, table, time } from "../format.js";
import { readSecret } from "../read-secret.js";
import { positionals } from "./runs.js";

/** `cairn secrets set NAME [--user U]`: the value from stdin or a hidden prompt, never a flag. */
export async function setSecretCommand(args: Parsed): Promise<number> {
  const name = positionals(args, 1, "secrets set NAME [--user U] (the value from stdin or a prompt)")[0]!;
  const ctx = await openStore(args);
  try {
    const scope = scopeOf(args, ctx, name);
    const value = await readSecret(`value of ${name}${scope.user ? ` for ${scope.user}` : ""}: `);
    const info = await new Vault(ctx.journal.secrets).set(scope, value);
    if (ctx.json) printJson(info);
    else console.log(`stored ${bold(name)} ${dim(`(${who(info)}, sealed under master key ${info.keyId})`)}`);
    return 0;
  } finally {
    await ctx.close();
  }
}

/** `cairn secrets ls`: names, scopes and dates; never a value. */
export async function listSecretsCommand(args: Parsed): Promise<number> {
  positionals(args, 0, "secrets ls [--user U]");
  const ctx = await openStore(args, { readOnly: true });
  try {
    const user = args.string("user");
    const list = await new Vault(ctx.journal.secrets).list(
      args.string("workspace") ?? ctx.workspace,
      user !== undefined ? { user } : {},
    );
    if (ctx.json) printJson(list);
    else if (list.length === 0) console.log(dim("no secrets; store one: cairn secrets set NAME"));
    else
      console.log(
        table([
          ["NAME", "USER", "KIND", "UPDATED", "KEY"],
          ...list.map((s) => [s.name, s.user ?? "(workspace)", s.kind, time(s.updatedAt), s.keyId]),
        ]),
      );
    return 0;
  } finally {
    await ctx.close();
  }
}

/** `cairn secrets rm NAME [--user U]`. */
export async function removeSecretCommand(args: Parsed): Promise<number> {
  const name = positionals(args, 1, "secrets rm NAME [--user U]")[0]!;
  const ctx = await openStore(args);
  try {
    const scope = scopeOf(args, ctx, name);
    if (!(await new Vault(ctx.journal.secrets).remove(scope)))
      throw new UsageError(`no secret ${name} for ${scope.user ?? "the workspace"} (see cairn secrets ls)`);
    if (ctx.json) printJson({ removed: true, ...scope });
    else console.log(`removed ${bold(name)} ${dim(`(${scope.user ?? "workspace-wide"})`)}`);
    return 0;
  } finally {
    await ctx.close();
  }
}

/**
 * `cairn secrets rotate-key`: every data key re-wrapped under a new master key, in one
 * transaction. With the key file, the new key replaces it; with CAIRN_MASTER_KEY, the new key is
 * read like a secret's value, and every process must then be given it.
 */
export async function rotateKeyCommand(args: Parsed): Promise<number> {
  positionals(args, 0, "secrets rotate-key");
  const ctx = await openStore(args);
  try {
    const fromEnv = (process.env.CAIRN_MASTER_KEY ?? "") !== "";
    const file = keyFilePath();
    const nextFile = `${file}.next`;
    const vault = new Vault(ctx.journal.secrets);
    let next;
    if (fromEnv) {
      next = masterKey(decodeKey(await readSecret("new master key: "), "the new master key"));
    } else {
      // A rotation cut short left the new key beside the old: the rows say which one is in force.
      if (existsSync(nextFile)) finishOrDiscard(file, nextFile, await ctx.journal.secrets.all());
      vault.masterKey();
      next = createKeyFile(nextFile);
    }
    const count = await vault.rotate(next);
    if (!fromEnv) renameSync(nextFile, file);
    const message = `re-wrapped ${count} secret${count === 1 ? "" : "s"} under master key ${next.id}`;
    if (ctx.json) printJson({ rewrapped: count, keyId: next.id });
    else
      console.log(
        fromEnv
          ? `${message}\n${dim("now set CAIRN_MASTER_KEY to the new key wherever Cairn runs; the old key no longer opens them")}`
          : `${message} ${dim(`(${file})`)}`,
      );
    return 0;
  } finally {
    await ctx.close();
  }
}

function finishOrDiscard(file: string, nextFile: string, rows: { keyId: string }[]): void {
  const pending = loadMasterKey({ file: nextFile, env: {} });
  if (rows.length > 0 && rows.every((r) => r.keyId === pending.id)) renameSync(nextFile, file);
  else rmSync(nextFile);
}

function scopeOf(args: Parsed, ctx: StoreContext, name: string) {
  return { workspace: args.string("workspace") ?? ctx.workspace, user: args.string("user") ?? null, name };
}

function who(s: SecretInfo): string {
  return s.user === null ? `workspace ${s.workspace}` : `user ${s.user} in workspace ${s.workspace}`;
}
