/** The vault over HTTP: admin keys only, scoped to the key's workspace, values never returned. */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Vault } from "../../src/store/vault.js";
import { tempDir } from "../helpers.js";
import { shipIt } from "./fixtures.js";
import { serverHarness } from "./support.js";

const VALUE = "xoxb-server-secret-0451";

describe("/v1/secrets", () => {
  it("stores a secret for admin keys only and never answers with its value", async () => {
    const key = randomBytes(32);
    const s = await serverHarness([shipIt], { app: { masterKey: { key } } });
    const admin = await s.key(["admin"]);
    const runner = await s.key(["run", "read"]);
    const denied = await s.call("PUT", "/v1/secrets/slack", { key: runner, body: { value: VALUE } });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: "CAIRN_FORBIDDEN" } } });
    expect((await s.call("GET", "/v1/secrets", { key: runner })).status).toBe(403);

    const put = await s.call("PUT", "/v1/secrets/slack", { key: admin, body: { value: VALUE, user: "ada" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: "slack", user: "ada", kind: "value" });
    await s.call("PUT", "/v1/secrets/github", { key: admin, body: { value: "ghp_other" } });
    const listed = await s.call("GET", "/v1/secrets", { key: admin });
    expect(
      listed.body.secrets.map((x: { name: string; user: string | null }) => `${x.user}/${x.name}`),
    ).toEqual(["null/github", "ada/slack"]);
    expect(JSON.stringify([put.body, listed.body])).not.toContain(VALUE);
    // Sealed at rest, and opens with the server's key for ada only.
    expect(JSON.stringify(await s.sql("SELECT * FROM secrets"))).not.toContain(VALUE);
    const vault = new Vault(s.journal.secrets, { key });
    expect((await vault.resolve("default", "slack", "ada"))?.value).toBe(VALUE);
    expect(await vault.resolve("default", "slack", "bob")).toBeUndefined();

    // Another workspace's admin sees none of it and cannot remove it.
    const other = await s.key(["admin"], "acme");
    expect((await s.call("GET", "/v1/secrets", { key: other })).body.secrets).toEqual([]);
    expect((await s.call("DELETE", "/v1/secrets/slack?user=ada", { key: other })).status).toBe(404);
    expect((await s.call("DELETE", "/v1/secrets/slack?user=ada", { key: admin })).body).toEqual({
      removed: true,
    });
    expect((await s.call("GET", "/v1/secrets?user=ada", { key: admin })).body.secrets).toEqual([]);
  });

  it("says what is wrong with a bad name or a missing master key, and echoes no value", async () => {
    const s = await serverHarness([shipIt], { app: { masterKey: { key: randomBytes(32) } } });
    const admin = await s.key(["admin"]);
    const bad = await s.call("PUT", "/v1/secrets/bad%20name", { key: admin, body: { value: VALUE } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("secret name");
    expect(JSON.stringify(bad.body)).not.toContain(VALUE);

    // The key file cannot be made here (its folder is a file): the operator is told, nothing is stored.
    const blocker = join(tempDir(), "not-a-folder");
    writeFileSync(blocker, "");
    const file = join(blocker, "master.key");
    const nokey = await serverHarness([shipIt], { app: { masterKey: { env: {}, file } } });
    const admin2 = await nokey.key(["admin"]);
    const res = await nokey.call("PUT", "/v1/secrets/ok", { key: admin2, body: { value: VALUE } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("CAIRN_VAULT_KEY");
    expect(res.body.error.message).toContain(file);
    expect(JSON.stringify(res.body)).not.toContain(VALUE);
    expect(await nokey.sql("SELECT * FROM secrets")).toEqual([]);
  });
});
