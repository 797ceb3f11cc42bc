import type { Clock } from "../../shared/clock.js";
import { Entry } from "../entry-types.js";
import type { CommitOutcome, StepCommit } from "../journal.js";
import type { Lease } from "../records.js";
import type { Sql } from "./database.js";
import { LOG_CHANNEL, STEPS_ONLY } from "./listener.js";
import { NEXT_SEQ } from "./log.js";
import { INLINE_LIMIT } from "./payloads.js";
import { leaseLost } from "./run-locks.js";
import { StepNotices } from "./step-notices.js";
import type { PgTransactions } from "./transactions.js";
import { DB_NOW, retryRace } from "./transactions.js";

/** What the `step.ended` entry of a step commit records. */
export function stepEndedData(commit: StepCommit): Record<string, unknown> {
  return {
    kind: commit.kind,
    status: commit.status,
    attempt: commit.attempt,
    durationMs: commit.endedAt - commit.startedAt,
    outputBytes: commit.output?.bytes ?? 0,
    ...(commit.error ? { error: { message: commit.error.message, code: commit.error.code } } : {}),
  };
}

/**
 * Whether a step commit is the common kind that one statement can make: a completed step whose
 * result is stored inline, sending no event, starting no run, crossing no storage budget.
 */
export function commitsAtOnce(commit: StepCommit, inlineLimit: number): boolean {
  return (
    commit.status === "completed" &&
    commit.event === undefined &&
    (commit.startRuns === undefined || commit.startRuns.length === 0) &&
    commit.storageWarning === undefined &&
    commit.progress === undefined &&
    (commit.output === undefined || commit.output.bytes <= inlineLimit)
  );
}

/** What the one-statement commit did: committed, found the lease gone, or wrote nothing. */
export type AtOnce = CommitOutcome | "lease-lost" | "not-written";

/**
 * The fence, the step row and its `step.ended` entry in one statement, so one round trip and
 * one implicit transaction: the run's row is locked and its lease checked, and only then are the
 * step and its entry written, so either all of it is written or none. The entry is numbered
 * after the run's last (see `log`). "not-written" when the step's row is already there (a
 * step's first attempt with no recorded intent has no row yet, so it is a plain insert, with no
 * speculative insertion to pay for), or when the entry's number was taken by a writer this
 * statement waited for: a unique violation fails the whole statement. The caller then commits
 * in a transaction that writes both.
 */
export async function commitStepAtOnce(
  sql: Sql,
  lease: Lease,
  commit: StepCommit,
  at: number | null,
  dbNow: string,
  /** Whether the statement notifies the run's log watchers itself (see StepNotices). */
  notify = true,
): Promise<AtOnce> {
  const fresh = commit.attempt === 1 && !commit.sideEffect;
  const row = await sql
    .one<{ cancel_requested: number }>(commitText(fresh, notify, dbNow), stepCommitParams(lease, commit, at))
    .catch((err: unknown) => {
      if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return null;
      throw err;
    });
  if (row === null) return "not-written";
  if (row === undefined) return "lease-lost";
  return { cancelRequested: row.cancel_requested === 1 };
}

/**
 * The statement's parameters: $1–$4 the lease, $5–$13 the step row, $14 the entry's time (null:
 * the database's clock), $15 the entry's data.
 */
export function stepCommitParams(lease: Lease, commit: StepCommit, at: number | null): unknown[] {
  return [
    lease.workspace,
    lease.runId,
    lease.epoch,
    lease.owner,
    commit.stepId,
    commit.seq,
    commit.kind,
    commit.attempt,
    commit.output?.text ?? null,
    commit.output?.bytes ?? 0,
    commit.startedAt,
    commit.endedAt,
    commit.sideEffect ? 1 : 0,
    at,
    JSON.stringify(stepEndedData(commit)),
  ];
}

const UNIQUE_VIOLATION = "23505";

/**
 * The statement's first two parts, `fence` and `step`: the run's row locked if the lease still
 * holds, and the step row written from it ($1–$13 of stepCommitParams).
 */
export function fenceAndStep(fresh: boolean): string {
  return `fence AS (
       SELECT cancel_requested FROM runs
       WHERE workspace = $1 AND id = $2 AND lease_epoch = $3 AND lease_owner = $4 AND status = 'running'
       FOR UPDATE),
     step AS (
       INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob,
         output_bytes, error_json, started_at, ended_at, retry_at, side_effect)
       SELECT $1, $2, $5, $6, $7, 'completed', $8, $9, NULL, $10, NULL, $11, $12, NULL, $13 FROM fence
       ${
         fresh
           ? ""
           : `ON CONFLICT (workspace, run_id, step_id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt,
         output_json = excluded.output_json, output_blob = excluded.output_blob, output_bytes = excluded.output_bytes,
         error_json = excluded.error_json, ended_at = excluded.ended_at, retry_at = excluded.retry_at`
       })`;
}

/** The statement's text, built once per shape (the statement cache looks it up by its text). */
const texts = new Map<string, string>();

function commitText(fresh: boolean, notify: boolean, dbNow: string): string {
  const key = `${fresh}:${notify}:${dbNow}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = `WITH ${fenceAndStep(fresh)},
     entry AS (
       INSERT INTO entries (workspace, run_id, seq, type, step_id, at, data_json)
       SELECT $1, $2, ${NEXT_SEQ("$1", "$2")}, '${Entry.StepEnded}', $5, COALESCE($14::int8, ${dbNow}), $15
       FROM fence)
     SELECT cancel_requested${notify ? `, pg_notify('${LOG_CHANNEL}', $1 || chr(9) || $2 || chr(9) || '${STEPS_ONLY}')` : ""} FROM fence`;
    texts.set(key, text);
  }
  return text;
}

/**
 * The PostgreSQL journal's step commits: the common kind in one statement (see
 * commitStepAtOnce), whose notifications to the run's log watchers StepNotices spaces out, and
 * every other kind (or one the statement could not write) in the transaction `slow` runs.
 */
export class StepCommits {
  private readonly notices: StepNotices;

  constructor(
    private readonly db: PgTransactions,
    private readonly clock: Clock | undefined,
    private readonly slow: (lease: Lease, commit: StepCommit) => Promise<CommitOutcome>,
  ) {
    this.notices = new StepNotices(async (workspace, runId) => {
      await this.db.read((sql) =>
        sql.run("SELECT pg_notify($1, $2)", [LOG_CHANNEL, `${workspace}\t${runId}\t${STEPS_ONLY}`]),
      );
    });
  }

  async commit(lease: Lease, commit: StepCommit): Promise<CommitOutcome> {
    if (!commitsAtOnce(commit, INLINE_LIMIT)) return this.slow(lease, commit);
    const { workspace, runId } = lease;
    const notify = this.notices.open(workspace, runId);
    let outcome: AtOnce | undefined;
    try {
      outcome = await this.db.read((sql) =>
        retryRace(() => commitStepAtOnce(sql, lease, commit, this.clock?.now() ?? null, DB_NOW, notify)),
      );
    } finally {
      if (!notify) this.notices.committed(workspace, runId);
      // Told to notify, but it committed nothing: what it would have told is still owed.
      else if (typeof outcome !== "object") this.notices.unsent(workspace, runId);
    }
    if (outcome === "lease-lost") throw await this.db.read((sql) => leaseLost(sql, lease));
    // Nothing was written: the transaction writes it all (and its entry notifies).
    if (outcome === "not-written") return this.slow(lease, commit);
    return outcome;
  }

  /** Sends the notifications still owed (the journal is closing). */
  flush(): Promise<void> {
    return this.notices.flush();
  }
}
