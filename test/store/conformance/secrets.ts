import { describe, expect, it } from "vitest";
import type { NewSealedSecret } from "../../../src/store/secret-records.js";
import type { Ctx } from "./context.js";
import { WS } from "./context.js";

function sealed(overrides: Partial<NewSealedSecret> = {}): NewSealedSecret {
  return {
    workspace: WS,
    user: null,
    name: "github",
    kind: "value",
    ciphertext: "c1",
    wrappedKey: "w1",
    keyId: "k1",
    ...overrides,
  };
}

/** The vault's rows: scoped to workspace and user, replaced by name, re-wrapped in one go. */
export function secretTests(get: () => Ctx): void {
  describe("secrets", () => {
    it("keeps one secret per workspace, user and name; a user's is never another's", async () => {
      const { journal, clock } = get();
      const info = await journal.secrets.put(sealed({ user: "ada" }));
      expect(info).toEqual({
        workspace: WS,
        user: "ada",
        name: "github",
        kind: "value",
        keyId: "k1",
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      expect(info).not.toHaveProperty("ciphertext");
      expect(await journal.secrets.get({ workspace: WS, user: "bob", name: "github" })).toBeUndefined();
      expect(await journal.secrets.get({ workspace: WS, user: null, name: "github" })).toBeUndefined();
      expect(await journal.secrets.get({ workspace: "other", user: "ada", name: "github" })).toBeUndefined();
      expect(await journal.secrets.get({ workspace: WS, user: "ada", name: "github" })).toMatchObject({
        ciphertext: "c1",
        wrappedKey: "w1",
      });
      clock.advance(1000);
      await journal.secrets.put(sealed({ user: "ada", ciphertext: "c2", wrappedKey: "w2" }));
      const again = await journal.secrets.get({ workspace: WS, user: "ada", name: "github" });
      expect(again).toMatchObject({
        ciphertext: "c2",
        updatedAt: clock.now(),
        createdAt: clock.now() - 1000,
      });
    });

    it("lists a workspace's secrets without values, filters by user, and removes one scope", async () => {
      const { journal } = get();
      await journal.secrets.put(sealed({ name: "slack" }));
      await journal.secrets.put(sealed({ user: "bob" }));
      await journal.secrets.put(sealed({ user: "ada" }));
      await journal.secrets.put(sealed({ workspace: "acme", name: "elsewhere" }));
      const all = await journal.secrets.list(WS);
      expect(all.map((s) => `${s.user ?? "*"}/${s.name}`)).toEqual(["*/slack", "ada/github", "bob/github"]);
      expect(all.some((s) => "ciphertext" in s || "wrappedKey" in s)).toBe(false);
      expect((await journal.secrets.list(WS, { user: null })).map((s) => s.name)).toEqual(["slack"]);
      expect((await journal.secrets.list(WS, { user: "ada" })).map((s) => s.user)).toEqual(["ada"]);
      expect(await journal.secrets.remove({ workspace: WS, user: "ada", name: "github" })).toBe(true);
      expect(await journal.secrets.remove({ workspace: WS, user: "ada", name: "github" })).toBe(false);
      expect(await journal.secrets.get({ workspace: WS, user: "bob", name: "github" })).toBeDefined();
    });

    it("re-wraps keys only where the row is still under the old key", async () => {
      const { journal } = get();
      await journal.secrets.put(sealed({ user: "ada" }));
      await journal.secrets.put(sealed({ workspace: "acme", keyId: "k0" }));
      const rows = await journal.secrets.all();
      expect(rows.map((r) => r.workspace)).toEqual(["acme", WS]);
      const changed = await journal.secrets.rewrap(
        rows.map((r) => ({
          workspace: r.workspace,
          user: r.user,
          name: r.name,
          wrappedKey: "w9",
          keyId: "k2",
        })),
        "k1",
      );
      expect(changed).toBe(1);
      expect(await journal.secrets.get({ workspace: WS, user: "ada", name: "github" })).toMatchObject({
        wrappedKey: "w9",
        keyId: "k2",
        ciphertext: "c1",
      });
      expect(await journal.secrets.get({ workspace: "acme", user: null, name: "github" })).toMatchObject({
        keyId: "k0",
      });
    });
  });
}
