import type { Migration } from "../migrations.js";

export const m004: Migration = {
  id: 4,
  name: "runnable notifications",
  // One SQLite file has one process writing at a time: a worker there polls.
  sqlite: [],
  // Every change that gives a queued or waiting run a wake time (a new run, a timer, an event or
  // a decision, a released lease) tells the workers listening on the channel; the payload is
  // the workspace, so one transaction that wakes many runs sends one notification.
  pg: [
    `CREATE FUNCTION cairn_notify_runnable() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('cairn_runnable', NEW.workspace);
       RETURN NULL;
     END $$`,
    `CREATE TRIGGER runs_notify_runnable AFTER INSERT OR UPDATE OF wake_at ON runs FOR EACH ROW
       WHEN (NEW.wake_at IS NOT NULL AND NEW.status IN ('queued', 'waiting'))
       EXECUTE FUNCTION cairn_notify_runnable()`,
  ],
};
