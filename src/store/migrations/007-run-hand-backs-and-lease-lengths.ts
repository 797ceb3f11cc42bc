import type { Migration } from "../migrations.js";

export const m007: Migration = {
  id: 7,
  name: "run hand-backs and lease lengths",
  // hand_backs: hand-backs in a row without progress (a run that keeps being stopped backs
  // off). lease_ttl_ms: a longer lease the run needs (a step that starved a shorter one).
  sqlite: [
    `ALTER TABLE runs ADD COLUMN hand_backs INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE runs ADD COLUMN lease_ttl_ms INTEGER`,
  ],
  pg: [
    `ALTER TABLE runs ADD COLUMN hand_backs INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE runs ADD COLUMN lease_ttl_ms BIGINT`,
  ],
};
