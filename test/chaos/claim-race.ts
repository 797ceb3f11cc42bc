import { encodePayload } from "../../src/shared/payload.js";
import type { Lease } from "../../src/store/records.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";

export interface ClaimRaceResult {
  races: number;
  /** Races won by exactly one claimer: should equal `races`. */
  oneWinner: number;
  noWinner: number;
  twoWinners: number;
}

/**
 * Two journals on their own connections race to claim each of `races` new runs: half by id
 * (`claimRun`, which waits for a locked row), half by a scan for due work (`claimRuns`, which
 * skips locked rows). Exactly one may win each.
 */
export async function raceClaims(url: string, races: number): Promise<ClaimRaceResult> {
  const [a, b] = await Promise.all([
    PostgresJournal.open({ url, max: 2 }),
    PostgresJournal.open({ url, max: 2 }),
  ]);
  const result: ClaimRaceResult = { races, oneWinner: 0, noWinner: 0, twoWinners: 0 };
  try {
    for (let i = 0; i < races; i++) {
      const id = `race_${i}`;
      await a.createRun({
        id,
        workspace: "default",
        workflow: "chaos.race",
        input: encodePayload(i, "input"),
      });
      const claim = (j: PostgresJournal, owner: string): Promise<Lease | undefined> => {
        const request = { workspace: "default", owner, ttlMs: 60_000, limit: 1, workflows: ["chaos.race"] };
        return i % 2 === 0 ? j.claimRun(request, id) : j.claimRuns(request).then((l) => l[0]);
      };
      const leases = (await Promise.all([claim(a, "racer-a"), claim(b, "racer-b")])).filter(
        (l): l is Lease => l !== undefined,
      );
      if (leases.length === 1) result.oneWinner++;
      else if (leases.length === 0) result.noWinner++;
      else result.twoWinners++;
      for (const lease of leases)
        await a.completeRun(lease, encodePayload("raced", "output")).catch(() => undefined);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  return result;
}
