import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Entry } from "../../src/store/entry-types.js";
import type { Journal } from "../../src/store/journal.js";
import type { RunSummary } from "../../src/store/records.js";
import type { FaultCounts, ZombieRecord } from "./faults.js";
import type { ClaimRaceResult } from "./claim-race.js";
import type { Execution } from "./workflows.js";

export interface ChaosReport {
  durationMs: number;
  runs: { total: number; topLevel: number; children: number; byStatus: Record<string, number> };
  steps: {
    committed: number;
    executions: number;
    /** Executions before the committed one: a worker died or lost its lease mid-step (allowed). */
    reExecutedBeforeCommit: number;
    /** Executions that began after the committed one: a committed step run again (never allowed). */
    executedAfterCommit: number;
  };
  timers: { fired: number; firedTwice: number; early: number };
  /** Every run's log: numbered 1..n without gap or repeat, and each committed step's result in it once. */
  logs: { runs: number; entries: number; broken: number };
  events: { sent: number; delivered: number; lost: number };
  approvals: {
    decided: number;
    approved: number;
    rejected: number;
    decidedTwice: number;
    wronglyApplied: number;
  };
  zombie: { pid: number; frozenMs: number; stepsInFlight: number; acceptedAfterTakeover: number } | null;
  faults: FaultCounts;
  claimRace: ClaimRaceResult;
  /** What the workers logged at warn or error level, counted by message. */
  workerLogs: Record<string, number>;
  /** Every broken invariant, in words; empty when all held. */
  violations: string[];
}

interface VerifyInput {
  journal: Journal;
  execLog: string;
  /** The directory of the workers' logs (worker-<n>.log). */
  logDir: string;
  topLevelRuns: string[];
  faults: FaultCounts;
  zombie: ZombieRecord | undefined;
  race: ClaimRaceResult;
  finished: boolean;
  durationMs: number;
}

const WS = "default";

