import type { WaitRow } from "./sqlite/rows.js";

/** Why a parked run is waiting, in words for `runs ls` and `runs show`; the same for every store. */
export function describeBlocker(w: WaitRow | undefined, next: number | null): string {
  if (w === undefined)
    return next === null ? "waiting" : `retrying a step at ${new Date(next).toISOString()}`;
  const due = w.due_at === null ? "" : ` until ${new Date(w.due_at).toISOString()}`;
  switch (w.kind) {
    case "sleep":
      return `sleeping in step "${w.step_id}"${due}`;
    case "event":
      return `waiting for event "${w.event_name}" in step "${w.step_id}"${due ? ` (times out${due.replace(" until", " at")})` : ""}`;
    case "approval":
      return `waiting for approval ${w.approval_id} in step "${w.step_id}"${due ? ` (expires${due.replace(" until", " at")})` : ""}`;
    default:
      return `waiting for child run ${w.child_run_id} in step "${w.step_id}"`;
  }
}
