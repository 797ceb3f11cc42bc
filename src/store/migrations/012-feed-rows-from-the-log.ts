import type { Migration } from "../migrations.js";

export const m012: Migration = {
  id: 12,
  name: "feed rows from the log's writer",
  // The entries trigger (migration 5) ran a trigger program for every entry to copy the few that
  // are feed items, which cost each step commit a few µs. The log's writer now writes the feed
  // row itself, for those entries only (SqliteLog.append, and an import).
  sqlite: [`DROP TRIGGER entries_to_feed`],
  // PostgreSQL's trigger already skips `step.ended`, most of a run's log (migration 11).
  pg: [],
};