/** Checks the chaos test's invariants against the journal and the execution log. */
export async function verify(input: VerifyInput): Promise<ChaosReport> {
  const { journal } = input;
  const violations: string[] = [];
  const executions = readFileSync(input.execLog, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Execution);
  const byStep = new Map<string, { index: number; e: Execution }[]>();
  executions.forEach((e, index) => {
    const key = `${e.r}/${e.s}`;
    const list = byStep.get(key) ?? [];
    list.push({ index, e });
    byStep.set(key, list);
  });

  const runs = (await journal.listRuns(WS, { limit: 1_000_000 })).filter(
    (r) => !r.workflow.startsWith("chaos.race"),
  );
  const byStatus: Record<string, number> = {};
  for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  if (!input.finished) violations.push("not every run ended within 3 minutes of the last fault");
  const notCompleted = runs.filter((r) => r.status !== "completed");
  if (notCompleted.length > 0)
    violations.push(
      `${notCompleted.length} runs did not complete: ${notCompleted
        .slice(0, 5)
        .map((r) => `${r.id} (${r.workflow}, ${r.status}${r.error ? `: ${r.error.message}` : ""})`)
        .join(", ")}`,
    );
  const missing = input.topLevelRuns.filter((id) => !runs.some((r) => r.id === id));
  if (missing.length > 0) violations.push(`${missing.length} started runs are missing from the store`);

  const steps = {
    committed: 0,
    executions: executions.length,
    reExecutedBeforeCommit: 0,
    executedAfterCommit: 0,
  };
  const committedBy = new Map<string, Execution>();
  const timers = { fired: 0, firedTwice: 0, early: 0 };
  const logs = { runs: 0, entries: 0, broken: 0 };
  const events = { sent: input.faults.eventsSent, delivered: 0, lost: 0 };
  for (const run of runs) {
    for (const step of await journal.loadSteps(WS, run.id)) {
      if (step.kind !== "run" || step.status !== "completed") continue;
      steps.committed++;
      const key = `${run.id}/${step.stepId}`;
      const token = (step.output as { t?: string } | null)?.t;
      const tries = byStep.get(key) ?? [];
      const at = tries.findIndex((x) => x.e.t === token);
      if (at < 0) {
        violations.push(`step ${key} committed a result no execution logged (${String(token)})`);
        continue;
      }
      committedBy.set(key, tries[at]!.e);
      steps.reExecutedBeforeCommit += at;
      const after = tries.slice(at + 1);
      steps.executedAfterCommit += after.length;
      if (after.length > 0)
        violations.push(
          `step ${key} ran again after its result was committed (by pid ${after.map((x) => x.e.p).join(", ")})`,
        );
    }
    await checkLog(journal, run, logs, violations);
    if (run.status !== "completed") continue;
    if (run.workflow === "chaos.sleep") await checkTimer(journal, run, timers, violations);
    if (run.workflow === "chaos.event") {
      const output = (await journal.getRun(WS, run.id))?.output as { token: string | null };
      if (output.token === `ev-${run.id}`) events.delivered++;
      else {
        events.lost++;
        violations.push(`run ${run.id} did not receive its event (got ${JSON.stringify(output.token)})`);
      }
    }
  }
  for (const key of byStep.keys()) {
    if (!committedBy.has(key) && runs.find((r) => key.startsWith(`${r.id}/`))?.status === "completed")
      violations.push(`step ${key} executed in a completed run, but no result of it was committed`);
  }

  const approvals = await checkApprovals(journal, runs, committedBy, violations);
  const zombie = checkZombie(input.zombie, byStep, committedBy, violations);
  if (input.race.oneWinner !== input.race.races)
    violations.push(
      `claim race: ${input.race.twoWinners} runs claimed twice and ${input.race.noWinner} by nobody, of ${input.race.races}`,
    );

  return {
    durationMs: input.durationMs,
    runs: {
      total: runs.length,
      topLevel: input.topLevelRuns.length,
      children: runs.filter((r) => r.parentRunId !== null).length,
      byStatus,
    },
    steps,
    timers,
    logs,
    events,
    approvals,
    zombie,
    faults: input.faults,
    claimRace: input.race,
    workerLogs: countWorkerLogs(input.logDir),
    violations,
  };
}

/**
 * A run's log is numbered 1..n, with no number skipped or taken twice however its writers raced
 * (workers, deciders, senders of events, the database restarting under them); it begins with
 * the run's creation, a completed step's result is in it once, and a completed run ends it once.
 * Only a lease-starvation note may follow the end: a worker frozen mid-step notes it when it
 * runs again, after another worker finished the run.
 */
async function checkLog(
  journal: Journal,
  run: RunSummary,
  logs: ChaosReport["logs"],
  violations: string[],
): Promise<void> {
  const entries = await journal.readEntries(WS, run.id);
  logs.runs++;
  logs.entries += entries.length;
  const problems: string[] = [];
  const gap = entries.findIndex((e, i) => e.seq !== i + 1);
  if (gap >= 0) problems.push(`entry ${gap + 1} is numbered ${entries[gap]!.seq}`);
  if (entries[0]?.type !== Entry.RunCreated) problems.push(`it begins with ${entries[0]?.type ?? "nothing"}`);
  const results = new Map<string, number>();
  for (const e of entries) {
    if (e.type === Entry.StepEnded && (e.data as { status?: string }).status === "completed")
      results.set(e.stepId ?? "", (results.get(e.stepId ?? "") ?? 0) + 1);
  }
  for (const [step, n] of results) if (n > 1) problems.push(`step ${step}'s result is logged ${n} times`);
  if (run.status === "completed") {
    const end = entries.findIndex((e) => e.type === Entry.RunEnded);
    const after = entries.slice(end + 1).filter((e) => e.type !== Entry.RunLeaseStarved);
    if (end < 0 || after.length > 0)
      problems.push(
        end < 0 ? "it has no run.ended entry" : `${after.map((e) => e.type).join(", ")} after run.ended`,
      );
  }
  if (problems.length === 0) return;
  logs.broken++;
  violations.push(`run ${run.id}'s log: ${problems.join("; ")}`);
}

