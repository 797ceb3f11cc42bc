import type { Journal } from "../../src/store/journal.js";
import type { ClaimRaceResult } from "./claim-race.js";
import type { Faults } from "./faults.js";

/** The store a chaos run works on, with the faults that belong to it. */
export interface ChaosTarget {
  /** What the workers' store is, for the progress lines. */
  describe: string;
  /** CAIRN_STORE for the workers. */
  storeUrl: string;
  /** The test's own view of the store (checks), not subject to the faults where it can avoid them. */
  observer: Journal;
  /** The clients' store (starting runs, sending events, deciding), reached as the workers reach it. */
  client: Journal;
  /** The store's own faults, from `from` to `until` (ms since the epoch). */
  faults(from: number, until: number, faults: Faults): Promise<void>;
  /**
   * Whether a worker frozen this moment leaves the store usable by the others. On SQLite a
   * process frozen inside a transaction keeps the file's write lock and so stops every writer:
   * not the fault the zombie stands for (a worker past its lease), so it is let go and another
   * moment chosen.
   */
  freezable(): Promise<boolean>;
  /** Two claimers on their own connections race for `races` runs; exactly one may win each. */
  raceClaims(races: number): Promise<ClaimRaceResult>;
  close(): Promise<void>;
}
