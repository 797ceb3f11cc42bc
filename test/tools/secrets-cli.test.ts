/** `cairn secrets …`: values in by stdin only, never out; a key file made 0600; rotation. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createKeyFile } from "../../src/shared/master-key.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { Vault } from "../../src/store/vault.js";
import type { CliResult } from "../cli/project.js";
import { collect } from "../cli/project.js";
import { tempDir } from "../helpers.js";

const BIN = resolve(import.meta.dirname, "../../dist/cli/main.js");
const TOKEN = "ghp_cli_canary_98765";

function cairn(
  dir: string,
  args: string[],
  stdin = "",
  env: Record<string, string> = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      CAIRN_STORE: `sqlite:${join(dir, "cairn.db")}`,
      NO_COLOR: "1",
      CAIRN_MASTER_KEY: "",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end(stdin);
  return collect(child);
}

describe("cairn secrets", () => {
  it("sets from stdin, lists without values, removes, and rotates the key file", async () => {
    const dir = tempDir();
    const set = await cairn(dir, ["secrets", "set", "github", "--user", "ada"], `${TOKEN}\n`);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("stored github");
    const keyFile = join(dir, ".cairn", "master.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await cairn(dir, ["secrets", "set", "slack"], "xoxb-1");

    const ls = await cairn(dir, ["secrets", "ls"]);
    expect(ls.stdout).toMatch(/slack\s+\(workspace\)/);
    expect(ls.stdout).toMatch(/github\s+ada/);
    const json = await cairn(dir, ["secrets", "ls", "--json", "--user", "ada"]);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((s) => s.name)).toEqual(["github"]);
    for (const r of [set, ls, json]) expect(r.stdout + r.stderr).not.toContain(TOKEN);

    const oldKey = readFileSync(keyFile, "utf8");
    const rotated = await cairn(dir, ["secrets", "rotate-key"]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain("re-wrapped 2 secrets");
    const newKey = readFileSync(keyFile, "utf8");
    expect(newKey).not.toBe(oldKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const journal = new SqliteJournal({ path: join(dir, "cairn.db") });
    try {
      expect(
        (await new Vault(journal.secrets, { key: newKey.trim() }).resolve("default", "github", "ada"))?.value,
      ).toBe(TOKEN);
      await expect(
        new Vault(journal.secrets, { key: oldKey.trim() }).resolve("default", "github", "ada"),
      ).rejects.toThrow(/master key in use/);
    } finally {
      await journal.close();
    }

    const rm = await cairn(dir, ["secrets", "rm", "github", "--user", "ada"]);
    expect(rm.code).toBe(0);
    const again = await cairn(dir, ["secrets", "rm", "github", "--user", "ada"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("no secret github for ada");
  });

  it("takes no value as a flag, refuses an empty one, and names a wrong master key", async () => {
    const dir = tempDir();
    const flag = await cairn(dir, ["secrets", "set", "github", "--value", TOKEN]);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain("--value");
    const empty = await cairn(dir, ["secrets", "set", "github"], "");
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain("the value is empty");
    const key = Buffer.alloc(32, 7).toString("base64");
    await cairn(dir, ["secrets", "set", "github"], TOKEN, { CAIRN_MASTER_KEY: key });
    const wrong = await cairn(dir, ["secrets", "rotate-key"], Buffer.alloc(32, 9).toString("base64"), {
      CAIRN_MASTER_KEY: Buffer.alloc(32, 8).toString("base64"),
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/sealed under master key [0-9a-f]+, not the one in use/);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });

  it("rotate-key finishes a rotation that was cut short between the commit and the key file", async () => {
    const dir = tempDir();
    await cairn(dir, ["secrets", "set", "github"], TOKEN);
    const keyFile = join(dir, ".cairn", "master.key");
    // A rotation that committed the re-wrapped keys, then died before replacing the key file.
    const journal = new SqliteJournal({ path: join(dir, "cairn.db") });
    try {
      const next = createKeyFile(`${keyFile}.next`);
      await new Vault(journal.secrets, { file: keyFile, env: {} }).rotate(next);
    } finally {
      await journal.close();
    }
    const rotated = await cairn(dir, ["secrets", "rotate-key"]);
    expect(rotated.stderr).toBe("");
    expect(rotated.stdout).toContain("re-wrapped 1 secret under master key");
    expect(existsSync(`${keyFile}.next`)).toBe(false);
    const again = new SqliteJournal({ path: join(dir, "cairn.db") });
    try {
      const vault = new Vault(again.secrets, { file: keyFile, env: {} });
      expect((await vault.get({ workspace: "default", user: null, name: "github" }))?.value).toBe(TOKEN);
    } finally {
      await again.close();
    }
  });

  it("at a terminal, prompts without echoing the value", async () => {
    const dir = tempDir();
    // `script` gives the command a real pseudo-terminal, as a person's shell would.
    const child = spawn("script", ["-qec", `${process.execPath} ${BIN} secrets set typed`, "/dev/null"], {
      cwd: dir,
      env: {
        ...process.env,
        CAIRN_STORE: `sqlite:${join(dir, "cairn.db")}`,
        NO_COLOR: "1",
        CAIRN_MASTER_KEY: "",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const done = collect(child);
    let seen = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no prompt within 20 s: ${seen}`)), 20_000);
      child.stdout.on("data", (d: Buffer) => {
        seen += d.toString();
        if (seen.includes("value of typed:")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stdin.write(`${TOKEN}\r`);
    const result = await done;
    expect(result.stdout).toContain("stored typed");
    expect(result.stdout).not.toContain(TOKEN);
    const journal = new SqliteJournal({ path: join(dir, "cairn.db") });
    try {
      const vault = new Vault(journal.secrets, { file: join(dir, ".cairn", "master.key"), env: {} });
      expect((await vault.get({ workspace: "default", user: null, name: "typed" }))?.value).toBe(TOKEN);
    } finally {
      await journal.close();
    }
  });
});