/** A sleep's step ended once, and the step after it began no earlier than the sleep's length. */
async function checkTimer(
  journal: Journal,
  run: RunSummary,
  timers: ChaosReport["timers"],
  violations: string[],
): Promise<void> {
  timers.fired++;
  const ended = (await journal.readEntries(WS, run.id)).filter(
    (e) => e.type === Entry.StepEnded && e.stepId === "nap",
  );
  if (ended.length !== 1) {
    timers.firedTwice++;
    violations.push(`run ${run.id}: its timer ended ${ended.length} times`);
  }
  const out = (await journal.getRun(WS, run.id))?.output as {
    before: number;
    after: number;
    sleepMs: number;
  };
  if (out.after < out.before + out.sleepMs) {
    timers.early++;
    violations.push(`run ${run.id}: its ${out.sleepMs} ms timer fired after ${out.after - out.before} ms`);
  }
}

async function checkApprovals(
  journal: Journal,
  runs: RunSummary[],
  committedBy: Map<string, Execution>,
  violations: string[],
): Promise<ChaosReport["approvals"]> {
  const result = { decided: 0, approved: 0, rejected: 0, decidedTwice: 0, wronglyApplied: 0 };
  for (const run of runs.filter((r) => r.workflow === "chaos.approval")) {
    const approvals = await journal.listApprovals(WS, { runId: run.id, limit: 10 });
    const decidedEntries = (await journal.readEntries(WS, run.id)).filter(
      (e) => e.type === Entry.ApprovalDecided,
    );
    for (const a of approvals) {
      if (a.status === "approved" || a.status === "rejected") {
        result.decided++;
        result[a.status]++;
      }
      const applied = committedBy.has(`${run.id}/apply`);
      if (applied !== (a.status === "approved")) {
        result.wronglyApplied++;
        violations.push(
          `run ${run.id}: approval ${a.status}, but its action ${applied ? "ran" : "did not run"}`,
        );
      }
      const output = (await journal.getRun(WS, run.id))?.output as { status: string } | undefined;
      if (run.status === "completed" && output?.status !== a.status)
        violations.push(`run ${run.id} saw its approval as ${output?.status}, the store says ${a.status}`);
    }
    if (decidedEntries.length > approvals.length) {
      result.decidedTwice++;
      violations.push(`run ${run.id}: ${decidedEntries.length} decisions recorded for one approval`);
    }
  }
  return result;
}

function checkZombie(
  zombie: ZombieRecord | undefined,
  byStep: Map<string, { index: number; e: Execution }[]>,
  committedBy: Map<string, Execution>,
  violations: string[],
): ChaosReport["zombie"] {
  if (zombie === undefined) return null;
  let stepsInFlight = 0;
  let acceptedAfterTakeover = 0;
  for (const [key, tries] of byStep) {
    const frozenIn = tries.find((x) => x.e.p === zombie.pid && x.e.at < zombie.stoppedAt);
    if (frozenIn === undefined) continue;
    // A step the zombie began before it froze that another worker ran while it was frozen.
    const takenOver = tries.some(
      (x) => x.e.p !== zombie.pid && x.index > frozenIn.index && x.e.at < zombie.continuedAt,
    );
    if (!takenOver) continue;
    stepsInFlight++;
    // The very execution it began before freezing: it may claim the run again later and commit
    // a new execution of the step, as any worker may.
    if (committedBy.get(key)?.t === frozenIn.e.t) {
      acceptedAfterTakeover++;
      violations.push(`step ${key}: the frozen worker's result was accepted after another took over`);
    }
  }
  return {
    pid: zombie.pid,
    frozenMs: zombie.continuedAt - zombie.stoppedAt,
    stepsInFlight,
    acceptedAfterTakeover,
  };
}

