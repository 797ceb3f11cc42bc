import type { Migration } from "../migrations.js";

export const m008: Migration = {
  id: 8,
  name: "forks and retention",
  // A fork names the run and step it was made from; retention finds ended runs by their end.
  sqlite: [
    `ALTER TABLE runs ADD COLUMN forked_from_run TEXT`,
    `ALTER TABLE runs ADD COLUMN forked_from_step TEXT`,
    `CREATE INDEX runs_by_end ON runs (workspace, status, ended_at) WHERE ended_at IS NOT NULL`,
  ],
  pg: [
    `ALTER TABLE runs ADD COLUMN forked_from_run TEXT`,
    `ALTER TABLE runs ADD COLUMN forked_from_step TEXT`,
    `CREATE INDEX runs_by_end ON runs (workspace, status, ended_at) WHERE ended_at IS NOT NULL`,
  ],
};
