// Two claimers at once (see postgres-claim.ts): does either come back empty-handed while there
// was a share for it?
import { encodePayload } from "../src/shared/payload.js";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import type { Side } from "./postgres-claim-side.js";
import { request } from "./postgres-claim-side.js";
import { chain } from "./postgres-workflows.js";

export interface Contention {
  limit: number;
  runs: number;
  rounds: number;
  /** Rounds where one claimer took nothing. */
  starved: number;
  /** Runs the two took, summed over the rounds. */
  taken: number;
}

/**
 * Two journals (two worker processes' pools) claim at the same moment with `runs` = 2 × limit
 * runs runnable: each should get its share. Counts the rounds where one came back empty.
 */
export async function measureContention(side: Side): Promise<Contention[]> {
  const other = await PostgresJournal.open({ url: side.url, max: 4 });
  try {
    const results: Contention[] = [];
    for (const limit of [1, 10]) {
      const c: Contention = { limit, runs: 2 * limit, rounds: 100, starved: 0, taken: 0 };
      for (let r = 0; r < c.rounds; r++) {
        for (let i = 0; i < c.runs; i++) await side.engine.start(chain, { steps: 1 });
        const [a, b] = await Promise.all([
          side.journal.claimRuns({ ...request(), limit, owner: "bench-claimer-a" }),
          other.claimRuns({ ...request(), limit, owner: "bench-claimer-b" }),
        ]);
        if (a.length === 0 || b.length === 0) c.starved++;
        c.taken += a.length + b.length;
        const rest = await side.journal.claimRuns({ ...request(), limit: 100 });
        for (const lease of a) await side.journal.completeRun(lease, encodePayload(null, "output"));
        for (const lease of b) await other.completeRun(lease, encodePayload(null, "output"));
        for (const lease of rest) await side.journal.completeRun(lease, encodePayload(null, "output"));
      }
      results.push(c);
    }
    return results;
  } finally {
    await other.close();
  }
}