/** The report as the lines the chaos command prints. */
export function formatReport(r: ChaosReport): string[] {
  const status = Object.entries(r.runs.byStatus)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  const lines = [
    `faults: ${describeFaults(r.faults)}, over ${(r.durationMs / 1000).toFixed(0)} s`,
    `runs: ${r.runs.total} (${r.runs.topLevel} started, ${r.runs.children} child runs): ${status}`,
    `steps: ${r.steps.committed} committed, ${r.steps.executions} executions; ` +
      `${r.steps.reExecutedBeforeCommit} re-run after a crash before any commit; ${r.steps.executedAfterCommit} run again after commit`,
    `timers: ${r.timers.fired} fired, ${r.timers.firedTwice} fired twice, ${r.timers.early} early`,
    `logs: ${r.logs.entries} entries in ${r.logs.runs} runs' logs; ${r.logs.broken} broken (a gap, a repeat, a result logged twice, an entry after the end)`,
    `events: ${r.events.sent} sent, ${r.events.delivered} delivered, ${r.events.lost} lost`,
    `approvals: ${r.approvals.decided} decided (${r.approvals.approved} approved, ${r.approvals.rejected} rejected) by ` +
      `${r.faults.decisions} winning and ${r.faults.decisionConflicts} refused racing decisions; ` +
      `${r.approvals.decidedTwice} decided twice, ${r.approvals.wronglyApplied} applied wrongly`,
    r.zombie
      ? `zombie: pid ${r.zombie.pid} frozen ${(r.zombie.frozenMs / 1000).toFixed(1)} s; ${r.zombie.stepsInFlight} of its steps taken over; ` +
        `${r.zombie.acceptedAfterTakeover} of its results accepted after takeover`
      : "zombie: none",
    `claim race: ${r.claimRace.races} races, ${r.claimRace.oneWinner} won by exactly one, ` +
      `${r.claimRace.twoWinners} by both, ${r.claimRace.noWinner} by neither`,
  ];
  const logs = Object.entries(r.workerLogs).sort((a, b) => b[1] - a[1]);
  lines.push(
    `worker warnings: ${logs.length === 0 ? "none" : logs.map(([m, n]) => `${n}× "${m}"`).join("; ")}`,
  );
  lines.push(r.violations.length === 0 ? "every invariant held" : `${r.violations.length} VIOLATIONS:`);
  for (const v of r.violations.slice(0, 50)) lines.push(`  - ${v}`);
  return lines;
}

function describeFaults(f: FaultCounts): string {
  const parts = [`${f.kills} SIGKILLs`];
  if (f.outages > 0) parts.push(`${f.outages} network outage(s) (${f.outageMs / 1000} s)`);
  if (f.restarts > 0) parts.push(`${f.restarts} database crashes+restarts`);
  if (f.lockGrabs > 0)
    parts.push(
      `${f.lockGrabs} write locks held by another process (${(f.lockHeldMs / 1000).toFixed(1)} s in all)`,
    );
  if (f.cpuHogMs > 0) parts.push(`a CPU hog for ${(f.cpuHogMs / 1000).toFixed(0)} s`);
  parts.push(`${f.zombies} zombie(s)`);
  return parts.join(", ");
}

/** The workers' warnings and errors (one JSON line each on stderr), counted by message. */
function countWorkerLogs(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of readdirSync(dir).filter((f) => /^worker-\d+\.log$/.test(f))) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const entry = JSON.parse(line) as { level?: string; message?: string };
        if (entry.level === "warn" || entry.level === "error")
          counts[entry.message ?? "?"] = (counts[entry.message ?? "?"] ?? 0) + 1;
      } catch {
        // A line cut short by a SIGKILL.
      }
    }
  }
  return counts;
}
