/** `cairn connect PROVIDER --user U`: authorization code + PKCE on a loopback redirect, tokens sealed in the vault. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { Vault } from "../../src/store/vault.js";
import { collect, Project } from "../cli/project.js";
import { startOAuthServer } from "./oauth-server.js";

describe("cairn connect", () => {
  it("runs the code flow with PKCE on loopback and stores the user's tokens", async () => {
    const s = await startOAuthServer();
    const project = new Project(`import { defineConfig, oauthProvider } from "cairn-runtime";
export default defineConfig({
  oauth: [oauthProvider({
    name: "acme",
    authorizeUrl: "${s.url}/authorize",
    tokenUrl: "${s.url}/token",
    clientId: "${s.clientId}",
  })],
});
`);
    const child = project.spawn(["connect", "acme", "--user", "ada"], { CAIRN_MASTER_KEY: "" });
    const done = collect(child);
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no authorization URL printed within 20 s: ${out}`)),
        20_000,
      );
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = out.match(/^(http:\/\/\S+\/authorize\?\S+)$/m);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    expect(new URL(url).searchParams.get("code_challenge_method")).toBe("S256");
    // The person's browser: the provider approves and redirects to the loopback callback.
    const page = await fetch(url);
    expect(await page.text()).toBe("Connected acme. You can close this tab.");
    const result = await done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("connected acme for ada");
    expect(s.grants).toEqual(["authorization_code"]);
    const journal = new SqliteJournal({ path: join(project.dir, "cairn.db") });
    try {
      const vault = new Vault(journal.secrets, { file: join(project.dir, ".cairn", "master.key"), env: {} });
      const tokens = JSON.parse(
        (await vault.get({ workspace: "default", user: "ada", name: "acme" }))!.value,
      ) as {
        accessToken: string;
        refreshToken: string;
      };
      expect(s.valid.has(tokens.accessToken)).toBe(true);
      expect(s.refreshTokens.has(tokens.refreshToken)).toBe(true);
      expect(result.stdout).not.toContain(tokens.accessToken);
    } finally {
      await journal.close();
    }
  });

  it("names the providers it knows when asked for another", async () => {
    const project = new Project(`import { defineConfig } from "cairn-runtime";
export default defineConfig({});
`);
    const r = await project.run(["connect", "nope", "--user", "ada"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no OAuth provider nope in the config (known: none)");
  });
});
