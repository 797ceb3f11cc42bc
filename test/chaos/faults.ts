import { readFileSync, statSync } from "node:fs";
import type { ChaosTarget } from "./target.js";
import type { WorkerProcess } from "./worker-process.js";
import type { Execution } from "./workflows.js";

/** What was done to the system, for the report. */
export interface FaultCounts {
  kills: number;
  /** PostgreSQL: the network to the database cut. */
  outages: number;
  outageMs: number;
  /** PostgreSQL: the database crashed (`pg_ctl stop -m immediate`) and started again. */
  restarts: number;
  zombies: number;
  /** SQLite: another process took the file's write lock and held it. */
  lockGrabs: number;
  lockHeldMs: number;
  /** SQLite: how long a process spun a CPU at full speed beside the workers. */
  cpuHogMs: number;
  eventsSent: number;
  decisions: number;
  decisionConflicts: number;
}

export interface ZombieRecord {
  pid: number;
  stoppedAt: number;
  continuedAt: number;
}

/** How much longer than asked a zombie stays frozen, waiting for one of its steps to be taken over. */
const MAX_EXTRA_FREEZE_MS = 60_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The faults done so far, and a place to say what is happening. */
export class Faults {
  readonly counts: FaultCounts = {
    kills: 0,
    outages: 0,
    outageMs: 0,
    restarts: 0,
    zombies: 0,
    lockGrabs: 0,
    lockHeldMs: 0,
    cpuHogMs: 0,
    eventsSent: 0,
    decisions: 0,
    decisionConflicts: 0,
  };
  zombie: ZombieRecord | undefined;
  constructor(readonly say: (line: string) => void) {}
}

/** SIGKILLs a random worker every `everyMs` on average, and starts it again at once. */
export async function killer(workers: WorkerProcess[], everyMs: number, until: number, faults: Faults) {
  while (Date.now() + everyMs < until) {
    await sleep(everyMs * (0.5 + Math.random()));
    const candidates = workers.filter((w) => !w.frozen);
    const victim = candidates[Math.floor(Math.random() * candidates.length)];
    if (victim === undefined) continue;
    await victim.sigkill();
    faults.counts.kills++;
    victim.start();
  }
}

/**
 * Freezes the worker that has just begun a step (so it holds a step in flight) past its lease,
 * and keeps it frozen until another worker has taken one of its steps over. A run whose lease
 * was lengthened (after a store stall) is taken over only when that longer lease lapses, so the
 * freeze lasts up to a minute, and only such runs' workers are picked; if it landed between
 * steps, it tries again, up to three times. A worker caught holding the store's write lock (see
 * ChaosTarget.freezable) is let go at once and another moment chosen.
 */
export async function zombie(
  workers: WorkerProcess[],
  execLog: string,
  at: number,
  frozenMs: number,
  faults: Faults,
  target: ChaosTarget,
) {
  await sleep(Math.max(0, at - Date.now()));
  for (let attempt = 1; attempt <= 3; attempt++) {
    const record = await freezeOnce(workers, execLog, frozenMs, faults, target);
    faults.zombie = record;
    faults.counts.zombies++;
    if (takenOver(execLog, record)) return;
    faults.say(`zombie: none of worker ${record.pid}'s steps was taken over; freezing one again`);
  }
}

async function freezeOnce(
  workers: WorkerProcess[],
  execLog: string,
  frozenMs: number,
  faults: Faults,
  target: ChaosTarget,
): Promise<ZombieRecord> {
  let victim: WorkerProcess | undefined;
  /** The step the victim had just begun, when it was picked for that. */
  let began: { runId: string; stepId: string } | undefined;
  const lookUntil = Date.now() + 20_000;
  let seen = statSync(execLog).size;
  while (victim === undefined && Date.now() < lookUntil) {
    await sleep(2);
    const size = statSync(execLog).size;
    if (size === seen) continue;
    seen = size;
    const last = readFileSync(execLog, "utf8").trimEnd().split("\n").pop() ?? "";
    let line: Execution;
    try {
      line = JSON.parse(last) as Execution;
    } catch {
      continue; // read while being written: the next look sees it whole
    }
    const { p: pid, r: runId } = line;
    const candidate = workers.find((w) => w.pid === pid && !w.frozen);
    if (candidate === undefined) continue;
    // A run whose lease was lengthened (after a store stall) would not be taken over while frozen.
    const run = await target.observer.getRunSummary("default", runId).catch(() => undefined);
    if (run?.leaseTtlMs != null || !run?.leaseOwner?.includes(`/${pid}/`)) continue;
    candidate.signal("SIGSTOP");
    if (await target.freezable()) {
      victim = candidate;
      began = { runId, stepId: line.s };
    } else candidate.signal("SIGCONT");
  }
  if (victim === undefined) {
    victim = workers[0]!;
    victim.signal("SIGSTOP");
  }
  victim.frozen = true;
  const pid = victim.pid!;
  const stoppedAt = Date.now();
  faults.say(`zombie: worker ${pid} frozen (SIGSTOP) for ${frozenMs / 1000} s, past its lease`);
  await sleep(frozenMs);
  const giveUpAt = Date.now() + MAX_EXTRA_FREEZE_MS;
  while (!takenOver(execLog, { pid, stoppedAt, continuedAt: Date.now() }) && Date.now() < giveUpAt) {
    // The step it began is committed and nobody else ran it: it committed it itself just before
    // the freeze, so nothing is left to take over and waiting longer only delays the next try.
    if (began !== undefined && (await committed(target, began))) break;
    await sleep(200);
  }
  const continuedAt = Date.now();
  victim.signal("SIGCONT");
  victim.frozen = false;
  return { pid, stoppedAt, continuedAt };
}

/** Whether the journal holds a completed result of the step (false while the store is out of reach). */
async function committed(target: ChaosTarget, step: { runId: string; stepId: string }): Promise<boolean> {
  const steps = await target.observer.loadSteps("default", step.runId).catch(() => []);
  return steps.some((s) => s.stepId === step.stepId && s.status === "completed");
}

/** Whether another worker ran, while the zombie was frozen, a step the zombie had begun. */
function takenOver(execLog: string, z: ZombieRecord): boolean {
  const lines = readFileSync(execLog, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Execution);
  const began = new Set(lines.filter((e) => e.p === z.pid && e.at < z.stoppedAt).map((e) => `${e.r}/${e.s}`));
  return lines.some(
    (e) => e.p !== z.pid && e.at >= z.stoppedAt && e.at < z.continuedAt && began.has(`${e.r}/${e.s}`),
  );
}
