import { describe, expect, it } from "vitest";
import type { Ctx } from "./context.js";
import { TTL, WS } from "./context.js";

/** A longer lease recorded on a run (its steps starved a shorter one) holds for its next claims. */
export function leaseLengthTests(get: () => Ctx): void {
  describe("noteLeaseStarved", () => {
    it("gives the run's next claims the longer lease, logs why, and never shortens it", async () => {
      const c = get();
      const first = await c.started();
      expect(first.ttlMs).toBe(TTL);
      const note = {
        leaseTtlMs: TTL * 4,
        message: 'step "spin" kept the event loop busy',
        stepIds: ["spin"],
        blockedMs: 70_000,
      };
      // Not fenced: the worker that noticed has usually lost the run by then.
      c.clock.advance(TTL);
      const taken = await c.claimOne(first.runId, { owner: "w2" });
      await c.journal.noteLeaseStarved(WS, first.runId, note);
      expect((await c.journal.getRunSummary(WS, first.runId))?.leaseTtlMs).toBe(TTL * 4);
      const entry = (await c.journal.readEntries(WS, first.runId)).find(
        (e) => e.type === "run.lease_starved",
      );
      expect(entry).toMatchObject({ stepId: "spin", data: note });

      c.clock.advance(TTL);
      const longer = await c.claimOne(first.runId, { owner: "w3" });
      expect(longer.ttlMs).toBe(TTL * 4);
      expect(longer.expiresAt).toBe(c.clock.now() + TTL * 4);
      expect((await c.journal.getRunSummary(WS, first.runId))?.leaseExpiresAt).toBe(c.clock.now() + TTL * 4);
      expect(taken.epoch).toBeLessThan(longer.epoch);

      // A shorter note later changes nothing; a worker asking for more still gets more.
      await c.journal.noteLeaseStarved(WS, first.runId, { ...note, leaseTtlMs: TTL * 2 });
      expect((await c.journal.getRunSummary(WS, first.runId))?.leaseTtlMs).toBe(TTL * 4);
      await c.journal.releaseRun(longer);
      const asked = await c.claimOne(first.runId, { owner: "w4", ttlMs: TTL * 8 });
      expect(asked.ttlMs).toBe(TTL * 8);
    });

    it("leaves other runs' leases alone, and a run with none recorded has none", async () => {
      const c = get();
      const a = await c.create();
      const b = await c.create();
      await c.journal.noteLeaseStarved(WS, a.id, {
        leaseTtlMs: TTL * 3,
        message: "m",
        stepIds: [],
        blockedMs: 1,
      });
      expect((await c.journal.getRunSummary(WS, b.id))?.leaseTtlMs).toBeNull();
      const leases = await c.claim();
      expect(Object.fromEntries(leases.map((l) => [l.runId, l.ttlMs]))).toEqual({
        [a.id]: TTL * 3,
        [b.id]: TTL,
      });
      // An unknown run is no error: the note is only a hint.
      await c.journal.noteLeaseStarved(WS, "run_missing", {
        leaseTtlMs: TTL,
        message: "m",
        stepIds: [],
        blockedMs: 1,
      });
    });
  });
}
