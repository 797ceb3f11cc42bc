import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/shared/errors.js";
import { encodePayload } from "../../../src/shared/payload.js";
import { Entry } from "../../../src/store/entry-types.js";
import type { NewApiKey } from "../../../src/store/service-records.js";
import type { Ctx } from "./context.js";
import { expectCode, WS } from "./context.js";

function key(overrides: Partial<NewApiKey> = {}): NewApiKey {
  return {
    id: "key_1",
    workspace: WS,
    name: "ci",
    principal: "alice",
    hash: "h1",
    prefix: "cairn_ab",
    scopes: ["read", "run"],
    ...overrides,
  };
}

/** What the HTTP service stores: API keys, streamed step progress, the feed, run listing. */
export function serviceTests(get: () => Ctx): void {
  describe("API keys", () => {
    it("stores a key by hash in its workspace, lists it there only, and revokes it", async () => {
      const { journal, clock } = get();
      expect(await journal.hasApiKeys()).toBe(false);
      const created = await journal.createApiKey(key({ workspace: "acme" }));
      expect(created).toMatchObject({
        id: "key_1",
        workspace: "acme",
        principal: "alice",
        scopes: ["read", "run"],
        createdAt: clock.now(),
        revokedAt: null,
      });
      expect(created).not.toHaveProperty("hash");
      expect(await journal.hasApiKeys()).toBe(true);
      expect((await journal.findApiKey("h1"))?.workspace).toBe("acme");
      expect(await journal.findApiKey("nope")).toBeUndefined();
      expect(await journal.listApiKeys("acme")).toHaveLength(1);
      expect(await journal.listApiKeys(WS)).toEqual([]);
      expect(await journal.revokeApiKey(WS, "key_1")).toBeUndefined();
      clock.advance(5);
      const revoked = await journal.revokeApiKey("acme", "key_1");
      expect(revoked?.revokedAt).toBe(clock.now());
      clock.advance(5);
      expect((await journal.revokeApiKey("acme", "key_1"))?.revokedAt).toBe(revoked?.revokedAt);
      expect(await journal.hasApiKeys()).toBe(false);
      // A new workspace's runs can be created once it has a key.
      await get().create({ workspace: "acme" });
      expect(await journal.listRuns("acme")).toHaveLength(1);
    });
  });

  describe("appendStreamChunks", () => {
    it("appends a batch to the run's log as one step.progress entry, fenced by the lease", async () => {
      const c = get();
      const lease = await c.started();
      const parts = [
        { type: "text-delta", text: "Hel" },
        { type: "text-delta", text: "lo" },
      ];
      await c.journal.appendStreamChunks(lease, { stepId: "model", attempt: 2, parts });
      const entries = await c.journal.readEntries(WS, lease.runId);
      const last = entries[entries.length - 1]!;
      expect(last).toMatchObject({
        type: Entry.StepProgress,
        stepId: "model",
        data: { attempt: 2, epoch: lease.epoch, parts },
      });
      await c.journal.releaseRun(lease);
      await expectCode(
        c.journal.appendStreamChunks(lease, { stepId: "model", attempt: 2, parts }),
        ErrorCode.LeaseLost,
      );
      const after = await c.journal.readEntries(WS, lease.runId);
      expect(after.filter((e) => e.type === Entry.StepProgress)).toHaveLength(1);
    });
  });

  describe("readFeed", () => {
    it("lists run and event entries of the workspace in commit order, after a cursor", async () => {
      const c = get();
      const a = await c.create();
      const b = await c.create();
      await c.journal.createApiKey(key({ workspace: "other" }));
      await c.create({ workspace: "other" });
      const lease = await c.claimOne(a.id);
      await c.journal.appendStreamChunks(lease, { stepId: "s", attempt: 1, parts: [{ t: 1 }] });
      await c.journal.completeRun(lease, encodePayload(1, "output"));
      const all = await c.journal.readFeed(WS, undefined, 100);
      expect(all.map((i) => [i.runId, i.type])).toEqual([
        [a.id, Entry.RunCreated],
        [b.id, Entry.RunCreated],
        [a.id, Entry.RunStarted],
        [a.id, Entry.RunEnded],
      ]);
      const rest = await c.journal.readFeed(WS, all[1]!.cursor, 100);
      expect(rest.map((i) => i.type)).toEqual(all.slice(2).map((i) => i.type));
      expect(await c.journal.readFeed(WS, all[all.length - 1]!.cursor, 100)).toEqual([]);
      expect(await c.journal.readFeed(WS, undefined, 1)).toHaveLength(1);
    });

    it("gives a cursor at the feed's end, after which only later changes are read", async () => {
      const c = get();
      await c.create();
      await c.create();
      const end = await c.journal.feedEnd(WS);
      expect(await c.journal.readFeed(WS, end, 100)).toEqual([]);
      const later = await c.create();
      expect((await c.journal.readFeed(WS, end, 100)).map((i) => [i.runId, i.type])).toEqual([
        [later.id, Entry.RunCreated],
      ]);
      // An empty workspace's end is its start.
      const empty = await c.journal.feedEnd("nobody");
      expect(await c.journal.readFeed("nobody", empty, 100)).toEqual([]);
    });
  });

  describe("listRuns filters", () => {
    it("pages newest first with a cursor, and filters by time and idempotency key", async () => {
      const c = get();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await c.create({ idempotencyKey: `k${i}` })).id);
        if (i !== 2) c.clock.advance(10); // runs 2 and 3 share a creation time
      }
      // Newest first; runs 2 and 3 share a time and are ordered by id.
      const tie = [ids[2]!, ids[3]!].sort().reverse();
      const expected = [ids[4], ...tie, ids[1], ids[0]];
      const pages: string[][] = [];
      let after: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await c.journal.listRuns(WS, { limit: 2, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        pages.push(page.map((r) => r.id));
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(pages).toEqual([expected.slice(0, 2), expected.slice(2, 4), expected.slice(4)]);
      const t1 = (await c.journal.getRunSummary(WS, ids[1]!))!.createdAt;
      const t4 = (await c.journal.getRunSummary(WS, ids[4]!))!.createdAt;
      const window = await c.journal.listRuns(WS, { createdAfter: t1, createdBefore: t4 });
      expect(window.map((r) => r.id).sort()).toEqual([ids[1], ids[2], ids[3]].sort());
      expect((await c.journal.listRuns(WS, { idempotencyKey: "k3" })).map((r) => r.id)).toEqual([ids[3]]);
    });
  });

  describe("schemaState", () => {
    it("reports the schema as current", async () => {
      const s = await get().journal.schemaState();
      expect(s.version).toBe(s.latest);
      expect(s.latest).toBeGreaterThanOrEqual(5);
    });
  });

  describe("watchLog", () => {
    it("calls the watcher after an entry is appended to a run's log", async () => {
      const c = get();
      const seen: (string | undefined)[] = [];
      const stop = c.journal.watchLog(WS, (runId) => seen.push(runId));
      try {
        // PostgreSQL listens on its own connection: give it a moment to be listening.
        await new Promise((r) => setTimeout(r, 300));
        const run = await c.create();
        const deadline = Date.now() + 10_000;
        while (!seen.some((r) => r === undefined || r === run.id)) {
          if (Date.now() > deadline)
            throw new Error(`watchLog never reported run ${run.id}; saw ${String(seen)}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        stop();
      }
    });
  });
}
