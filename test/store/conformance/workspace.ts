import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/shared/errors.js";
import { encodePayload } from "../../../src/shared/payload.js";
import { workspaceStoreOf } from "../../../src/store/workspace-store-of.js";
import type { StoredObject } from "../../../src/store/workspace-store.js";
import type { Ctx } from "./context.js";
import { expectCode, WS } from "./context.js";

function blob(text: string): StoredObject {
  return { hash: `h-${text}`, kind: "blob", data: Buffer.from(text) };
}

/** The workspace store beside the journal: content-addressed objects, and step pins. */
export function workspaceStoreTests(get: () => Ctx): void {
  describe("workspace objects", () => {
    it("stores each object once by hash, reads it back byte for byte, and scopes it to its workspace", async () => {
      const c = get();
      const store = workspaceStoreOf(c.journal);
      const bytes = Buffer.from([0, 1, 2, 255, 254]);
      const objects = [blob("a"), { hash: "h-bin", kind: "tree" as const, data: bytes }];
      expect(await store.putObjects(WS, objects, 1)).toBe(1 + 5);
      expect(await store.putObjects(WS, [...objects, blob("bb")], 2)).toBe(2);
      expect([...(await store.hasObjects(WS, ["h-a", "h-bb", "h-missing"]))].sort()).toEqual(["h-a", "h-bb"]);
      const got = await store.getObjects(WS, ["h-bin", "h-a", "h-missing"]);
      expect(got.size).toBe(2);
      expect(Buffer.compare(got.get("h-bin")!.data, bytes)).toBe(0);
      expect(got.get("h-bin")!.kind).toBe("tree");
      await c.journal.createApiKey({
        id: "k",
        workspace: "acme",
        name: "k",
        principal: "p",
        hash: "hk",
        prefix: "p",
        scopes: ["read"],
      });
      expect((await store.hasObjects("acme", ["h-a"])).size).toBe(0);
      expect(await store.putObjects("acme", [blob("a")], 3)).toBe(1);
    });

    it("lists objects stored before a time, and deletes the ones asked", async () => {
      const c = get();
      const store = workspaceStoreOf(c.journal);
      await store.putObjects(WS, [blob("old")], 100);
      await store.putObjects(WS, [blob("new")], 200);
      expect(await store.listObjects(WS, 150)).toEqual([{ hash: "h-old", size: 3 }]);
      await store.deleteObjects(WS, ["h-old"]);
      expect([...(await store.hasObjects(WS, ["h-old", "h-new"]))]).toEqual(["h-new"]);
    });
  });

  describe("workspace pins", () => {
    it("the newest pin counts only once its step committed; pinning a step again makes it the newest", async () => {
      const c = get();
      const store = workspaceStoreOf(c.journal);
      const lease = await c.started();
      const runId = lease.runId;
      await c.journal.commitStep(lease, c.step("a", 0, 1));
      await store.pin(WS, { runId, stepId: "a", kind: "files", root: "r1" }, 1);
      // Step b pinned but never committed: it left nothing behind.
      await store.pin(WS, { runId, stepId: "b", kind: "files", root: "r2" }, 2);
      expect((await store.latestPin(WS, runId, "files"))?.root).toBe("r1");
      await c.journal.commitStep(
        lease,
        c.step("b", 1, undefined, { status: "failed", error: { name: "E", message: "m" } }),
      );
      expect((await store.latestPin(WS, runId, "files"))?.root).toBe("r2");
      // Another kind is its own history.
      expect(await store.latestPin(WS, runId, "skills")).toBeUndefined();
      // Step a pinned again (a later attempt): it is now the newest.
      await store.pin(WS, { runId, stepId: "a", kind: "files", root: "r3" }, 3);
      expect((await store.latestPin(WS, runId, "files"))?.root).toBe("r3");
    });

    it("through a step: the newest pin among the steps up to it; an unknown step is an error", async () => {
      const c = get();
      const store = workspaceStoreOf(c.journal);
      const lease = await c.started();
      const runId = lease.runId;
      for (const [i, id] of ["a", "b", "c"].entries()) await c.journal.commitStep(lease, c.step(id, i, i));
      await store.pin(WS, { runId, stepId: "a", kind: "files", root: "ra" }, 1);
      await store.pin(WS, { runId, stepId: "c", kind: "files", root: "rc" }, 2);
      expect((await store.latestPin(WS, runId, "files", "a"))?.root).toBe("ra");
      expect((await store.latestPin(WS, runId, "files", "b"))?.root).toBe("ra");
      expect((await store.latestPin(WS, runId, "files", "c"))?.root).toBe("rc");
      await expectCode(store.latestPin(WS, runId, "files", "nope"), ErrorCode.StepNotFound);
    });

    it("copies a run's pins up to a step to another run (a fork)", async () => {
      const c = get();
      const store = workspaceStoreOf(c.journal);
      const lease = await c.started();
      for (const [i, id] of ["a", "b"].entries()) await c.journal.commitStep(lease, c.step(id, i, i));
      await store.pin(WS, { runId: lease.runId, stepId: "a", kind: "files", root: "ra" }, 1);
      await store.pin(WS, { runId: lease.runId, stepId: "b", kind: "files", root: "rb" }, 2);
      const fork = await c.started();
      await c.journal.commitStep(fork, c.step("a", 0, 0));
      expect(await store.copyPins(WS, lease.runId, fork.runId, "a")).toBe(1);
      expect((await store.latestPin(WS, fork.runId, "files"))?.root).toBe("ra");
    });

    it("prunes the pins of runs that no longer exist, and of runs that ended before a time", async () => {
      const c = get();
      const store = workspaceStoreOf(c.journal);
      const running = await c.started();
      const ended = await c.started();
      await c.journal.completeRun(ended, encodePayload("ok", "output"));
      const endedAt = c.clock.now();
      for (const runId of [running.runId, ended.runId, "run_gone"])
        await store.pin(WS, { runId, stepId: "s", kind: "files", root: `root-${runId}` }, 1);
      expect((await store.pinnedRoots(WS)).length).toBe(3);
      expect(await store.prunePins(WS, {})).toBe(1);
      expect((await store.pinnedRoots(WS)).sort()).toEqual(
        [`root-${ended.runId}`, `root-${running.runId}`].sort(),
      );
      expect(await store.prunePins(WS, { endedBefore: endedAt })).toBe(0);
      expect(await store.prunePins(WS, { endedBefore: endedAt + 1 })).toBe(1);
      expect(await store.pinnedRoots(WS)).toEqual([`root-${running.runId}`]);
    });
  });
}
