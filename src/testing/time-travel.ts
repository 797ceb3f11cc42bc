import { CairnError, ErrorCode } from "../shared/errors.js";
import type { ManualClock } from "../shared/clock.js";
import type { Journal } from "../store/journal.js";

/** More timers than this falling due in one `advance` is a workflow that sleeps in a loop. */
const MAX_WAKES = 10_000;

/**
 * Moves a test's clock to `target` the way time passes for real: to each timer as it falls due
 * (a sleep, a timeout, a retry's backoff, an approval's expiry, a crashed worker's lease), running
 * what became runnable before going on, so a timer set by a woken run fires too if it falls due
 * before `target`.
 */
export async function travelTo(
  journal: Journal,
  workspace: string,
  clock: ManualClock,
  target: number,
  drain: () => Promise<void>,
): Promise<void> {
  await drain();
  for (let wakes = 0; ; wakes++) {
    const next = await nextDue(journal, workspace, clock.now());
    if (next === undefined || next > target) break;
    if (wakes >= MAX_WAKES) {
      throw new CairnError(
        ErrorCode.InvalidInput,
        `advance: more than ${MAX_WAKES} timers fell due before ${new Date(target).toISOString()}; ` +
          `is a workflow sleeping in a loop? Advance by less.`,
      );
    }
    clock.set(next);
    await drain();
  }
  if (clock.now() < target) clock.set(target);
  await drain();
}

/** The earliest moment after `now` at which a run becomes runnable or a lease lapses. */
async function nextDue(journal: Journal, workspace: string, now: number): Promise<number | undefined> {
  let next: number | undefined;
  for (const run of await journal.listRuns(workspace, { active: true, limit: 100_000 })) {
    const at = run.status === "running" ? run.leaseExpiresAt : run.wakeAt;
    if (at !== null && at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}
