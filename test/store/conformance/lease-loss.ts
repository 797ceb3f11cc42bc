import { describe, expect, it } from "vitest";
import type { LeaseLostError } from "../../../src/shared/errors.js";
import type { Ctx } from "./context.js";
import { TTL, WS, expectCode } from "./context.js";

/** A write whose lease is gone says why: the run was cancelled, or another worker holds it. */
export function leaseLossTests(get: () => Ctx): void {
  describe("a lost lease", () => {
    it("says the run was cancelled when a second cancel ended it under its worker", async () => {
      const c = get();
      const lease = await c.started();
      expect(await c.journal.requestCancel(WS, lease.runId, "first")).toBe("running");
      expect(await c.journal.requestCancel(WS, lease.runId, "second")).toBe("cancelled");
      for (const write of [
        () => c.journal.commitStep(lease, c.step("s", 0, 1)),
        () => c.journal.renewLease(lease, TTL),
        () => c.journal.suspendRun(lease),
      ]) {
        const err = (await expectCode(write(), "CAIRN_LEASE_LOST")) as LeaseLostError;
        expect(err.cancelled).toBe(true);
        expect(err.message).toBe(`run ${lease.runId} was cancelled (second); its execution stops here`);
      }
    });

    it("says another worker owns the run when it was taken over", async () => {
      const c = get();
      const lease = await c.started();
      c.clock.advance(TTL);
      await c.claimOne(lease.runId, { owner: "w2" });
      const err = (await expectCode(
        c.journal.commitStep(lease, c.step("s", 0, 1)),
        "CAIRN_LEASE_LOST",
      )) as LeaseLostError;
      expect(err.cancelled).toBe(false);
      expect(err.message).toMatch(/another worker owns the run/);
    });
  });
}
