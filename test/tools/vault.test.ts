/** The vault: sealed at rest, scoped per user, a clear error (never a corrupt read) on a wrong key. */
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { masterKey } from "../../src/shared/envelope-crypto.js";
import { CairnError, ErrorCode } from "../../src/shared/errors.js";
import { loadMasterKey } from "../../src/shared/master-key.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { Vault } from "../../src/store/vault.js";
import { tempDir } from "../helpers.js";

const WS = "default";

function open(dir = tempDir()) {
  const journal = new SqliteJournal({ path: join(dir, "cairn.db") });
  return { dir, journal };
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    if (CairnError.is(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected an error");
}

describe("vault", () => {
  it("seals values at rest: the store file never holds the plaintext", async () => {
    const { dir, journal } = open();
    const vault = new Vault(journal.secrets, { key: randomBytes(32) });
    await vault.set({ workspace: WS, user: null, name: "github" }, "ghp_plaintext_canary_123");
    expect((await vault.get({ workspace: WS, user: null, name: "github" }))?.value).toBe(
      "ghp_plaintext_canary_123",
    );
    await journal.close();
    for (const f of ["cairn.db", "cairn.db-wal"]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dir, f));
      } catch {
        continue;
      }
      expect(bytes.includes("ghp_plaintext_canary_123")).toBe(false);
    }
  });

  it("creates the key file 0600 on first use and reads it back; refuses one others can read", async () => {
    const { dir, journal } = open();
    const file = join(dir, ".cairn", "master.key");
    const vault = new Vault(journal.secrets, { file, env: {} });
    await vault.set({ workspace: WS, user: null, name: "a" }, "v");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new Vault(journal.secrets, { file, env: {} });
    expect((await again.get({ workspace: WS, user: null, name: "a" }))?.value).toBe("v");
    chmodSync(file, 0o644);
    expect(await code(() => loadMasterKey({ file, env: {} }))).toMatch(
      /can be read by other users.*chmod 600/,
    );
    await journal.close();
  });

  it("a missing or wrong master key is a clear error, never a corrupt read", async () => {
    const { dir, journal } = open();
    await new Vault(journal.secrets, { key: randomBytes(32) }).set(
      { workspace: WS, user: null, name: "a" },
      "v",
    );
    const missing = new Vault(journal.secrets, { file: join(dir, "none.key"), env: {} });
    expect(await code(missing.get({ workspace: WS, user: null, name: "a" }))).toMatch(
      new RegExp(`^${ErrorCode.VaultKey}: no master key: set CAIRN_MASTER_KEY`),
    );
    const wrong = new Vault(journal.secrets, {
      env: { CAIRN_MASTER_KEY: randomBytes(32).toString("base64") },
    });
    expect(await code(wrong.get({ workspace: WS, user: null, name: "a" }))).toMatch(
      /sealed under master key [0-9a-f]{16}, but the master key in use is [0-9a-f]{16}/,
    );
    const malformed = new Vault(journal.secrets, { env: { CAIRN_MASTER_KEY: "hunter2" } });
    expect(await code(malformed.get({ workspace: WS, user: null, name: "a" }))).toMatch(
      /CAIRN_MASTER_KEY is not a master key: it must be 32 bytes/,
    );
    await journal.close();
  });

  it("a run for user A never gets user B's secret, even with B's sealed row copied into A's place", async () => {
    const { journal } = open();
    const key = randomBytes(32);
    const vault = new Vault(journal.secrets, { key });
    await vault.set({ workspace: WS, user: "bob", name: "github" }, "bob-token");
    await vault.set({ workspace: WS, user: null, name: "slack" }, "shared-token");
    expect(await vault.resolve(WS, "github", "ada")).toBeUndefined();
    expect((await vault.resolve(WS, "github", "bob"))?.value).toBe("bob-token");
    expect((await vault.resolve(WS, "slack", "ada"))?.value).toBe("shared-token");
    // An attacker with write access to the store copies bob's sealed row to ada: it does not open.
    const bob = (await journal.secrets.get({ workspace: WS, user: "bob", name: "github" }))!;
    await journal.secrets.put({ ...bob, user: "ada" });
    expect(await code(vault.resolve(WS, "github", "ada"))).toMatch(/cannot be opened with this master key/);
    await journal.close();
  });

  it("rotate-key re-wraps every data key: the new key opens them, the old one no longer does", async () => {
    const { journal } = open();
    const oldKey = randomBytes(32);
    const vault = new Vault(journal.secrets, { key: oldKey });
    await vault.set({ workspace: WS, user: "ada", name: "github" }, "t1");
    await vault.set({ workspace: "acme", user: null, name: "slack" }, "t2");
    const next = masterKey(randomBytes(32));
    expect(await vault.rotate(next)).toBe(2);
    const fresh = new Vault(journal.secrets, { key: next.bytes });
    expect((await fresh.get({ workspace: WS, user: "ada", name: "github" }))?.value).toBe("t1");
    expect((await fresh.get({ workspace: "acme", user: null, name: "slack" }))?.value).toBe("t2");
    const stale = new Vault(journal.secrets, { key: oldKey });
    expect(await code(stale.get({ workspace: WS, user: "ada", name: "github" }))).toMatch(
      /master key in use/,
    );
    await journal.close();
  });
});
