import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos.js";
import { formatReport } from "./verify.js";

/**
 * The chaos test, short: 3 `cairn worker` processes, 60 runs, 30 s of faults (SIGKILLs, a
 * network outage, a frozen worker, database crashes), then 300 claim races. `npm run chaos` is
 * the full one.
 */
describe("chaos on PostgreSQL", () => {
  it("every run completes; no committed step runs again; no timer, event or approval is lost or doubled", async () => {
    const report = await runChaos({
      workers: 3,
      runs: 60,
      durationMs: 30_000,
      killEveryMs: 3_000,
      outageMs: 3_000,
      restartEveryMs: 5_000,
      claimRaces: 300,
    });
    const summary = formatReport(report).join("\n");
    console.log(`chaos (short):\n${summary}`);
    expect(report.violations, summary).toEqual([]);
    expect(report.runs.byStatus, summary).toEqual({ completed: report.runs.total });
    // The faults really happened, and the workload really went through them.
    expect(report.faults.kills, summary).toBeGreaterThanOrEqual(3);
    expect(report.faults.outages + report.faults.zombies, summary).toBe(2);
    expect(report.faults.restarts, summary).toBeGreaterThanOrEqual(1);
    expect(report.timers.fired + report.events.delivered + report.approvals.decided, summary).toBe(36);
    expect(report.claimRace.oneWinner).toBe(300);
    // The frozen worker held a step that another took over: its late result was refused.
    expect(report.zombie?.stepsInFlight, summary).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
