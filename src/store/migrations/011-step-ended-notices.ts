import type { Migration } from "../migrations.js";

export const m011: Migration = {
  id: 11,
  name: "step.ended notices from their writers",
  // SQLite has no notifications: nothing changes there.
  sqlite: [],
  // The entries trigger (migration 5) called a PL/pgSQL function and queued a notification for
  // every entry. A `step.ended` entry's writers now notify themselves, the one-statement step
  // commit at most once per few ms per run (StepNotices), so the trigger skips those entries:
  // they are never feed items, and they are most of a run's log.
  pg: [
    `DROP TRIGGER entries_appended ON entries`,
    `CREATE TRIGGER entries_appended AFTER INSERT ON entries FOR EACH ROW
       WHEN (NEW.type <> 'step.ended') EXECUTE FUNCTION cairn_log_appended()`,
  ],
};
