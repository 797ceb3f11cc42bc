/**
 * A second process for the claim race: opens its own SqliteJournal on the file it is given and,
 * for each "claim" message, tries to claim whatever is due, replying with the leases it got.
 */
import { ManualClock } from "../../../src/shared/clock.js";
import { SqliteJournal } from "../../../src/store/sqlite/sqlite-journal.js";

type Message = { type: "claim"; round: number; now: number } | { type: "exit" };

const [path, owner] = process.argv.slice(2) as [string, string];
const clock = new ManualClock();
const journal = new SqliteJournal({ path, clock, busyTimeoutMs: 30_000 });

process.on("message", (m: Message) => {
  if (m.type === "exit") {
    void journal.close().then(() => process.exit(0));
    return;
  }
  clock.set(m.now);
  journal.claimRuns({ workspace: "default", owner, ttlMs: 60_000, limit: 5, workflows: ["race"] }).then(
    (leases) => process.send!({ round: m.round, owner, leases }),
    (err: Error) => process.send!({ round: m.round, owner, error: err.message }),
  );
});
process.send!({ ready: owner });
