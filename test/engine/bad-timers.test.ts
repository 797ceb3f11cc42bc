import { describe, expect, it } from "vitest";
import type { Step } from "../../src/engine/step.js";
import { workflow } from "../../src/engine/workflow.js";
import { RetryAfterError } from "../../src/shared/errors.js";
import { Counter, harness } from "../helpers.js";

/**
 * A time no store or timer can hold (a sleep of a trillion days, a date past the last one
 * JavaScript knows, a retry a trillion days away) is the workflow's own error: it fails the run
 * at once with a message naming the step and the largest value allowed, and is never handed
 * back to go round again.
 */
const LARGEST_DURATION = /is longer than the largest allowed, 1000000d/;
const LATEST_DATE = /is later than the latest date allowed, \+275760-09-13T00:00:00\.000Z/;

const cases: [string, (step: Step) => Promise<unknown>, RegExp][] = [
  ['sleep("999999999999d")', (step) => step.sleep("nap", "999999999999d"), LARGEST_DURATION],
  ["sleep(1e300)", (step) => step.sleep("nap", 1e300), LARGEST_DURATION],
  ["sleepUntil(9e15)", (step) => step.sleepUntil("nap", 9e15), LATEST_DATE],
  [
    "a wait for an event with such a timeout",
    (step) => step.waitForEvent("nap", { event: "never", timeout: "999999999999d" }),
    LARGEST_DURATION,
  ],
  [
    "an approval with such a timeout",
    (step) => step.waitForApproval("nap", { title: "ok?", timeout: 1e300 }),
    LARGEST_DURATION,
  ],
  [
    "a step body asking to be retried that far away",
    (step) =>
      step.run("nap", () => {
        throw new RetryAfterError("busy", "999999999999d");
      }),
    LARGEST_DURATION,
  ],
  [
    "a step body asking to be retried after the last date",
    (step) =>
      step.run("nap", () => {
        throw new RetryAfterError("busy", new Date(8.64e15 + 1));
      }),
    /is not a date|is later than the latest date allowed/,
  ],
  [
    "a step timeout longer than a timer can wait",
    (step) => step.run("nap", () => 1, { timeout: "30d" }),
    /step "nap" timeout: "30d" is longer than the largest allowed, 2147483647 ms/,
  ],
  [
    "a step backoff that long",
    (step) => step.run("nap", () => 1, { backoff: { initial: "999999999999d" } }),
    /step "nap" backoff\.initial: "999999999999d" is longer than the largest allowed/,
  ],
];

describe("a time that cannot be represented", () => {
  it.each(cases)(
    "%s fails the run at once, naming the step and the largest allowed",
    async (_, call, message) => {
      const c = new Counter();
      const wf = workflow("far", async ({ step }) => {
        c.hit("handler");
        await call(step);
        return "never";
      });
      const h = await harness([wf]);
      const { runId } = await h.engine.start(wf);
      await h.drain();
      const run = await h.journal.getRunSummary("default", runId);
      expect(run?.status).toBe("failed");
      expect(run?.error?.code).toBe("CAIRN_INVALID_INPUT");
      expect(run?.error?.message).toMatch(/step "nap"/);
      expect(run?.error?.message).toMatch(message);
      // Executed once: never handed back to fail the same way again.
      const entries = await h.journal.readEntries("default", runId);
      expect(entries.filter((e) => e.type === "run.started")).toHaveLength(1);
      expect(c.get("handler")).toBe(1);
    },
  );

  it("a workflow whose own backoff or step timeout cannot be kept is refused when it is defined", () => {
    expect(() => workflow("far", async () => null, { retries: 1, backoff: { max: 1e300 } })).toThrow(
      /workflow "far" backoff\.max: 1e\+300 is longer than the largest allowed/,
    );
    expect(() => workflow("far", async () => null, { steps: { timeout: "25d" } })).toThrow(
      /workflow "far" steps\.timeout: "25d" is longer than the largest allowed/,
    );
  });
});
