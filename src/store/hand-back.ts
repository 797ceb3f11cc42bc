import { Entry } from "./entry-types.js";
import type { HandBack } from "./journal.js";

/** What releasing a run writes, the same on every store: its wake time, reason and log entries. */
export interface Release {
  wakeAt: number;
  handBacks: number;
  reason: string | null;
  entries: { type: string; data: Record<string, unknown> }[];
}

export function describeRelease(now: number, handBack: HandBack | undefined): Release {
  if (handBack === undefined)
    return { wakeAt: now, handBacks: 0, reason: null, entries: [{ type: Entry.RunReleased, data: {} }] };
  const wakeAt = now + Math.max(0, handBack.delayMs);
  const error = {
    message: handBack.error.message,
    ...(handBack.error.code ? { code: handBack.error.code } : {}),
  };
  const entries: Release["entries"] = [
    { type: Entry.RunReleased, data: { error, handBacks: handBack.handBacks, wakeAt } },
  ];
  if (handBack.stalled !== undefined)
    entries.push({
      type: Entry.RunStalled,
      data: { message: handBack.stalled, error, handBacks: handBack.handBacks, wakeAt },
    });
  return {
    wakeAt,
    handBacks: handBack.handBacks,
    reason:
      handBack.stalled ?? `handed back after an error that was not the run's: ${handBack.error.message}`,
    entries,
  };
}
