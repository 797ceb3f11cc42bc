import type { Migration } from "../migrations.js";

export const m013: Migration = {
  id: 13,
  name: "run log numbers from the log",
  // SQLite always numbered a run's entries from its log (one writer at a time).
  sqlite: [],
  // A run's log entries are numbered after the run's last entry, under the run's row lock (see
  // `log`), no longer from a counter row per run, which every step commit had to update. The
  // counter rows of runs go; the workspace-wide log ("" run id, no run row) keeps its own.
  pg: [`DELETE FROM entry_seqs WHERE run_id <> ''`],
};
