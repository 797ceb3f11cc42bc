import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";

/**
 * One of two processes racing for claims on one SQLite file (the chaos test's claim race):
 * `node --import tsx sqlite-racer.ts <db> <owner> <races> <startAt>`. From `startAt` on, for each
 * run `race_<i>` it claims it by id (even i) or claims whatever `chaos.race2` run is due (odd i);
 * prints the ids it won as one JSON array.
 */
const [path, owner, races, startAt] = process.argv.slice(2);
if (path === undefined || owner === undefined || races === undefined || startAt === undefined) {
  console.error("usage: sqlite-racer.ts <db> <owner> <races> <startAt>");
  process.exit(2);
}
const journal = new SqliteJournal({ path, busyTimeoutMs: 30_000 });
const request = (workflow: string) => ({
  workspace: "default",
  owner,
  ttlMs: 600_000,
  limit: 1,
  workflows: [workflow],
});
// Both racers leave the barrier at the same moment, so every claim is contended.
while (Date.now() < Number(startAt)) {
  /* spin */
}
const won: string[] = [];
for (let i = 0; i < Number(races); i++) {
  const lease =
    i % 2 === 0
      ? await journal.claimRun(request("chaos.race"), `race_${i}`)
      : (await journal.claimRuns(request("chaos.race2")))[0];
  if (lease !== undefined) won.push(lease.runId);
}
await journal.close();
console.log(JSON.stringify(won));
