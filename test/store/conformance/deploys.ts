import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/shared/errors.js";
import { encodePayload } from "../../../src/shared/payload.js";
import type { Ctx } from "./context.js";
import { TTL, WF, WS, error, expectCode } from "./context.js";

/** Run versions, notes on runs no worker can take, moving a run to another version. */
export function deployTests(get: () => Ctx): void {
  describe("run versions", () => {
    it("records the version a run starts on; a run without one has null", async () => {
      const c = get();
      const a = await c.create({ version: "hash:0123456789ab" });
      const b = await c.create();
      expect((await c.journal.getRunSummary(WS, a.id))?.version).toBe("hash:0123456789ab");
      expect((await c.journal.getRun(WS, b.id))?.version).toBeNull();
      expect((await c.journal.listRuns(WS)).map((r) => r.version).sort()).toEqual([
        "hash:0123456789ab",
        null,
      ]);
    });

    it("a run on a version its author set is claimed only by a claimer listing that version", async () => {
      const c = get();
      const v1 = await c.create({ version: "1" });
      const v2 = await c.create({ version: "2" });
      const hashed = await c.create({ version: "hash:aaaaaaaaaaaa" });
      const none = await c.create();
      const onlyV2 = await c.claim({ versions: [`${WF}@2`, "other@1"] });
      expect(onlyV2.map((l) => l.runId).sort()).toEqual([v2.id, hashed.id, none.id].sort());
      expect(await c.status(v1.id)).toBe("queued");
      // A claimer that does not filter by version (an older caller) takes any.
      expect((await c.claim({ owner: "b" })).map((l) => l.runId)).toEqual([v1.id]);
    });

    it("counts active runs per workflow and version, naming the oldest", async () => {
      const c = get();
      const first = await c.create({ version: "1" });
      await c.create({ version: "1" });
      await c.create({ workflow: "other" });
      const ended = await c.started({ version: "2" });
      await c.journal.completeRun(ended, encodePayload(null, "out"));
      expect(await c.journal.countActiveRuns(WS)).toEqual([
        { workflow: "other", version: null, runs: 1, oldestRunId: expect.any(String) as string },
        { workflow: WF, version: "1", runs: 2, oldestRunId: first.id },
      ]);
      expect(await c.journal.countActiveRuns("elsewhere")).toEqual([]);
    });
  });

  describe("noteUnrunnable", () => {
    it("notes the runs no live worker holds, with each run's id, until a worker claims one", async () => {
      const c = get();
      const queued = await c.create({ version: "1" });
      const otherVersion = await c.create({ version: "2" });
      const live = await c.started({ version: "1" }, "alive");
      const lapsed = await c.started({ version: "1" }, "gone");
      await c.journal.renewLease(live, TTL * 10);
      c.clock.advance(TTL + 1);
      const n = await c.journal.noteUnrunnable(
        WS,
        { workflow: WF, version: "1" },
        "no worker has v1: cairn runs migrate {id}",
      );
      expect(n).toBe(2);
      expect((await c.journal.getRunSummary(WS, queued.id))?.reason).toBe(
        `no worker has v1: cairn runs migrate ${queued.id}`,
      );
      expect((await c.journal.getRunSummary(WS, lapsed.runId))?.reason).toBe(
        `no worker has v1: cairn runs migrate ${lapsed.runId}`,
      );
      expect((await c.journal.getRunSummary(WS, live.runId))?.reason).toBeNull();
      expect((await c.journal.getRunSummary(WS, otherVersion.id))?.reason).toBeNull();
      expect(await c.journal.noteUnrunnable(WS, { workflow: WF }, "any version")).toBe(3);
      await c.claimOne(queued.id);
      expect((await c.journal.getRunSummary(WS, queued.id))?.reason).toBeNull();
    });
  });

  describe("migrateRun", () => {
    it("moves a run that has not ended to another version, logged; the claim filter then lets it through", async () => {
      const c = get();
      const run = await c.create({ version: "1" });
      await c.journal.noteUnrunnable(WS, { workflow: WF, version: "1" }, "stuck");
      expect(await c.claim({ versions: [`${WF}@2`] })).toEqual([]);
      const moved = await c.journal.migrateRun(WS, run.id, "2");
      expect(moved).toMatchObject({ id: run.id, version: "2", reason: null, status: "queued" });
      const entries = await c.journal.readEntries(WS, run.id);
      expect(entries.at(-1)).toMatchObject({ type: "run.migrated", data: { from: "1", to: "2" } });
      expect((await c.claim({ versions: [`${WF}@2`] })).map((l) => l.runId)).toEqual([run.id]);
    });

    it("refuses an unknown run, an ended one, and one running under a live lease", async () => {
      const c = get();
      await expectCode(c.journal.migrateRun(WS, "run_nope", "2"), ErrorCode.RunNotFound);
      const live = await c.started({ version: "1" });
      const refused = await expectCode(c.journal.migrateRun(WS, live.runId, "2"), ErrorCode.Conflict);
      expect(refused.message).toContain("is running on owner-a");
      await c.journal.failRun(live, error("boom"));
      const ended = await expectCode(c.journal.migrateRun(WS, live.runId, "2"), ErrorCode.Conflict);
      expect(ended.message).toContain("has ended (failed)");
      expect((await c.journal.getRunSummary(WS, live.runId))?.version).toBe("1");
    });
  });
}
