import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StepNotices } from "../../src/store/postgres/step-notices.js";

/**
 * When PostgreSQL step commits tell a run's log watchers: a window's first commit in its own
 * statement, and what a window owes carried by the run's next commit, sent on its own only when
 * no commit comes. Timers are fake, so every case is exact.
 */
const WINDOW_MS = 10;

let sent: string[];
let notices: StepNotices;

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  notices = new StepNotices(async (workspace, runId) => {
    sent.push(`${workspace}/${runId}`);
  }, WINDOW_MS);
});

afterEach(() => {
  vi.useRealTimers();
});

/** One commit of run r1 that is not told to notify, under way for `ms`, then written. */
function quietCommit(ms = 0): void {
  expect(notices.open("ws", "r1"), "a commit inside an open window does not notify").toBe(false);
  vi.advanceTimersByTime(ms);
  notices.committed("ws", "r1");
}

describe("step commit notifications", () => {
  it("a run committing back to back sends none of its own: a commit after each window carries it", () => {
    let carriers = 0;
    for (let t = 0; t < 200; t++) {
      if (notices.open("ws", "r1")) carriers++;
      else notices.committed("ws", "r1");
      vi.advanceTimersByTime(1);
    }
    expect(sent, "notifications sent on their own").toEqual([]);
    // One commit opens each window (10 ms) and the next one after it carries what it owed.
    expect(carriers).toBeGreaterThanOrEqual(200 / (2 * WINDOW_MS + 2));
    expect(carriers).toBeLessThanOrEqual(200 / WINDOW_MS + 1);
  });

  it("sends the last commits of a burst on their own, once, when no commit comes to carry them", () => {
    expect(notices.open("ws", "r1"), "the first commit notifies").toBe(true);
    quietCommit();
    quietCommit();
    vi.advanceTimersByTime(WINDOW_MS);
    expect(sent, "nothing yet: the run's next commit may carry it").toEqual([]);
    vi.advanceTimersByTime(WINDOW_MS);
    expect(sent).toEqual(["ws/r1"]);
    vi.advanceTimersByTime(10 * WINDOW_MS);
    expect(sent, "told once").toEqual(["ws/r1"]);
    expect(notices.open("ws", "r1"), "the run's next commit opens a new window").toBe(true);
  });

  it("sends nothing after a window whose only commit notified itself", () => {
    expect(notices.open("ws", "r1")).toBe(true);
    vi.advanceTimersByTime(10 * WINDOW_MS);
    expect(sent).toEqual([]);
  });

  it("waits for a commit still under way, then lets the next commit carry what it owes", () => {
    expect(notices.open("ws", "r1")).toBe(true);
    expect(notices.open("ws", "r1")).toBe(false);
    vi.advanceTimersByTime(3 * WINDOW_MS);
    expect(sent, "a commit is under way: it, or the one after it, tells").toEqual([]);
    notices.committed("ws", "r1");
    expect(notices.open("ws", "r1"), "the next commit carries the notification").toBe(true);
    vi.advanceTimersByTime(10 * WINDOW_MS);
    expect(sent).toEqual([]);
  });

  it("sends what a commit under way owed when no commit follows it", () => {
    expect(notices.open("ws", "r1")).toBe(true);
    quietCommit(3 * WINDOW_MS);
    vi.advanceTimersByTime(WINDOW_MS);
    expect(sent).toEqual(["ws/r1"]);
  });

  it("still owes what a carrier that committed nothing was to tell", () => {
    expect(notices.open("ws", "r1")).toBe(true);
    quietCommit();
    vi.advanceTimersByTime(WINDOW_MS);
    expect(notices.open("ws", "r1"), "this commit carries the window's notification").toBe(true);
    notices.unsent("ws", "r1");
    vi.advanceTimersByTime(2 * WINDOW_MS);
    expect(sent).toEqual(["ws/r1"]);
  });

  it("keeps runs apart, and sends what every window owes when the journal closes", async () => {
    expect(notices.open("ws", "r1")).toBe(true);
    expect(notices.open("ws", "r2")).toBe(true);
    quietCommit();
    await notices.flush();
    expect(sent).toEqual(["ws/r1"]);
    vi.advanceTimersByTime(10 * WINDOW_MS);
    expect(sent, "nothing more once flushed").toEqual(["ws/r1"]);
  });
});
