import type { Migration } from "../migrations.js";

export const m009: Migration = {
  id: 9,
  name: "run versions",
  // The version of the code a run started on: a hash of its workflow's definition, or the
  // version its author set. A worker claims a run with a set version only if it has that version.
  sqlite: [`ALTER TABLE runs ADD COLUMN version TEXT`],
  pg: [`ALTER TABLE runs ADD COLUMN version TEXT`],
};
