import type pg from "pg";

/** A connection's first new planning (ms after it opened); each later one waits twice as long. */
const FIRST_MS = 1_000;
/** The longest wait between two plannings of one connection. */
const LONGEST_MS = 5 * 60_000;

/**
 * Makes each pooled connection plan its statements again as it ages: 1 s after it opened, then
 * 2 s, 4 s… and at most 5 minutes apart. A connection plans each statement once and keeps the
 * plan (see createPool). Planned while the tables were nearly empty, a lookup by primary key can
 * take any index that begins with the workspace, and then reads every run of the workspace at
 * each lookup until the next ANALYZE; planned again once the tables hold rows, it reads one.
 */
export function refreshPlans(pool: pg.Pool): void {
  const due = new WeakMap<pg.PoolClient, { opened: number; next: number }>();
  pool.on("connect", (client) => {
    const at = performance.now();
    due.set(client, { opened: at, next: at + FIRST_MS });
  });
  pool.on("acquire", (client) => {
    const d = due.get(client);
    const at = performance.now();
    if (d === undefined || at < d.next) return;
    d.next = at + Math.min(Math.max(at - d.opened, FIRST_MS), LONGEST_MS);
    // Queued ahead of the caller's first statement on the connection: pg runs them in order. A
    // failure (the connection lost) is the caller's statement's to report.
    client.query("DISCARD PLANS").catch(() => undefined);
  });
}
