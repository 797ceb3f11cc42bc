import { describe, expect, it } from "vitest";
import type { ChaosOptions } from "./chaos.js";
import { runChaos } from "./chaos.js";
import { formatReport } from "./verify.js";

/**
 * The chaos test, short, on each store: 3 `cairn worker` processes, 60 runs, 30 s of faults
 * (SIGKILLs and a frozen worker on both; a network outage and database crashes on PostgreSQL;
 * the write lock held by another process, once past the busy timeout, and a CPU hog on SQLite),
 * then 300 claim races. `npm run chaos [-- --store sqlite]` is the full one.
 */
async function shortChaos(store: ChaosOptions["store"]) {
  const report = await runChaos({
    workers: 3,
    runs: 60,
    durationMs: 30_000,
    killEveryMs: 3_000,
    claimRaces: 300,
    store,
  });
  const summary = formatReport(report).join("\n");
  console.log(`chaos (short, ${store.kind}):\n${summary}`);
  expect(report.violations, summary).toEqual([]);
  expect(report.runs.byStatus, summary).toEqual({ completed: report.runs.total });
  // The faults really happened, and the workload really went through them.
  expect(report.faults.kills, summary).toBeGreaterThanOrEqual(3);
  expect(report.faults.zombies, summary).toBeGreaterThanOrEqual(1);
  expect(report.timers.fired + report.events.delivered + report.approvals.decided, summary).toBe(36);
  expect(report.claimRace.oneWinner, summary).toBe(300);
  // Every run's log was read and checked.
  expect(report.logs.runs, summary).toBe(report.runs.total);
  // The frozen worker held a step that another took over: its late result was refused.
  expect(report.zombie?.stepsInFlight, summary).toBeGreaterThanOrEqual(1);
  return { report, summary };
}

describe("chaos", () => {
  it("on PostgreSQL: every run completes; no committed step runs again; no timer, event or approval is lost or doubled", async () => {
    const { report, summary } = await shortChaos({
      kind: "postgres",
      outageMs: 3_000,
      restartEveryMs: 5_000,
    });
    expect(report.faults.outages, summary).toBe(1);
    expect(report.faults.restarts, summary).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("on SQLite: the same, with the write lock held by another process (once past the busy timeout) and a CPU hog", async () => {
    const { report, summary } = await shortChaos({
      kind: "sqlite",
      lockEveryMs: 4_000,
      lockMaxMs: 3_000,
      longLockMs: 11_000,
      cpuHog: true,
    });
    // The long hold past the busy timeout, and at least one more (how many fit in 30 s varies
    // with how long the holder waits for the lock on a busy machine).
    expect(report.faults.lockGrabs, summary).toBeGreaterThanOrEqual(2);
    expect(report.faults.lockHeldMs, summary).toBeGreaterThanOrEqual(11_000);
    expect(report.faults.cpuHogMs, summary).toBeGreaterThanOrEqual(25_000);
  }, 300_000);
});
