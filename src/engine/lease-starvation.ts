/** The longest lease a run is given because its steps starved a shorter one. */
const LONGEST_LEASE_MS = 60 * 60_000;

/**
 * The lease a run needs after its event loop was blocked for `blockedMs` under a `ttlMs` one:
 * doubled until it outlasts twice the blocked time, up to an hour (never shorter than `ttlMs`).
 */
export function longerLease(ttlMs: number, blockedMs: number): number {
  const cap = Math.max(LONGEST_LEASE_MS, ttlMs);
  let next = ttlMs * 2;
  while (next < blockedMs * 2 && next < cap) next *= 2;
  return Math.min(next, cap);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** What a person is told: which step starved the lease, what Cairn did, and what to do. */
export function starvationMessage(options: {
  workflow: string | undefined;
  stepId: string | undefined;
  blockedMs: number;
  ttlMs: number;
  nextTtlMs: number;
  /** The run's status when it had ended by the time this is told. */
  ended?: string | undefined;
}): string {
  const { workflow, stepId, blockedMs, ttlMs, nextTtlMs, ended } = options;
  const where = stepId === undefined ? "code outside any step" : `step "${stepId}"`;
  const suggest = `${Math.max(1, Math.ceil((blockedMs * 2) / 60_000))}m`;
  const lapsed =
    ended === undefined
      ? `the lease lapsed unrenewed, so another worker may take the run over and be held up the same way. ` +
        `The run's next claims get a ${seconds(nextTtlMs)} lease.`
      : `the lease lapsed unrenewed. The run has ended since (${ended}), but a run that reaches this step ` +
        `again will starve its lease the same way.`;
  return (
    `${where} kept the event loop busy for ${seconds(blockedMs)}, past the run's ${seconds(ttlMs)} lease: ` +
    `${lapsed} Give the workflow a lease longer than the step ` +
    `computes (workflow("${workflow ?? "…"}", handler, { leaseTtl: "${suggest}" })), or let the step yield ` +
    `now and then (await new Promise(setImmediate)) so its lease can be renewed.`
  );
}

/** What a person is told when the store, not a step, held the event loop past the lease. */
export function storeStallMessage(options: {
  storeMs: number;
  blockedMs: number;
  ttlMs: number;
  nextTtlMs: number;
  ended?: string | undefined;
}): string {
  const { storeMs, blockedMs, ttlMs, nextTtlMs, ended } = options;
  return (
    `the store held this worker for ${seconds(storeMs)} of ${seconds(blockedMs)} (SQLite waiting for another ` +
    `process's write lock blocks the whole process), past the run's ${seconds(ttlMs)} lease: another worker ` +
    `may have taken the run over. No step is at fault. ` +
    (ended === undefined
      ? `The run's next claims get a ${seconds(nextTtlMs)} lease. `
      : `The run has ended since (${ended}). `) +
    `If it recurs, look for a process holding the database's write lock (a long transaction, a backup, ` +
    `an sqlite3 shell left inside a transaction).`
  );
}
