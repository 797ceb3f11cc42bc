import { describe, expect, it } from "vitest";
import { encodePayload } from "../../../src/shared/payload.js";
import type { Ctx } from "./context.js";
import { WS } from "./context.js";

const say = (text: string) => encodePayload({ role: "user", content: text }, "message");
const steer = (text: string) => encodePayload(text, "steering message");
const KEY = { key: "session:s1", mode: "skip" as const };

/** A session's conversation saved by its runs, and the inbox that steers a run in flight. */
export function sessionTests(get: () => Ctx): void {
  describe("sessions", () => {
    it("a run saving again appends only the messages it had not saved", async () => {
      const c = get();
      await c.journal.appendSession(WS, "helper", "s1", "run_1", [say("one"), say("two")]);
      await c.journal.appendSession(WS, "helper", "s1", "run_1", [say("one"), say("two")]);
      await c.journal.appendSession(WS, "helper", "s1", "run_1", [say("one"), say("two"), say("three")]);
      const stored = await c.journal.loadSession(WS, "helper", "s1");
      expect(stored.map((m) => [m.seq, (m.message as { content: string }).content])).toEqual([
        [1, "one"],
        [2, "two"],
        [3, "three"],
      ]);
    });

    it("the inbox takes messages for a run in flight until the run closes it", async () => {
      const c = get();
      const lease = await c.started({ singleton: KEY });
      expect(await c.journal.pushInbox(WS, "helper", "s1", steer("first"), lease.runId)).toBeDefined();
      // Closing with a message waiting takes it and leaves the inbox open.
      expect(await c.journal.takeInbox(WS, "helper", "s1", lease.runId, "inbox#1", true)).toEqual(["first"]);
      expect(await c.journal.pushInbox(WS, "helper", "s1", steer("second"), lease.runId)).toBeDefined();
      expect(await c.journal.takeInbox(WS, "helper", "s1", lease.runId, "inbox#2")).toEqual(["second"]);
      // Closing with none waiting closes it, for this run only; the run keeps its session key.
      expect(await c.journal.takeInbox(WS, "helper", "s1", lease.runId, "inbox#3", true)).toEqual([]);
      expect(await c.journal.pushInbox(WS, "helper", "s1", steer("late"), lease.runId)).toBeUndefined();
      expect((await c.journal.getRun(WS, lease.runId))?.singletonKey).toBe("session:s1");
      // Taken again (a step that ran again), the closing take finds nothing either.
      expect(await c.journal.takeInbox(WS, "helper", "s1", lease.runId, "inbox#3", true)).toEqual([]);
      // Another run of the session takes messages, the first of them the late one it was refused.
      const other = await c.create({ singleton: { ...KEY, mode: "queue" } });
      expect(await c.journal.pushInbox(WS, "helper", "s1", steer("late"), other.id)).toBeDefined();
      expect(await c.journal.takeInbox(WS, "helper", "s1", other.id, "inbox#1")).toEqual(["late"]);
    });

    it("a run that ended takes no message", async () => {
      const c = get();
      const lease = await c.started({ singleton: KEY });
      await c.journal.completeRun(lease, encodePayload("done", "output"));
      expect(await c.journal.pushInbox(WS, "helper", "s1", steer("too late"), lease.runId)).toBeUndefined();
      expect(await c.journal.pushInbox(WS, "helper", "s1", steer("nobody"), "run_missing")).toBeUndefined();
    });
  });
}
